// `docker pull` (chapter 4): from a registry into the content store of chapter 1. The recipe:
//   1. the endpoints to try: a Docker Hub name goes to the mirrors first, then to Hub;
//   2. the manifest the reference names, narrowed to our platform when it is an index;
//   3. the config (small, read whole): it names the image (its digest is the image ID) and
//      lists the diffIDs each layer must unpack to;
//   4. the layers, a few at a time; those already stored are skipped ("Already exists"); each
//      streams into the store through the digest and diffID checks, and is kept only if both
//      match — a bad byte fails the pull naming the digest, and leaves nothing behind;
//   5. the image named in the image store, and what the registry calls it remembered.
// Layers are stored as blobs, as pulled. Unpacking them into snapshots is chapter 2's work: the
// daemon passes it as `unpack`, and each layer says "Extracting" then "Pull complete"; without
// it, "Pull complete" follows the checks directly. Where the snapshotter allows, a layer's bytes
// go to the store and to the unpacker at once, as they arrive: one pass counts the digest and
// the diffID and writes the files, and the blob is kept only if the unpack agrees.
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { EngineError, internal, invalid, notFound } from '../../base/index.js';
import {
  familiarName, fullName, parseConfig, parseReference, platformString, repositoryOf, shortId,
  type ContentStore, type Descriptor, type Digest, type Image, type ImageConfig, type LayerInfo, type Reference,
} from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import type { ClientContext } from './context.js';
import { blobStream } from './download.js';
import { pullEndpoints, type Endpoint } from './endpoints.js';
import { linkedAbort, mapLimit } from './limit.js';
import { resolveManifest, type ResolvedManifest } from './manifests.js';
import { recordOrigin, recordRepoDigest } from './origins.js';
import { Progress } from './progress.js';
import type { RemoteRepository } from './repository.js';
import type { PullOptions, PullResult, PullUnpack } from './types.js';

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

// #region pull
export async function pull(ctx: ClientContext, opts: PullOptions): Promise<PullResult> {
  const progress = new Progress(opts.onProgress);
  try {
    const ref = parseReference(opts.reference);
    return await ctx.tracer.span({ chapter: 'registry', op: 'image.pull', parent: opts.span, data: { reference: fullName(ref), platform: opts.platform ? platformString(opts.platform) : null } }, async (span) => {
      progress.status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);
      const endpoints = pullEndpoints(ref.domain, ctx);
      for (const [i, endpoint] of endpoints.entries()) {
        try {
          return await pullFrom(ctx, { ...opts, ref, endpoint, progress, span });
        } catch (err) {
          // A mirror that fails is passed over, as dockerd does; the last endpoint's error stands.
          if (i === endpoints.length - 1 || opts.signal?.aborted) throw err;
          span.event('mirror.failed', { mirror: endpoint.url.origin, code: (err as EngineError).code ?? null, message: String((err as Error).message) });
        }
      }
      throw internal('NO_ENDPOINT', `no registry endpoint for ${opts.reference}`, { reference: opts.reference });
    });
  } catch (err) {
    progress.error(err);
    throw err;
  }
}
// #endregion pull

interface PullFrom extends PullOptions { ref: Reference; endpoint: Endpoint; progress: Progress; span: Span }

