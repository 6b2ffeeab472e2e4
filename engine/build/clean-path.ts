// Cleaning a path written in a Dockerfile or a .dockerignore (chapter 5): Go's filepath.Clean,
// and the same inside a root, refusing text that climbs above it. Pure string work, shared by
// the CLI's context packing and the daemon's builder (context-path.ts adds the symlink-aware
// resolving the daemon needs).
import { posix } from 'node:path';

/** Go's filepath.Clean for slash paths: Node's normalize without its kept trailing slash. */
export function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * `path` relative to a root, cleaned ('' for the root itself), or null when the text climbs
 * above the root: `a/../b` → `b`, `/a/./b/` → `a/b`, `../x` and `a/../../x` → null.
 */
export function cleanInside(path: string): string | null {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') out.push(seg);
    else if (out.pop() === undefined) return null;
  }
  return out.join('/');
}
