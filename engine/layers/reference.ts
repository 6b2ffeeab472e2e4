// Image references: the names people type (`busybox`, `localhost:5000/a/b:t`, `name@sha256:…`)
// and how Docker normalises them (`busybox` = docker.io/library/busybox:latest). Chapter 1.
// The grammar is the one of distribution's reference package (docs of `docker tag`):
// [domain/]path[:tag][@digest], path components lowercase, tags up to 128 word characters.
import { invalid } from '../base/index.js';
import { isDigest } from './digest.js';
import type { Digest, Reference } from './types.js';

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

// One path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// A domain: dotted host labels (letters allowed in any case), or a bracketed IPv6, then an optional port.
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 255;

function bad(value: string, why: string): Error {
  return invalid('INVALID_REFERENCE', `invalid reference format: ${why} (${JSON.stringify(value)})`, { value });
}

// #region parse
/**
 * Parses and normalises a reference. `defaultTag` (true unless told) adds `:latest` when the
 * reference has neither a tag nor a digest, as `docker pull busybox` does.
 */
export function parseReference(s: string, opts: { defaultTag?: boolean } = {}): Reference {
  if (typeof s !== 'string' || s === '') throw bad(String(s), 'empty reference');
  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(s, `bad digest ${JSON.stringify(d)}, want sha256:<64 hex digits>`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(s, `bad tag ${JSON.stringify(tag)}`);
  }
  const { domain, path } = splitDomain(rest, s);
  if (rest.length > MAX_NAME) throw bad(s, `repository name longer than ${MAX_NAME} characters`);
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase() && COMPONENT.test(component.toLowerCase())) throw bad(s, `repository name (${path}) must be lowercase`);
    if (!COMPONENT.test(component)) throw bad(s, `bad repository name component ${JSON.stringify(component)}`);
  }
  if (!tag && !digest && opts.defaultTag !== false) tag = 'latest';
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
// #endregion parse

/**
 * Docker's rule for "is the first component a registry host?": yes when it contains a `.` or a
 * `:`, is `localhost`, or has an uppercase letter (path components never do). Otherwise the
 * name lives on Docker Hub, and a one-component Hub name is an official image under `library/`.
 */
function splitDomain(name: string, original: string): { domain: string; path: string } {
  // #region exercise-1-split-domain
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = name.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw bad(original, `bad registry host ${JSON.stringify(domain)}`);
    }
  }
  if (path === '') throw bad(original, 'empty repository name');
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  return { domain, path };
  // #endregion exercise-1-split-domain
}

function suffix(ref: Reference): string {
  return `${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `docker.io/library/busybox` */
export function repositoryOf(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `docker.io/library/busybox:latest` */
export function fullName(ref: Reference): string {
  return repositoryOf(ref) + suffix(ref);
}

/** The name as Docker shows it: Hub's `docker.io/` and an official image's `library/` left out. */
export function familiarRepository(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryOf(ref);
  const path = ref.path;
  if (path.startsWith(OFFICIAL_PREFIX) && !path.slice(OFFICIAL_PREFIX.length).includes('/')) return path.slice(OFFICIAL_PREFIX.length);
  return path;
}

/** `busybox:latest`, `user/repo:tag`, `localhost:5000/x:1` */
export function familiarName(ref: Reference): string {
  return familiarRepository(ref) + suffix(ref);
}
