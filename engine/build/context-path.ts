// Paths inside a build context or a stage's root (chapter 5, build). A Dockerfile names files
// as text: `COPY ./src/../app /` or `COPY ../secret /`. Docker cleans that text the way Go's
// filepath.Clean does, joins it to the root and refuses it when the *text* climbs out
// ("forbidden path outside the build context"). Symlinks met on the way are then followed the
// way a process chrooted into the root would see them (moby's FollowSymlinkInScope): a link to
// `/etc/passwd` means the root's own etc/passwd, and `..` stops at the root — so a link can make
// a path point at a different file of the context, never at one outside it. The resolving is
// chapter 2's resolveInRoot, written for `docker cp`.
import { resolveInRoot } from '../unionfs/index.js';

export { cleanPath, cleanInside } from './clean-path.js';

/**
 * The host path of a cleaned root-relative path, its symlinks followed within the root. A path
 * through a file (`etc/passwd/x`) cannot be resolved: it is returned as written, for the
 * caller's stat or mkdir to report "not a directory".
 */
export function hostPath(root: string, rel: string, followLast = true): { host: string; rel: string } {
  try {
    const r = resolveInRoot(root, `/${rel}`, { followLast });
    return { host: r.host, rel: r.inside.slice(1) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    return { host: rel === '' ? root : `${root}/${rel}`, rel };
  }
}
