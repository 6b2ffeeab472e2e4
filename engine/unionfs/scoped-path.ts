// Resolving a path *inside* a container's root, chapter 2 (`docker cp`). The host kernel would
// follow a symlink `/escape -> /` in the container's tree to the host's `/`; here every link is
// read and followed by hand, with `/` meaning the container's root and `..` stopping there —
// what the path means to a process inside the container (the same idea as Go's
// securejoin, written out). The result is a host path that is always under the root.
//
// Worked example, root R, where the container has /etc/alt -> ../../../etc and /x -> /:
//   /etc/alt/passwd → R/etc/passwd      (the climb stops at the root)
//   /x/etc/shadow   → R/etc/shadow      (an absolute target restarts at the root)
//   /x              → R/x               (the last link itself, unless asked to follow it)
import { lstatSync, readlinkSync } from 'node:fs';
import { invalid } from '../base/index.js';

/** The kernel's limit (MAXSYMLINKS) on links followed in one lookup. */
const MAX_LINKS = 40;

export interface ScopedPath {
  /** The host path, under the root. */
  host: string;
  /** The same place as a clean absolute path inside the container: `/etc/passwd`. */
  inside: string;
}

function split(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

// #region scoped-resolve
/**
 * Resolves `path` (as a process in the container would) to a host path under `root`. Symlinks in
 * the middle are always followed, within the root; the last component's link is followed only
 * when `followLast` is set. Components that do not exist are kept as they are (the caller's
 * lstat reports the missing file).
 */
export function resolveInRoot(root: string, path: string, opts: { followLast?: boolean } = {}): ScopedPath {
  if (path.includes('\0')) throw invalid('CP_BAD_PATH', `path contains a NUL byte: ${JSON.stringify(path)}`, { path });
  const done: string[] = [];
  let todo = split(path);
  let links = 0;
  while (todo.length > 0) {
    const seg = todo.shift()!;
    if (seg === '..') {
      done.pop(); // at the root, `..` is the root: nothing to pop
      continue;
    }
    const host = `${root}/${[...done, seg].join('/')}`;
    const st = lstatSync(host, { throwIfNoEntry: false });
    const isLast = todo.length === 0;
    if (!st || !st.isSymbolicLink() || (isLast && !opts.followLast)) {
      done.push(seg);
      continue;
    }
    if (++links > MAX_LINKS) throw invalid('CP_TOO_MANY_LINKS', `too many levels of symbolic links resolving ${path}`, { path });
    const target = readlinkSync(host);
    // An absolute target restarts at the container's root; a relative one continues from the
    // link's directory. Either way the rest of the path comes after it.
    if (target.startsWith('/')) done.length = 0;
    todo = [...split(target), ...todo];
  }
  const inside = `/${done.join('/')}`;
  return { host: done.length ? `${root}/${done.join('/')}` : root, inside };
}
// #endregion scoped-resolve

/** `/a/b/` and `/a/b/.` ask for the directory's contents (and follow a last symlink). */
export function asksForContents(path: string): { trailingSlash: boolean; dotEnd: boolean } {
  return { trailingSlash: path.endsWith('/'), dotEnd: path === '.' || path.endsWith('/.') };
}