async function pullFrom(ctx: ClientContext, a: PullFrom): Promise<PullResult> {
  const { ref, store, content, progress, span } = a;
  const name = fullName(ref);
  const repo = await ctx.repository({ endpoint: a.endpoint, name: ref.path, access: 'pull', auth: a.auth, signal: a.signal, span });
  span.event('pull.endpoint', { endpoint: a.endpoint.url.origin, mirror: a.endpoint.mirror });
  // 2. the manifest
  const resolved = await resolveManifest(repo, ref.digest ?? ref.tag ?? 'latest', { platform: a.platform, span });
  const { manifest } = resolved;
  // 3. the config
  const configBytes = await fetchConfig(ctx, { repo, content, desc: manifest.config, span });
  const config = parseConfig(configBytes);
  checkPlatform(resolved, config, a, repo);
  const id = manifest.config.digest;
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw invalid('DIFFID_MISMATCH', `${repo.describe(ref.tag)}: the manifest lists ${manifest.layers.length} layers, the config ${config.rootfs.diff_ids.length} diffIDs`, { digest: resolved.manifestDigest });
  }
  // The name already points at this image (by digest: the image is here): nothing to fetch.
  const upToDate = (await currentImage(store, ref.tag ? fullName(ref) : id))?.id === id;
  // 4. the layers
  //    and, when the caller unpacks (the daemon), each unpacked bottom first as soon as it and
  //    the layers below it are stored — while the others still download, as dockerd does
  //    The unpacker holds the layers it commits until the image is named (step 5), so that an
  //    `rmi` meanwhile does not take them for unused.
  const unpacker = upToDate ? undefined : a.unpack?.(manifest.layers.map((d, i) => ({ digest: d.digest, diffID: config.rootfs.diff_ids[i]! })));
  let layers: LayerInfo[];
  try {
    layers = upToDate
      ? (await store.resolve(id)).layers
      : await pullAndExtract(ctx, { ...a, repo, manifest: resolved, config, progress, unpacker });
    // 5. name the image, remember where it came from
    //    with the registry's own manifest bytes, so its digest is the one the registry uses
    if (!upToDate) await store.addImage({ config: configBytes, layers, names: ref.tag ? [name] : [], manifestMediaType: resolved.mediaType, manifest: resolved.manifestBytes, span });
  } catch (err) {
    await unpacker?.end(err);
    throw err;
  }
  await unpacker?.end();
  const origin = { registry: ref.domain, repository: ref.path };
  await recordOrigin(content, [id, ...layers.map((l) => l.digest)], origin);
  await recordRepoDigest(content, id, `${repositoryOf(ref)}@${resolved.digest}`);
  progress.status(`Digest: ${resolved.digest}`);
  progress.status(upToDate ? `Status: Image is up to date for ${familiarName(ref)}` : `Status: Downloaded newer image for ${familiarName(ref)}`);
  return { digest: resolved.digest, name, id, upToDate };
}

/** The image a name (or an ID) points at now, if any: a pull that finds the same one changes nothing. */
async function currentImage(store: PullOptions['store'], nameOrId: string): Promise<Image | undefined> {
  try {
    return await store.resolve(nameOrId);
  } catch (err) {
    if ((err as EngineError).kind === 'not-found') return undefined;
    throw err;
  }
}

/** The config blob: read from the store if there, else downloaded and stored (digest checked). */
async function fetchConfig(ctx: ClientContext, { repo, content, desc, span }: { repo: RemoteRepository; content: ContentStore; desc: Descriptor; span: Span }): Promise<Buffer> {
  // A config is read whole into memory: a manifest claiming a huge one is refused before a byte.
  if (desc.size > MAX_CONFIG_BYTES) {
    throw invalid('CONFIG_TOO_LARGE', `image config ${desc.digest} is ${desc.size} bytes; configs over ${MAX_CONFIG_BYTES} are refused`, { digest: desc.digest, size: desc.size });
  }
  const stored = () => content.has(desc.digest);
  if (!(await stored())) {
    // Another pull fetching the same config: wait for it rather than GET it twice.
    await ctx.blobFetches.once(desc.digest, { stored, found: async () => {}, fetch: async () => {
      const s = span.child('registry', 'blob.pull', { digest: desc.digest, size: desc.size, kind: 'config' });
      try {
        await content.write(blobStream({ repo, digest: desc.digest, size: desc.size, span: s }), { expected: desc.digest, expectedSize: desc.size, span: s });
        s.end({ skipped: false });
      } catch (err) {
        s.fail(err);
        throw err;
      }
    } });
  }
  return content.readBytes(desc.digest);
}

