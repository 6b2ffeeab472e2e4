// Manifests (distribution spec, "Pulling manifests", "Pushing manifests", "Deleting manifests"):
// GET, HEAD, PUT and DELETE /v2/<name>/manifests/<tag or digest>. A manifest is stored as the
// exact bytes the client pushed — its digest is the sha256 of those bytes, so re-serialising
// it would change its name — in the shared blob store, with a revision link recording its media
// type. A tag is a file holding a digest; pushing to a tag moves it.
//
// The order of writes on a push is the order that keeps every crash harmless: the bytes, then
// the revision link, then the tag (and the referrers entry). A crash between two of them leaves
// something unreferenced for `registry gc`, never a tag pointing at nothing.
import type { Digest } from '../../layers/index.js';
import { sha256 } from '../../layers/index.js';
import { traced, type RequestContext } from './context.js';
import { registryError } from './errors.js';
import { readBody, sendEmpty } from './http-io.js';
import { checkManifest, referrerDescriptor, type CheckedManifest } from './manifest-check.js';
import { parseReference, type Reference } from './names.js';

/** The spec asks registries to accept manifests of at least 4 MiB. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

const describe = (ref: Reference) => (ref.kind === 'tag' ? ref.tag : ref.digest);

/** True when the client's Accept header names manifest types and `mediaType` is not one of them. */
function refusedByAccept(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const namesManifests = types.some((t) => t.startsWith('application/vnd.oci.image.') || t.startsWith('application/vnd.docker.distribution.manifest.'));
  return namesManifests && !types.includes(mediaType) && !types.includes('*/*');
}

export async function getManifest(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const ref = parseReference(ctx.params.reference!);
  const head = ctx.req.method === 'HEAD';
  await traced(ctx, head ? 'registry.manifest.head' : 'registry.manifest.get', { repository: name, reference: describe(ref) }, async () => {
    const { repos, blobs, proxy } = ctx.services;
    const source = proxy ? await proxy.refreshManifest(name, ref) : 'local';
    const d = ref.kind === 'tag' ? await repos.tag(name, ref.tag) : ref.digest;
    const info = d ? await repos.manifest(name, d) : null;
    const bytes = d && info ? await blobs.readBytes(d).catch(() => null) : null;
    if (!d || !info || !bytes) throw registryError('MANIFEST_UNKNOWN', `manifest ${describe(ref)} is not in ${name}`, { name, reference: describe(ref) });
    if (refusedByAccept(ctx.req.headers.accept, info.mediaType)) {
      throw registryError('MANIFEST_UNKNOWN', `manifest ${describe(ref)} is a ${info.mediaType}, which the Accept header does not list`, { mediaType: info.mediaType });
    }
    ctx.res.writeHead(200, {
      'Content-Type': info.mediaType,
      'Content-Length': String(bytes.length),
      'Docker-Content-Digest': d,
      ETag: `"${d}"`,
    });
    ctx.res.end(head ? undefined : bytes);
    return { digest: d, mediaType: info.mediaType, size: bytes.length, source };
  });
}

/** The first thing the manifest references that this repository does not have. */
async function firstMissing(ctx: RequestContext, name: string, checked: CheckedManifest): Promise<Digest | undefined> {
  const { repos, blobs } = ctx.services;
  for (const b of checked.blobs) {
    if (!(await repos.hasBlob(name, b)) || (await blobs.size(b)) === null) return b;
  }
  for (const m of checked.manifests) {
    if ((await repos.manifest(name, m)) === null) return m;
  }
  return undefined;
}

/**
 * A descriptor's size is what a puller reads up to and checks against: one that lies about the
 * blob it names (smaller: the pull stops short and fails its digest; larger: it waits for bytes
 * that never come) is refused at the push, as the blob's digest would be.
 */
async function checkSizes(ctx: RequestContext, checked: CheckedManifest): Promise<void> {
  for (const [d, declared] of checked.sizes) {
    const actual = await ctx.services.blobs.size(d);
    if (actual !== null && actual !== declared) {
      throw registryError('MANIFEST_INVALID', `manifest says ${d} is ${declared} bytes; the blob is ${actual}`, { digest: d, declared, actual });
    }
  }
}

// #region put-manifest
export async function putManifest(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const ref = parseReference(ctx.params.reference!, 'MANIFEST_INVALID');
  await traced(ctx, 'registry.manifest.put', { repository: name, reference: describe(ref) }, async () => {
    const { repos, blobs } = ctx.services;
    const body = await readBody(ctx.req, MANIFEST_LIMIT);
    const d = sha256(body);
    if (ref.kind === 'digest' && ref.digest !== d) {
      throw registryError('DIGEST_INVALID', `manifest pushed as ${ref.digest} has digest ${d}`, { expected: ref.digest, actual: d });
    }
    const checked = checkManifest(body, ctx.req.headers['content-type']);
    const missing = await firstMissing(ctx, name, checked);
    if (missing) {
      throw registryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${missing}, which is not in ${name}: push it first`, { digest: missing });
    }
    await checkSizes(ctx, checked);
    await blobs.putBytes(body);
    await repos.putManifest(name, d, checked.info);
    if (ref.kind === 'tag') await repos.setTag(name, ref.tag, d);
    if (checked.subject) await repos.addReferrer(name, checked.subject, referrerDescriptor(d, checked.info));
    const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${d}`, 'Docker-Content-Digest': d };
    // OCI 1.1: tells the client this registry indexed the subject, so it need not keep a
    // referrers tag itself (the fallback for registries without the referrers API).
    if (checked.subject) headers['OCI-Subject'] = checked.subject;
    sendEmpty(ctx.res, 201, headers);
    return { digest: d, mediaType: checked.mediaType, size: body.length, subject: checked.subject ?? null };
  });
}
// #endregion put-manifest

export async function deleteManifest(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const ref = parseReference(ctx.params.reference!);
  await traced(ctx, 'registry.manifest.delete', { repository: name, reference: describe(ref) }, async () => {
    const { repos } = ctx.services;
    const unknown = () => registryError('MANIFEST_UNKNOWN', `manifest ${describe(ref)} is not in ${name}`, { name, reference: describe(ref) });
    // Deleting a tag (OCI 1.1) removes the name only; the manifest stays, reachable by digest.
    if (ref.kind === 'tag') {
      if (!(await repos.deleteTag(name, ref.tag))) throw unknown();
      sendEmpty(ctx.res, 202);
      return { tag: ref.tag };
    }
    const info = await repos.manifest(name, ref.digest);
    if (!info) throw unknown();
    const tags = await repos.tagsPointingAt(name, ref.digest);
    for (const t of tags) await repos.deleteTag(name, t);
    if (info.subject) await repos.removeReferrer(name, info.subject as Digest, ref.digest);
    await repos.deleteManifest(name, ref.digest);
    sendEmpty(ctx.res, 202);
    return { digest: ref.digest, untagged: tags };
  });
}
