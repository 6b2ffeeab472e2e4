// Manifests, indexes and image configs: parsing and checking the JSON documents that tie an
// image together (image-spec manifest.md, image-index.md, config.md; Docker image manifest v2
// schema 2 and manifest lists). Chapter 1. Schema 1 (signed, pre-2017) is refused by name, and
// an index is narrowed to one manifest by platform, the way `docker pull` picks linux/amd64.
import { invalid, notFound } from '../base/index.js';
import { isDigest } from './digest.js';
import { MediaType, isIndex, isManifest, isSchema1 } from './media-types.js';
import type { Descriptor, ImageConfig, ImageIndex, Manifest, Platform } from './types.js';

export type ParsedDocument =
  | { kind: 'manifest'; manifest: Manifest }
  | { kind: 'index'; index: ImageIndex };

function parseJSONish(input: Uint8Array | string | object, what: string): Record<string, unknown> {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw invalid(`INVALID_${what.toUpperCase()}`, `${what} is not valid JSON: ${(err as Error).message}`, {}, err);
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`INVALID_${what.toUpperCase()}`, `${what} must be a JSON object`, {});
  }
  return value as Record<string, unknown>;
}

function refuseSchema1(doc: Record<string, unknown>): void {
  if (doc.schemaVersion === 1 || isSchema1(doc.mediaType as string | undefined)) {
    throw invalid('SCHEMA1_UNSUPPORTED', 'image manifest schema 1 is not supported (it was deprecated in 2017 and removed from Docker); ' +
      'push the image again with a current tool to get a schema 2 or OCI manifest', { mediaType: doc.mediaType ?? null });
  }
}

function checkDescriptor(d: unknown, where: string, code: string): Descriptor {
  const desc = d as Partial<Descriptor> | null;
  if (!desc || typeof desc !== 'object') throw invalid(code, `${where}: descriptor must be an object`, { where });
  if (typeof desc.mediaType !== 'string') throw invalid(code, `${where}: descriptor has no mediaType`, { where });
  if (!isDigest(desc.digest)) throw invalid(code, `${where}: bad digest ${JSON.stringify(desc.digest)}`, { where, digest: desc.digest ?? null });
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw invalid(code, `${where}: bad size ${JSON.stringify(desc.size)}`, { where, size: desc.size ?? null });
  }
  return desc as Descriptor;
}

/** What kind of document this is: by mediaType, else by shape (OCI allows mediaType to be absent). */
export function parseDocument(input: Uint8Array | string | object): ParsedDocument {
  const doc = parseJSONish(input, 'manifest');
  refuseSchema1(doc);
  const mt = doc.mediaType as string | undefined;
  if (isIndex(mt) || (mt === undefined && Array.isArray(doc.manifests))) return { kind: 'index', index: parseIndex(doc) };
  if (isManifest(mt) || (mt === undefined && doc.config !== undefined)) return { kind: 'manifest', manifest: parseManifest(doc) };
  throw invalid('INVALID_MANIFEST', `unknown manifest media type ${JSON.stringify(mt ?? null)}`, { mediaType: mt ?? null });
}

export function parseManifest(input: Uint8Array | string | object): Manifest {
  const doc = parseJSONish(input, 'manifest');
  refuseSchema1(doc);
  if (doc.schemaVersion !== 2) throw invalid('INVALID_MANIFEST', `manifest schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`, {});
  if (doc.mediaType !== undefined && !isManifest(doc.mediaType as string)) {
    throw invalid('INVALID_MANIFEST', `not an image manifest: mediaType ${JSON.stringify(doc.mediaType)}`, { mediaType: doc.mediaType });
  }
  checkDescriptor(doc.config, 'manifest config', 'INVALID_MANIFEST');
  if (!Array.isArray(doc.layers)) throw invalid('INVALID_MANIFEST', 'manifest has no layers array', {});
  doc.layers.forEach((l, i) => checkDescriptor(l, `manifest layer ${i}`, 'INVALID_MANIFEST'));
  return doc as unknown as Manifest;
}

export function parseIndex(input: Uint8Array | string | object): ImageIndex {
  const doc = parseJSONish(input, 'index');
  refuseSchema1(doc);
  if (doc.schemaVersion !== 2) throw invalid('INVALID_INDEX', `index schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`, {});
  if (!Array.isArray(doc.manifests)) throw invalid('INVALID_INDEX', 'index has no manifests array', {});
  doc.manifests.forEach((m, i) => checkDescriptor(m, `index entry ${i}`, 'INVALID_INDEX'));
  return doc as unknown as ImageIndex;
}

export function parseConfig(input: Uint8Array | string | object): ImageConfig {
  const doc = parseJSONish(input, 'config');
  const rootfs = doc.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw invalid('INVALID_CONFIG', 'image config must have rootfs {type: "layers", diff_ids: [...]}', {});
  }
  rootfs.diff_ids.forEach((d, i) => {
    if (!isDigest(d)) throw invalid('INVALID_CONFIG', `image config diff_ids[${i}] is not a sha256 digest: ${JSON.stringify(d)}`, { index: i });
  });
  if (typeof doc.architecture !== 'string' || typeof doc.os !== 'string') {
    throw invalid('INVALID_CONFIG', 'image config must name architecture and os', {});
  }
  return doc as ImageConfig;
}

// #region platform
/** The platform this engine runs on, in OCI words: Node's `x64` is `amd64`, `arm64` is `arm64/v8`. */
export function hostPlatform(): Platform {
  const arch: Record<string, Platform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ia32: { os: 'linux', architecture: '386' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
  };
  return arch[process.arch] ?? { os: 'linux', architecture: process.arch };
}

/**
 * Picks the manifest for `want` from an index. os and architecture must match; a variant must
 * match when both sides name one (arm64 images often omit `v8`). Attestation entries
 * (platform unknown/unknown) never match.
 */
export function selectPlatform(index: ImageIndex, want: Platform = hostPlatform()): Descriptor {
  const candidates = index.manifests.filter((m) => isManifest(m.mediaType) && m.platform);
  const exact = candidates.find((m) => samePlatform(m.platform!, want, true));
  const loose = exact ?? candidates.find((m) => samePlatform(m.platform!, want, false));
  if (loose) return loose;
  const have = candidates.map((m) => platformString(m.platform!));
  throw notFound('NO_MATCHING_PLATFORM', `no manifest for platform ${platformString(want)} in the index (it has: ${have.join(', ') || 'none'})`, {
    want: platformString(want), have,
  });
}
// #endregion platform

function samePlatform(have: Platform, want: Platform, strictVariant: boolean): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (strictVariant) return (have.variant ?? '') === (want.variant ?? '');
  return !have.variant || !want.variant || have.variant === want.variant;
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The config media type that goes with a manifest media type. */
export function configMediaTypeFor(manifestMediaType: string): string {
  return manifestMediaType === MediaType.dockerManifest ? MediaType.dockerConfig : MediaType.ociConfig;
}
