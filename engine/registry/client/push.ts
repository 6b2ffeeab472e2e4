// `docker push` (chapter 4): an image of the store to a registry. The recipe:
//   1. the image the name points at in the store, and the registry and repository it names;
//   2. every layer (a few at a time) and then the config reach the registry the cheapest
//      way (upload.ts: already there, mounted from a sibling repository, or uploaded);
//   3. the manifest, PUT last under the tag: a registry accepts a manifest only once every
//      blob it names is there, so a half-pushed image is never visible by its tag;
//   4. where the blobs now are is remembered, so the next push elsewhere can mount them.
// Only the single-platform image the store holds is pushed (its own manifest, byte for byte,
// so the registry's digest is the store's).
import { EngineError, invalid } from '../../base/index.js';
import { familiarName, fullName, parseReference, repositoryOf, shortId, type Digest, type Image, type Reference } from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import type { ClientContext } from './context.js';
import { endpointOf } from './endpoints.js';
import { mapLimit } from './limit.js';
import { originsOf, recordOrigin, recordRepoDigest } from './origins.js';
import { Progress } from './progress.js';
import type { RemoteRepository } from './repository.js';
import { uploadBlob, type UploadOutcome } from './upload.js';
import type { PushOptions, PushResult } from './types.js';

// #region push
export async function push(ctx: ClientContext, opts: PushOptions): Promise<PushResult> {
  const progress = new Progress(opts.onProgress);
  try {
    const ref = parseReference(opts.reference);
    if (ref.digest) throw invalid('INVALID_REFERENCE', `cannot push a digest reference (${opts.reference}): push a tag`, { value: opts.reference });
    const tag = ref.tag ?? 'latest';
    return await ctx.tracer.span({ chapter: 'registry', op: 'image.push', parent: opts.span, data: { reference: fullName(ref) } }, async (span) => {
      // 1. the image, and where it goes
      const image = await localImage(opts, ref);
      progress.status(`The push refers to repository [${repositoryOf(ref)}]`);
      const endpoint = endpointOf(ref.domain, ctx.insecureRegistries);
      const repo = await ctx.repository({ endpoint, name: ref.path, access: 'pull,push', auth: opts.auth, signal: opts.signal, span });
      // 2. the blobs: layers with progress lines, then the config quietly
      await pushLayers(ctx, { opts, image, repo, progress, span });
      await pushBlob(ctx, { opts, repo, digest: image.id, size: await opts.content.size(image.id), span });
      // 3. the manifest, as stored
      const bytes = await opts.content.readBytes(image.manifestDigest);
      const claimed = await repo.putManifest(tag, bytes, image.manifestMediaType);
      if (claimed && claimed !== image.manifestDigest) {
        throw invalid('DIGEST_MISMATCH', `${repo.describe(tag)}: the registry stored the manifest as ${claimed}, we sent ${image.manifestDigest}`, { expected: image.manifestDigest, digest: claimed });
      }
      span.event('manifest.push', { reference: repo.describe(tag), digest: image.manifestDigest, mediaType: image.manifestMediaType, size: bytes.length });
      // 4. remember where the blobs are now
      const digests: Digest[] = [image.id, ...image.layers.map((l) => l.digest)];
      await recordOrigin(opts.content, digests, { registry: ref.domain, repository: ref.path });
      await recordRepoDigest(opts.content, image.id, `${repositoryOf(ref)}@${image.manifestDigest}`);
      progress.status(`${tag}: digest: ${image.manifestDigest} size: ${bytes.length}`);
      progress.emit({ progressDetail: {}, aux: { Tag: tag, Digest: image.manifestDigest, Size: bytes.length } });
      return { digest: image.manifestDigest, size: bytes.length };
    });
  } catch (err) {
    progress.error(err);
    throw err;
  }
}
// #endregion push

async function localImage(opts: PushOptions, ref: Reference): Promise<Image> {
  try {
    return await opts.store.resolve(fullName(ref));
  } catch (err) {
    if ((err as EngineError).kind !== 'not-found') throw err;
    const name = familiarName(ref);
    throw new EngineError({ code: 'IMAGE_NOT_FOUND', kind: 'not-found', message: `An image does not exist locally with the tag: ${name}`, data: { ref: name }, cause: err });
  }
}

interface PushContext { opts: PushOptions; image: Image; repo: RemoteRepository; progress: Progress; span: Span }

/** The layers, `maxConcurrentUploads` at a time; lines keyed by diffID, as dockerd keys them. */
async function pushLayers(ctx: ClientContext, p: PushContext): Promise<void> {
  const layers = p.image.layers.filter((l, i) => p.image.layers.findIndex((o) => o.digest === l.digest) === i);
  layers.forEach((l) => p.progress.status('Preparing', shortId(l.diffID)));
  layers.slice(ctx.maxConcurrentUploads).forEach((l) => p.progress.status('Waiting', shortId(l.diffID)));
  // A failure lets the uploads already running finish (mapLimit waits for them) and starts no more.
  await mapLimit(layers, ctx.maxConcurrentUploads, async (l) => {
    const id = shortId(l.diffID);
    const result = await pushBlob(ctx, {
      opts: p.opts, repo: p.repo, digest: l.digest, size: l.size, span: p.span,
      onBytes: (n) => p.progress.bytes('Pushing', id, n, l.size),
    });
    if (result.outcome === 'exists') p.progress.status('Layer already exists', id);
    else if (result.outcome === 'mounted') p.progress.status(`Mounted from ${result.from}`, id);
    else p.progress.status('Pushed', id);
  });
}

/** One blob, traced as `blob.push` with what happened to it. */
async function pushBlob(ctx: ClientContext, b: { opts: PushOptions; repo: RemoteRepository; digest: Digest; size: number; span: Span; onBytes?: (n: number) => void }): Promise<UploadOutcome> {
  const s = b.span.child('registry', 'blob.push', { digest: b.digest, size: b.size });
  try {
    const outcome = await uploadBlob({
      repo: b.repo, content: b.opts.content, digest: b.digest, size: b.size, chunkSize: ctx.chunkSize,
      origins: await originsOf(b.opts.content, b.digest), span: s, ...(b.onBytes ? { onBytes: b.onBytes } : {}),
    });
    s.end({
      digest: b.digest, size: b.size, skipped: outcome.outcome === 'exists', mounted: outcome.outcome === 'mounted' ? outcome.from : false,
      ...(outcome.outcome === 'pushed' ? { chunks: outcome.chunks } : {}),
    });
    return outcome;
  } catch (err) {
    s.fail(err);
    throw err;
  }
}
