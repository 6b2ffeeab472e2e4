// Token scopes (chapter 4; distribution's "Token Scope Documentation"): what a token is good
// for. A client asks for a scope, the token service grants part or all of it, and the token
// carries what was granted in its `access` claim. A scope is written TYPE:NAME:ACTIONS:
//
//   repository:room/app:pull          read one repository
//   repository:room/app:pull,push     read and write it (what a push asks for)
//   registry:catalog:*                list every repository's name
//
// A registry request needs exactly one of these, chosen by its method: reads need pull, writes
// need pull and push, DELETE needs delete (the rule distribution's registry follows).
import { isName } from './names.js';

/** One resource and the actions on it: a scope, or one entry of a token's access claim. */
export interface Access {
  /** `repository` or `registry` (the only types this registry knows). */
  type: string;
  /** A repository name (`room/app`), or `catalog` for the registry type. */
  name: string;
  /** `pull`, `push`, `delete`; `*` for the catalog. */
  actions: string[];
}

/** Every action a repository has, in the order tokens list them. */
export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'] as const;

/** What listing the catalog needs. */
export const CATALOG: Access = { type: 'registry', name: 'catalog', actions: ['*'] };

/**
 * Reads `TYPE:NAME:ACTIONS`; null when it has no such shape. The name may itself hold a colon
 * (a scope for `localhost:5000/app` is allowed by the grammar), so the type ends at the first
 * colon and the actions start after the last one.
 */
export function parseScope(text: string): Access | null {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const actions = text.slice(last + 1).split(',');
  if (actions.some((a) => !/^[a-z*]+$/.test(a))) return null;
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions };
}

export function formatScope(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

// #region request-access
/**
 * The access a request on repository `name` needs. Cancelling an upload is a DELETE, but it
 * removes nothing stored, only the caller's own unfinished upload: it needs push, not delete.
 */
export function requestAccess(method: string, name: string, opts: { uploadSession?: boolean } = {}): Access {
  const repository = (actions: string[]) => ({ type: 'repository', name, actions });
  if (method === 'GET' || method === 'HEAD') return repository(['pull']);
  if (method === 'DELETE' && !opts.uploadSession) return repository(['delete']);
  return repository(['pull', 'push']);
}
// #endregion request-access

/**
 * True when `granted` (a token's access claim) allows every action `needed` names. Names are
 * compared exactly as written: no decoding, no case folding, no `..` resolved. A name that is
 * not valid grammar is never granted (see access-rules.ts), so it never matches.
 */
export function covers(granted: readonly Access[], needed: Access): boolean {
  return needed.actions.every((action) => granted.some((g) => g.type === needed.type && g.name === needed.name && g.actions.includes(action)));
}

/** A scope a token service may grant: a repository with a valid name, or the catalog. */
export function isGrantable(a: Access): boolean {
  if (a.type === 'repository') return isName(a.name);
  return a.type === 'registry' && a.name === 'catalog';
}
