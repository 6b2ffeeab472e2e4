// Fetching the document a tag names, and narrowing it to one image (chapter 4). A tag may name
// a manifest (one image) or an index — an OCI image index or a Docker manifest list — naming
// one manifest per platform. We say in `Accept` every type we read, so a registry never
// falls back to converting the image to the old schema 1:
//
//   GET /v2/library/busybox/manifests/latest → index (amd64, arm64, arm/v7, …)
//   GET /v2/library/busybox/manifests/sha256:<the amd64 manifest> → manifest
//
// Every document is checked against its digest: the one we asked for, or the one the
// registry claims in Docker-Content-Digest. A tag is only a pointer; digests are the truth.
import { invalid } from '../../base/index.js';
import {
  MediaType, hostPlatform, isSchema1, parseDocument, platformString, selectPlatform, sha256,
  type Digest, type Manifest, type Platform,
} from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import type { RemoteRepository } from './repository.js';

/** What a pull accepts, newest family first. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest];

export interface ResolvedManifest {
  /** The digest of the document the reference names (an index's, when it was one). */
  digest: Digest;
  /** The image's own manifest, and its digest and bytes. */
  manifest: Manifest;
  manifestDigest: Digest;
  manifestBytes: Buffer;
  /** The manifest's media type (OCI or Docker); OCI when the document leaves it out. */
  mediaType: string;
  /** The platform picked from an index; undefined when the reference named a manifest. */
  platform?: Platform;
}

/** GETs one document and checks its digest. */
async function fetchChecked(repo: RemoteRepository, tagOrDigest: string, span?: Span) {
  const { bytes, mediaType, headerDigest } = await repo.getManifest(tagOrDigest, MANIFEST_ACCEPT);
  const digest = sha256(bytes);
  const claimed = tagOrDigest.startsWith('sha256:') ? tagOrDigest : headerDigest?.startsWith('sha256:') ? headerDigest : undefined;
  if (claimed && claimed !== digest) {
    throw invalid('DIGEST_MISMATCH', `manifest ${repo.describe(tagOrDigest)}: expected digest ${claimed}, the bytes received have ${digest}`, { expected: claimed, digest });
  }
  if (isSchema1(mediaType)) throw schema1(repo, tagOrDigest);
  let doc;
  try {
    doc = parseDocument(bytes);
  } catch (err) {
    if ((err as { code?: string }).code === 'SCHEMA1_UNSUPPORTED') throw schema1(repo, tagOrDigest);
    throw err;
  }
  span?.event('manifest.pull', { reference: repo.describe(tagOrDigest), digest, mediaType: mediaType || null, size: bytes.length, kind: doc.kind });
  return { bytes, digest, doc, mediaType };
}

function schema1(repo: RemoteRepository, tagOrDigest: string) {
  return invalid('SCHEMA1_UNSUPPORTED', `${repo.describe(tagOrDigest)} has an image manifest in schema 1 (deprecated since 2017, ` +
    'no longer pulled by Docker either); push it again with a current tool to get a schema 2 or OCI manifest', { reference: repo.describe(tagOrDigest) });
}

// #region resolve
/** The image a tag or digest names, for `platform` (the daemon's own when not given). */
export async function resolveManifest(repo: RemoteRepository, tagOrDigest: string, opts: { platform?: Platform; span?: Span } = {}): Promise<ResolvedManifest> {
  const top = await fetchChecked(repo, tagOrDigest, opts.span);
  if (top.doc.kind === 'manifest') {
    return { digest: top.digest, manifest: top.doc.manifest, manifestDigest: top.digest, manifestBytes: top.bytes, mediaType: top.doc.manifest.mediaType ?? MediaType.ociManifest };
  }
  const want = opts.platform ?? hostPlatform();
  const chosen = selectPlatform(top.doc.index, want);
  opts.span?.event('manifest.platform', { want: platformString(want), chosen: chosen.digest, platform: chosen.platform ? platformString(chosen.platform) : null });
  const inner = await fetchChecked(repo, chosen.digest, opts.span);
  if (inner.doc.kind !== 'manifest') {
    throw invalid('INVALID_INDEX', `${repo.describe(tagOrDigest)}: the index entry for ${platformString(want)} is another index; nested indexes are not supported`, { digest: chosen.digest });
  }
  return {
    digest: top.digest, manifest: inner.doc.manifest, manifestDigest: inner.digest, manifestBytes: inner.bytes,
    mediaType: inner.doc.manifest.mediaType ?? MediaType.ociManifest, ...(chosen.platform ? { platform: chosen.platform } : {}),
  };
}
// #endregion resolve
