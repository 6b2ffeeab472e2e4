// What the registry checks before it accepts a manifest (distribution spec, "Pushing
// manifests"): the body is JSON of a kind we serve (OCI or Docker schema 2, image or index),
// its media type is the one the client declared in Content-Type, and — the part a registry
// owes its pullers — everything it references is already here (MANIFEST_BLOB_UNKNOWN
// otherwise), so a tag never points at an image that cannot be pulled.
//
// Schema 1 (signed JSON with `fsLayers`, deprecated in 2017) is refused by name. The parsing
// itself is chapter 1's (layers/manifest.ts); this file turns its errors into the spec's.
import { EngineError } from '../../base/index.js';
import {
  MediaType, isDigest, isIndex, isManifest, isSchema1, parseIndex, parseManifest,
  type Descriptor, type Digest,
} from '../../layers/index.js';
import { RegistryError, registryError } from './errors.js';
import type { ManifestInfo } from './types.js';

export interface CheckedManifest {
  mediaType: string;
  info: ManifestInfo;
  /** Blobs that must be in the repository: an image's config and layers. */
  blobs: Digest[];
  /** The size each of those blobs' descriptors declares: a puller trusts it, so it must be true. */
  sizes: Map<Digest, number>;
  /** Manifests that must be in the repository: an index's entries. */
  manifests: Digest[];
  /** OCI 1.1: the manifest this one refers to (need not exist). */
  subject?: Digest;
}

/** A Content-Type without its parameters (`; charset=utf-8`). */
export function bareMediaType(contentType: string | undefined): string | undefined {
  const mt = contentType?.split(';')[0]?.trim().toLowerCase();
  return mt ? mt : undefined;
}

function invalid(message: string, detail: Record<string, unknown> = {}): never {
  throw registryError('MANIFEST_INVALID', message, detail);
}

/** Parses and checks a pushed manifest; does not yet look at what exists (see missingReferences). */
export function checkManifest(body: Buffer, contentType: string | undefined): CheckedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) invalid('manifest must be a JSON object');
  const declared = bareMediaType(contentType);
  const inBody = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (isSchema1(declared) || isSchema1(inBody) || doc.schemaVersion === 1) {
    invalid('image manifest schema 1 is not supported (deprecated in 2017): push the image again with a current tool to get a schema 2 or OCI manifest', { reason: 'schema1' });
  }
  // The client's Content-Type is the media type; a body that says otherwise is a mistake.
  const known = (mt: string | undefined) => isManifest(mt) || isIndex(mt);
  const mediaType = known(declared) ? declared! : inBody;
  if (!mediaType || !known(mediaType)) {
    invalid(`unsupported manifest media type ${JSON.stringify(declared ?? inBody ?? null)}`, { mediaType: declared ?? inBody ?? null });
  }
  if (inBody !== undefined && inBody !== mediaType) {
    invalid(`manifest mediaType ${JSON.stringify(inBody)} does not match Content-Type ${JSON.stringify(mediaType)}`, { mediaType: inBody, contentType: mediaType });
  }
  try {
    return isIndex(mediaType) ? checkedIndex(doc, mediaType, body.length) : checkedImage(doc, mediaType, body.length);
  } catch (err) {
    // layers/manifest.ts speaks in its own codes (INVALID_MANIFEST, INVALID_INDEX): say MANIFEST_INVALID.
    if (err instanceof EngineError && !(err instanceof RegistryError) && err.kind === 'invalid-argument') {
      invalid(err.message, { reason: err.code, ...err.data });
    }
    throw err;
  }
}

function subjectOf(doc: Record<string, unknown>): Digest | undefined {
  if (doc.subject === undefined) return undefined;
  const s = doc.subject as Partial<Descriptor> | null;
  if (!s || typeof s !== 'object' || !isDigest(s.digest)) invalid('manifest subject must be a descriptor with a sha256 digest');
  return s.digest;
}

function annotationsOf(doc: Record<string, unknown>): Record<string, string> | undefined {
  const a = doc.annotations;
  return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, string>) : undefined;
}

function checkedImage(doc: Record<string, unknown>, mediaType: string, size: number): CheckedManifest {
  const m = parseManifest(doc);
  // Foreign (non-distributable) layers live elsewhere, at their `urls`: they are not pushed here.
  const here = (d: Descriptor) => !(Array.isArray(d.urls) && d.urls.length > 0);
  const subject = subjectOf(doc);
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : m.config.mediaType;
  return {
    mediaType,
    blobs: [m.config, ...m.layers].filter(here).map((d) => d.digest),
    sizes: new Map([m.config, ...m.layers].filter(here).map((d) => [d.digest, d.size])),
    manifests: [],
    subject,
    info: { mediaType, size, artifactType, annotations: annotationsOf(doc), subject },
  };
}

function checkedIndex(doc: Record<string, unknown>, mediaType: string, size: number): CheckedManifest {
  const index = parseIndex(doc);
  const subject = subjectOf(doc);
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  return {
    mediaType,
    blobs: [],
    sizes: new Map(),
    manifests: index.manifests.map((d) => d.digest),
    subject,
    info: { mediaType, size, artifactType, annotations: annotationsOf(doc), subject },
  };
}

/** A descriptor as a referrers list shows it: image-spec 1.1 added `artifactType`. */
export type ReferrerDescriptor = Descriptor & { artifactType?: string };

export function referrerDescriptor(d: Digest, info: ManifestInfo): ReferrerDescriptor {
  const desc: ReferrerDescriptor = { mediaType: info.mediaType, digest: d, size: info.size };
  if (info.artifactType) desc.artifactType = info.artifactType;
  if (info.annotations) desc.annotations = info.annotations;
  return desc;
}

/** Every media type a manifest GET can answer with, for an upstream Accept header. */
export const MANIFEST_ACCEPT = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList].join(', ');
