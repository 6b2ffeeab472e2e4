// Tar safety: the rules that keep a layer inside its directory (chapter 1, "layers").
// A tar entry's name, a symlink's target and a hardlink's target are all just strings an image
// author chose. tar-stream parses them and checks nothing, so every rule lives here:
//   - names are cleaned lexically: no absolute names, no `..` climbing out, no NUL;
//   - a relative symlink target may not climb out of the root from the link's own directory;
//   - no entry may be written *through* a symlink: every parent must be a real directory;
//   - a hardlink must point at an existing non-directory inside the root, not through a symlink.
// The kernel resolves paths at write time, so the last rule is checked on the filesystem (lstat),
// with a cache of directories this unpack already made or verified.
import { lstatSync, mkdirSync } from 'node:fs';
import { invalid } from '../base/index.js';

/** Splits a cleaned relative path into its segments; the root is ''. */
function segments(p: string): string[] {
  return p === '' ? [] : p.split('/');
}

/**
 * Cleans a tar entry name into a relative path without `.`, `..`, empty segments or slashes at
 * either end: `./etc//passwd` → `etc/passwd`. The root entry (`.` or `./`, which GNU tar writes
 * first) becomes ''. Refuses what could land outside the root.
 */
export function cleanEntryName(raw: string, what = 'entry'): string {
  if (raw.includes('\0')) throw invalid('LAYER_BAD_NAME', `${what} name contains a NUL byte: ${JSON.stringify(raw)}`, { name: raw });
  if (raw.startsWith('/')) throw invalid('LAYER_ABSOLUTE_PATH', `${what} name is absolute: ${JSON.stringify(raw)}`, { name: raw });
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw invalid('LAYER_PATH_TRAVERSAL', `${what} name climbs out of the layer: ${JSON.stringify(raw)}`, { name: raw });
      out.pop();
    } else out.push(seg);
  }
  if (out.length === 0 && !/^(\.\/*)+$/.test(raw)) {
    throw invalid('LAYER_BAD_NAME', `${what} name is empty once cleaned: ${JSON.stringify(raw)}`, { name: raw });
  }
  const cleaned = out.join('/');
  checkNameLength(cleaned, what);
  return cleaned;
}

/**
 * Linux's limits, checked before any syscall meets them: a path of PATH_MAX (4096 bytes, the NUL
 * included) or more, or one component over NAME_MAX (255 bytes), would fail deep in the unpack
 * as ENAMETOOLONG — a daemon failure (500) instead of the layer's.
 */
function checkNameLength(name: string, what: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes >= 4096) throw invalid('LAYER_PATH_TOO_LONG', `${what} name is ${bytes} bytes, past Linux's PATH_MAX of 4096: ${JSON.stringify(name.slice(0, 100))}…`, { bytes });
  const long = name.split('/').find((seg) => Buffer.byteLength(seg) > 255);
  if (long !== undefined) throw invalid('LAYER_PATH_TOO_LONG', `${what} name has a component of ${Buffer.byteLength(long)} bytes, past Linux's NAME_MAX of 255: ${JSON.stringify(long.slice(0, 100))}…`, { bytes: Buffer.byteLength(long) });
}

/** The parent of a cleaned path ('' for a top-level name). */
export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/**
 * A relative symlink target is resolved from the link's directory, lexically; it may reach the
 * root but not climb above it. Absolute targets are fine: they are resolved inside the
 * container's root once it is the process's `/`, never on the host during unpack (we never
 * follow a link while writing, see ParentGuard).
 */
export function checkSymlinkTarget(name: string, target: string): void {
  if (target.includes('\0')) throw invalid('LAYER_BAD_NAME', `symlink ${name} target contains a NUL byte`, { name, target });
  if (target === '') throw invalid('LAYER_BAD_NAME', `symlink ${name} has an empty target`, { name, target });
  if (target.startsWith('/')) return;
  const stack = segments(parentOf(name));
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length === 0) throw invalid('LAYER_SYMLINK_ESCAPE', `symlink ${name} -> ${target} points outside the layer`, { name, target });
      stack.pop();
    } else stack.push(seg);
  }
}

/** Cleans a hardlink's target (a name inside the same archive); refuses one outside the root. */
export function cleanHardlinkTarget(name: string, raw: string): string {
  if (raw.startsWith('/') || raw.includes('\0')) {
    throw invalid('LAYER_HARDLINK_ESCAPE', `hardlink ${name} -> ${raw} points outside the layer`, { name, target: raw });
  }
  try {
    const p = cleanEntryName(raw, 'hardlink target');
    if (p === '') throw invalid('LAYER_BAD_HARDLINK', `hardlink ${name} points at the root directory`, { name, target: raw });
    return p;
  } catch (err) {
    if ((err as { code?: string }).code === 'LAYER_PATH_TRAVERSAL') {
      throw invalid('LAYER_HARDLINK_ESCAPE', `hardlink ${name} -> ${raw} points outside the layer`, { name, target: raw });
    }
    throw err;
  }
}

/**
 * Makes sure every parent of an entry is a real directory under the root, creating missing ones
 * (mode 0755, as tar does for implied parents). A parent that is a symlink — from this layer,
 * from a lower layer, or a directory this layer replaced with one — is refused: writing through
 * it would land wherever the link points. Directories made or checked in this unpack are cached
 * so a typical entry costs no extra syscall; `forget` drops a path (and everything under it)
 * when an entry replaces or deletes it.
 */
export class ParentGuard {
  private readonly dirs = new Set<string>(['']);

  /** `created` hears of every directory made for a missing parent. */
  constructor(
    private readonly root: string,
    private readonly created: (dir: string) => void = () => {},
  ) {}

  abs(p: string): string {
    return p === '' ? this.root : `${this.root}/${p}`;
  }

  /**
   * Ensures the parents of `p` (a cleaned path) are real directories. Missing ones are created
   * (mode 0755) unless `create` is false, in which case the answer is false: there is nothing
   * there (a whiteout of a path whose directory does not exist has nothing to hide).
   */
  ensureParents(p: string, create = true): boolean {
    const parent = parentOf(p);
    if (this.dirs.has(parent)) return true;
    let cur = '';
    for (const seg of segments(parent)) {
      cur = cur === '' ? seg : `${cur}/${seg}`;
      if (this.dirs.has(cur)) continue;
      const st = lstatSync(this.abs(cur), { throwIfNoEntry: false });
      if (!st) {
        if (!create) return false;
        mkdirSync(this.abs(cur), 0o755);
        this.created(cur);
      } else if (!st.isDirectory()) {
        throw invalid('LAYER_PATH_THROUGH_SYMLINK', `${p}: parent ${cur} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`, { name: p, parent: cur });
      }
      this.dirs.add(cur);
    }
    return true;
  }

  /** Whether `p`'s parent is already known to be a real directory (ensureParents needs no lstat). */
  knowsParentOf(p: string): boolean {
    return this.dirs.has(parentOf(p));
  }

  /** Records that `p` is now a real directory. */
  noteDir(p: string): void {
    this.dirs.add(p);
  }

  /** Forgets `p` and everything cached below it (it was removed or replaced). */
  forget(p: string): void {
    if (!this.dirs.delete(p)) return;
    const prefix = `${p}/`;
    for (const d of this.dirs) if (d.startsWith(prefix)) this.dirs.delete(d);
  }
}