/** With an explicit platform, a single-platform image of another platform is refused, as dockerd does. */
function checkPlatform(resolved: ResolvedManifest, config: ImageConfig, a: PullFrom, repo: RemoteRepository): void {
  if (!a.platform || resolved.platform) return;
  if (config.os !== a.platform.os || config.architecture !== a.platform.architecture) {
    const actual = platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
    throw notFound('NO_MATCHING_PLATFORM', `image ${repo.describe(a.ref.tag ?? a.ref.digest)} was found but does not match the requested platform: wanted ${platformString(a.platform)}, it is ${actual}`, {
      want: platformString(a.platform), have: [actual],
    });
  }
}

/** The layers downloaded, with the unpacker (if any) following them layer by layer. */
async function pullAndExtract(ctx: ClientContext, a: PullFrom & { repo: RemoteRepository; manifest: ResolvedManifest; config: ImageConfig; unpacker?: PullUnpack }): Promise<LayerInfo[]> {
  const n = a.manifest.manifest.layers.length;
  const unpacker = a.unpacker;
  const stored = Array.from({ length: n }, () => {
    let resolve!: (l: StoredLayer) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<StoredLayer>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {}); // a failed pull rejects them all; pullLayers' own error is the one thrown
    return { promise, resolve, reject };
  });
  const extraction = unpacker
    ? (async () => {
        for (let i = 0; i < n; i++) {
          const below = await Promise.all(stored.slice(0, i + 1).map((s) => s.promise));
          const me = below[i]!;
          // Only a layer downloaded now is reported; an "Already exists" one says nothing more.
          await unpacker.layer(i, plain(me), (phase) => {
            if (me.existed) return;
            if (phase === 'start') a.progress.bytes('Extracting', shortId(me.digest), me.size, me.size);
            else a.progress.status('Pull complete', shortId(me.digest));
          });
        }
      })()
    : Promise.resolve();
  try {
    const layers = await pullLayers(ctx, { ...a, onStored: (i, l) => stored[i]!.resolve(l) });
    await extraction;
    return layers.map(plain);
  } catch (err) {
    for (const s of stored) s.reject(err);
    await extraction.catch(() => {});
    throw err;
  }
}

/** The download's bytes to the store and to the unpacker at once, at the slower one's pace; an error stops both. */
function split(source: Readable, sink: Writable): Readable {
  const toStore = new PassThrough({ highWaterMark: 1024 * 1024 });
  // The store opens its file before it reads: an error in between must not go unheard. Its
  // reader still gets it (a stream already failed is reported as failed when read).
  toStore.on('error', () => {});
  source.on('error', (err) => {
    toStore.destroy(err);
    sink.destroy(err);
  });
  source.pipe(toStore);
  source.pipe(sink);
  return toStore;
}

type StoredLayer = LayerInfo & { existed?: boolean };
const plain = ({ existed: _existed, ...l }: StoredLayer): LayerInfo => l;

