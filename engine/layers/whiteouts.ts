// Whiteouts: how a layer says "this path is gone" (chapter 1 "layers", used by chapter 2 "union
// fs"). A tar can only add files, so deletions travel as marker entries (OCI image-spec
// layer.md, "Whiteouts"):
//   - `dir/.wh.name`     — `dir/name` existed in a lower layer and is deleted;
//   - `dir/.wh..wh..opq` — `dir` is *opaque*: everything lower layers had in it is hidden, and
//                          only what this same layer puts in it remains;
//   - any other `.wh..wh.*` name, and anything under one, is AUFS bookkeeping (its hard-link
//     dir `.wh..wh.plnk/`): ignored.
// A whiteout applies to lower layers only: a file this same layer adds stays, whatever the order
// of the entries in the tar.
//
// overlayfs spells the same two facts differently, and a layer unpacked for an overlay mount
// (or an upperdir packed back into a layer) must be converted:
//   - a deleted path is a character device with device number 0/0;
//   - an opaque directory carries the xattr `trusted.overlay.opaque=y`.
// All of those rules are in this file and nowhere else.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { parentOf } from './tar-safety.js';

// #region markers
export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** overlayfs's whiteout: a character device numbered 0/0. */
export const OVERLAY_WHITEOUT = { kind: 'character-device', major: 0, minor: 0 } as const;

/** What a tar entry name means as far as whiteouts go. */
export type WhiteoutEntry =
  | { kind: 'whiteout'; target: string } // delete `target` from lower layers
  | { kind: 'opaque'; dir: string } // hide lower contents of `dir`
  | { kind: 'meta' }; // AUFS bookkeeping: skip

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
// #endregion markers

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Classifies a cleaned entry name; null when it is an ordinary entry. */
export function classifyWhiteout(name: string): WhiteoutEntry | null {
  // #region exercise-1-whiteouts
  const base = baseOf(name);
  const dir = parentOf(name);
  // Anything inside an AUFS metadata directory (`.wh..wh.plnk/…`) is bookkeeping too.
  if (dir.split('/').some((seg) => seg.startsWith(WHITEOUT_META_PREFIX))) return { kind: 'meta' };
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') return { kind: 'meta' };
  return { kind: 'whiteout', target: join(dir, target) };
  // #endregion exercise-1-whiteouts
}

/** The tar entry name that deletes `path` (cleaned, relative): `a/b` → `a/.wh.b`. */
export function whiteoutEntryName(path: string): string {
  return join(parentOf(path), WHITEOUT_PREFIX + baseOf(path));
}

/** The tar entry name that marks `dir` opaque: `a` → `a/.wh..wh..opq`. */
export function opaqueEntryName(dir: string): string {
  return join(dir, OPAQUE_MARKER);
}

/** Whether a file in an overlay upperdir is a whiteout (a 0/0 character device). */
export function isOverlayWhiteout(st: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

/** Whether a directory's xattrs mark it opaque for overlayfs. */
export function isOverlayOpaque(xattrs: Record<string, Buffer> | undefined): boolean {
  return xattrs?.[OVERLAY_OPAQUE_XATTR]?.toString() === 'y';
}

/**
 * 'apply' mode: hides lower content at `path` (relative to `root`). Whatever this layer itself
 * added (`added`) is kept; a directory this layer added (or merged into) is kept but its lower
 * children are hidden in turn. `removed` is told of every path taken away, so the caller can
 * drop it from its caches. Returns the number of paths removed.
 */
export function hideLower(args: {
  root: string;
  path: string;
  added: ReadonlySet<string>;
  removed: (path: string) => void;
}): number {
  const { root, added, removed } = args;
  const abs = (p: string) => (p === '' ? root : `${root}/${p}`);
  const visit = (p: string): number => {
    const st = lstatSync(abs(p), { throwIfNoEntry: false });
    if (!st) return 0;
    if (!added.has(p)) {
      rmSync(abs(p), { recursive: true, force: true });
      removed(p);
      return 1;
    }
    if (!st.isDirectory()) return 0;
    let n = 0;
    for (const name of readdirSync(abs(p))) n += visit(join(p, name));
    return n;
  };
  return visit(args.path);
}

/** 'apply' mode for an opaque marker: hide every lower child of `dir`, keep this layer's. */
export function hideLowerChildren(args: {
  root: string;
  dir: string;
  added: ReadonlySet<string>;
  removed: (path: string) => void;
}): number {
  const dirAbs = args.dir === '' ? args.root : `${args.root}/${args.dir}`;
  let n = 0;
  for (const name of readdirSync(dirAbs)) n += hideLower({ ...args, path: join(args.dir, name) });
  return n;
}
