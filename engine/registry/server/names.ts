// The grammar of what a URL names: repository names, tags, and references (a tag or a digest),
// from the distribution spec's "Pulling manifests" section. Everything taken from a URL goes
// through here before it becomes a path on disk, so `..` or a stray `/` never reaches the
// filesystem: the repository name is the only part allowed slashes, and only between
// components that start with a letter or digit (never `_`, which the layout keeps for itself).
import { isDigest, type Digest } from '../../layers/index.js';
import { registryError } from './errors.js';

// One path component: lowercase letters and digits, separated by `.`, `_`, `__` or dashes.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Any algorithm the spec's grammar allows; we store only sha256 (see parseDigestParam). */
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** True for a name the grammar allows. The spec caps a name at 255 characters, slashes included. */
export function isName(name: string): boolean {
  return name.length <= 255 && NAME_RE.test(name);
}

export function checkName(name: string): string {
  if (!isName(name)) {
    throw registryError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}`, { name });
  }
  return name;
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** A manifest reference is a tag or a digest. */
export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/**
 * A tag that breaks the grammar names nothing: reading it is MANIFEST_UNKNOWN, pushing to it
 * is MANIFEST_INVALID (`badTag` says which).
 */
export function parseReference(ref: string, badTag: 'MANIFEST_UNKNOWN' | 'MANIFEST_INVALID' = 'MANIFEST_UNKNOWN'): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: parseDigestParam(ref, 'MANIFEST_UNKNOWN') };
  if (!isTag(ref)) throw registryError(badTag, `invalid tag ${JSON.stringify(ref)}`, { tag: ref });
  return { kind: 'tag', tag: ref };
}

/**
 * A digest from a URL. Malformed ones are DIGEST_INVALID; well-formed digests of another
 * algorithm (sha512) are valid grammar but name nothing this registry can store, so they are
 * `unknown` (the code the caller gives: BLOB_UNKNOWN, MANIFEST_UNKNOWN …).
 */
export function parseDigestParam(s: string | null, unknown: 'BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN' | 'DIGEST_INVALID' = 'DIGEST_INVALID'): Digest {
  if (s !== null && isDigest(s)) return s;
  if (s !== null && ANY_DIGEST_RE.test(s) && !s.startsWith('sha256:')) {
    throw registryError(unknown, `unsupported digest algorithm in ${JSON.stringify(s)} (this registry stores sha256)`, { digest: s });
  }
  throw registryError('DIGEST_INVALID', `invalid digest ${JSON.stringify(s)}: want sha256:<64 hex digits>`, { digest: s });
}