// #region layers
/** Every layer into the store, `maxConcurrentDownloads` at a time; returns them in manifest order. */
async function pullLayers(ctx: ClientContext, a: PullFrom & { repo: RemoteRepository; manifest: ResolvedManifest; config: ImageConfig; unpacker?: PullUnpack; onStored?: (index: number, layer: StoredLayer) => void }): Promise<StoredLayer[]> {
  const { store, content, progress, span, repo } = a;
  const layers = a.manifest.manifest.layers.map((desc, i) => ({ desc, diffID: a.config.rootfs.diff_ids[i]!, id: shortId(desc.digest), index: i }));
  // The first message per layer says whether it is needed; then those beyond the limit wait.
  const present = await Promise.all(layers.map((l) => content.has(l.desc.digest)));
  // The same blob twice in one manifest (an empty layer, say) is fetched once.
  const toFetch = layers.filter((l, i) => !present[i] && layers.findIndex((o) => o.desc.digest === l.desc.digest) === i);
  layers.forEach((l, i) => progress.status(present[i] ? 'Already exists' : 'Pulling fs layer', l.id));
  toFetch.slice(ctx.maxConcurrentDownloads).forEach((l) => progress.status('Waiting', l.id));
  // Layers already here are known at once (checked against this config); the others when stored.
  const alreadyHere = async (l: (typeof layers)[number]): Promise<StoredLayer> => {
    const info = await store.layerInfo(l.desc.digest, l.desc.mediaType);
    span.event('blob.pull', { digest: l.desc.digest, size: l.desc.size, skipped: true });
    if (info.diffID !== l.diffID) {
      throw invalid('DIFFID_MISMATCH', `layer ${l.desc.digest} is stored with diffID ${info.diffID}, the config says ${l.diffID}`, { digest: l.desc.digest, expected: l.diffID, diffID: info.diffID });
    }
    return { ...info, existed: true };
  };
  const here = Promise.all(layers.map(async (l, i) => {
    if (!present[i]) return undefined;
    const stored = await alreadyHere(l);
    a.onStored?.(i, stored);
    return stored;
  }));
  here.catch(() => {}); // awaited below; a rejection before then is not unhandled
  const abort = linkedAbort(a.signal);
  const fetched = new Map<Digest, LayerInfo>();
  const onFetched = (l: (typeof layers)[number], info: LayerInfo) => {
    fetched.set(l.desc.digest, info);
    layers.forEach((o, i) => o.desc.digest === l.desc.digest && a.onStored?.(i, info));
    progress.status('Download complete', l.id);
    if (!a.unpacker) progress.status('Pull complete', l.id);
  };
  const download = async (l: (typeof layers)[number]): Promise<void> => {
    const s = span.child('registry', 'blob.pull', { digest: l.desc.digest, size: l.desc.size, kind: 'layer' });
    try {
      const unpacking = await a.unpacker?.stream(l.index);
      const source = blobStream({
        repo, digest: l.desc.digest, size: l.desc.size, signal: abort.signal, span: s, checked: !unpacking,
        onBytes: (n) => {
          progress.bytes('Downloading', l.id, n, l.desc.size);
          if (n === l.desc.size) progress.status('Verifying Checksum', l.id);
        },
      });
      abort.signal.addEventListener('abort', () => source.destroy(abortError(l.desc.digest)), { once: true });
      // A failed unpack (a bad tar, a wrong diffID) stops the download at once.
      unpacking?.unpacked.catch((err: unknown) => source.destroy(err as Error));
      const info = unpacking
        ? await store.ingestLayer(split(source, unpacking.sink), { expectedDigest: l.desc.digest, expectedDiffID: l.diffID, mediaType: l.desc.mediaType, unpacked: unpacking.unpacked, span: s })
        : await store.ingestLayer(source, { expectedDigest: l.desc.digest, expectedDiffID: l.diffID, mediaType: l.desc.mediaType, span: s });
      onFetched(l, info);
      s.end({ skipped: false, diffID: info.diffID });
    } catch (err) {
      const named = namingLayer(err, l.desc.digest);
      s.fail(named);
      abort.abort(named); // the siblings stop too: this pull has failed
      throw named;
    }
  };
  try {
    await mapLimit(toFetch, ctx.maxConcurrentDownloads, (l) => ctx.blobFetches.once(l.desc.digest, {
      stored: () => content.has(l.desc.digest),
      fetch: () => download(l),
      // Another pull was downloading it (blob-fetches.ts): stored by now, as good as ours.
      found: async () => onFetched(l, await alreadyHere(l)),
    }));
  } finally {
    abort.abort();
  }
  // Layers already present were checked against this config above.
  const known = await here;
  return layers.map((l, i) => known[i] ?? fetched.get(l.desc.digest)!);
}
// #endregion layers

function abortError(digest: Digest): EngineError {
  return new EngineError({ code: 'PULL_CANCELED', kind: 'unavailable', message: `download of ${digest} stopped: the pull was canceled or another layer failed`, data: { digest } });
}

/** The error, its message saying which layer when it does not already (a diffID mismatch names only diffIDs). */
function namingLayer(err: unknown, digest: Digest): unknown {
  if (!(err instanceof EngineError) || err.message.includes(digest)) return err;
  return new EngineError({ code: err.code, kind: err.kind, message: `layer ${digest}: ${err.message}`, data: { ...err.data, digest }, cause: err });
}
