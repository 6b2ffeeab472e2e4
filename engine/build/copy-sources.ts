// COPY and ADD sources, chapter 5 (build): from the text of `COPY src... dest` to the files it
// names, and the checksum the build cache keys the step on. The classic builder's rules (moby's
// daemon/builder/dockerfile/copy.go), in the order it applies them:
//
//   1. a URL is refused for COPY ("source can't be a URL for COPY"); ADD of a URL is not
//      supported here yet and is refused with a message saying so;
//   2. one leading `/` and then one leading `./` are dropped: sources are relative to the root
//      of the context (or of the --from stage or image), whatever they look like;
//   3. a source with `*`, `?` or `[` is a wildcard: every path of the root (walked in name
//      order) that Go's filepath.Match accepts is a source of its own;
//   4. otherwise the cleaned text must stay inside the root ("forbidden path outside the build
//      context: ../x ()"), symlinks are followed *within* the root, and the result must exist
//      ("file not found in build context or excluded by .dockerignore: stat x: file does not
//      exist") — a file excluded by .dockerignore was never sent, so it does not exist here;
//   5. no source at all is "no source files were specified"; every error so far reads
//      "COPY failed: …" (or "ADD failed: …");
//   6. more than one source needs a destination ending in `/`; a wildcard matching one file
//      does not.
//
// The checksum is Docker's: each file is hashed as a tarsum v1 entry would be — sha256 over
// "name" "mode" "uid" "gid" "size" "typeflag" "linkname" "uname" "gname" "devmajor" "devminor"
// (each key followed by its value; the names empty, no mtime) and then the file's bytes — and a
// source is `file:<hex>`, a directory `dir:<sha256 of its entries' hashes, sorted, joined by
// ",">`, several sources `multi:<sha256 of theirs joined by ",">`. Modification times are not
// in it: Docker documents that touching a file does not invalidate the cache. Extended
// attributes (Docker hashes security.capability) are not covered.
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { EngineError, invalid, notFound } from '../base/index.js';
import { cleanInside, hostPath } from './context-path.js';
import { compileGlob, hasWildcards } from './path-match.js';

export type CopyKeyword = 'COPY' | 'ADD';

export interface CopySourceRequest {
  instruction: CopyKeyword;
  /** The unpacked build context — or, with `fromImage`, the root of the --from stage or image. */
  root: string;
  /** The sources come from a stage or image (--from): owners are kept, errors are worded so. */
  fromImage?: boolean;
  sources: readonly string[];
  /** The destination as written: only whether it ends in `/` matters here (rule 6). */
  dest: string;
}

export interface CopySource {
  /** The source path, relative to the root, as matched or written (cleaned of `./` and `/`). */
  path: string;
  /** Where it is on the host, symlinks followed inside the root. */
  host: string;
  /** What `host` is: a directory's *contents* are copied; a file may be an archive for ADD. */
  kind: 'file' | 'dir';
  /** Its Docker cache hash, `file:<hex>` or `dir:<hex>`. */
  hash: string;
}

/** The plan for one COPY/ADD's sources: what the cache is keyed on, before anything is copied. */
export interface CopySourcePlan {
  instruction: CopyKeyword;
  fromImage: boolean;
  sources: CopySource[];
  /** One source's hash, or `multi:<hex>` for several: the build cache key and history text. */
  checksum: string;
}

const failed = (instruction: CopyKeyword, err: EngineError) =>
  new EngineError({ code: err.code, kind: err.kind, message: `${instruction} failed: ${err.message}`, data: err.data, cause: err });

/** A string's sha256 in hex. */
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

// #region copy-sources
/** Resolves the sources of one COPY or ADD (rules 1–6) and computes their checksum. */
export function resolveCopySources(req: CopySourceRequest): CopySourcePlan {
  const hashes = new Map<string, string>();
  const sources: CopySource[] = [];
  for (const orig of req.sources) {
    try {
      sources.push(...sourcesFor(req, orig, hashes));
    } catch (err) {
      throw err instanceof EngineError ? failed(req.instruction, err) : err;
    }
  }
  if (sources.length === 0) throw failed(req.instruction, invalid('COPY_NO_SOURCES', 'no source files were specified', { sources: req.sources }));
  if (sources.length > 1 && !req.dest.endsWith('/')) {
    throw invalid('COPY_DEST_NOT_DIRECTORY', `When using ${req.instruction} with more than one source file, the destination must be a directory and end with a /`, { dest: req.dest, sources: sources.map((s) => s.path) });
  }
  const checksum = sources.length === 1 ? sources[0]!.hash : `multi:${sha(sources.map((s) => s.hash).join(','))}`;
  return { instruction: req.instruction, fromImage: !!req.fromImage, sources, checksum };
}
// #endregion copy-sources

/** Rules 1–4 for one source as written. */
function sourcesFor(req: CopySourceRequest, orig: string, hashes: Map<string, string>): CopySource[] {
  if (/^https?:\/\//.test(orig)) {
    if (req.instruction === 'COPY') throw invalid('COPY_SOURCE_URL', "source can't be a URL for COPY", { source: orig });
    throw invalid('ADD_URL_UNSUPPORTED', `ADD of a URL is not supported by Dockling yet: ${orig} (download it and COPY it, or use RUN)`, { source: orig });
  }
  let path = orig.startsWith('/') ? orig.slice(1) : orig;
  if (path.startsWith('./')) path = path.slice(2);
  if (hasWildcards(path)) return matchWildcard(req, path, hashes);
  return [single(req, path, hashes)];
}

/** Rule 4: one path, which must stay inside the root and exist there. */
function single(req: CopySourceRequest, path: string, hashes: Map<string, string>): CopySource {
  const rel = cleanInside(path);
  if (rel === null) throw invalid('COPY_OUTSIDE_CONTEXT', `forbidden path outside the build context: ${path} ()`, { source: path });
  const { host } = hostPath(req.root, rel);
  let st: Stats;
  try {
    st = statSync(host);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not a directory' : 'file does not exist';
    const message = req.fromImage ? `stat ${path}: ${why}` : `file not found in build context or excluded by .dockerignore: stat ${path}: ${why}`;
    throw notFound('COPY_SOURCE_NOT_FOUND', message, { source: path });
  }
  if (!st.isDirectory()) return { path, host, kind: 'file', hash: `file:${entryHash(req.root, rel, hashes)}` };
  return { path, host, kind: 'dir', hash: dirHash(req.root, rel, hashes) };
}

/**
 * Rule 3: every path under the root that the pattern matches, in walk order (names sorted, a
 * directory before what is in it). `*` never crosses a `/`, so the walk stops at the pattern's
 * depth (unless a negated class, which may match a `/`, makes that unsafe).
 */
function matchWildcard(req: CopySourceRequest, pattern: string, hashes: Map<string, string>): CopySource[] {
  const re = compileGlob(pattern);
  const maxDepth = pattern.includes('[^') ? Infinity : pattern.split('/').length;
  const out: CopySource[] = [];
  const walk = (rel: string, depth: number): void => {
    const abs = rel === '' ? req.root : `${req.root}/${rel}`;
    for (const name of readdirSync(abs).sort(byBytes)) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (re.test(child)) out.push(single(req, child, hashes));
      if (depth < maxDepth && lstatSync(`${req.root}/${child}`).isDirectory()) walk(child, depth + 1);
    }
  };
  walk('', 1);
  return out;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A directory's hash: its entries' hashes (the directory's own first, unless it is the root). */
function dirHash(root: string, rel: string, hashes: Map<string, string>): string {
  const { rel: real } = hostPath(root, rel);
  const sums: string[] = real === '' ? [] : [entryHash(root, real, hashes)];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir === '' ? root : `${root}/${dir}`).sort(byBytes)) {
      const child = dir === '' ? name : `${dir}/${name}`;
      sums.push(entryHash(root, child, hashes));
      if (lstatSync(`${root}/${child}`).isDirectory()) walk(child);
    }
  };
  walk(real);
  return `dir:${sha(sums.sort().join(','))}`;
}

/** tarsum's one-letter type flags. */
function typeflag(st: Stats): string {
  if (st.isFile()) return '0';
  if (st.isSymbolicLink()) return '2';
  if (st.isCharacterDevice()) return '3';
  if (st.isBlockDevice()) return '4';
  if (st.isDirectory()) return '5';
  return '6';
}

// #region entry-hash
/**
 * One entry's tarsum-v1 hash, as Docker's builder computes it from the filesystem: the path is
 * resolved first (a symlink is hashed as what it points to, under that name), and a path that
 * leads nowhere hashes as its own text.
 */
export function entryHash(root: string, rel: string, hashes: Map<string, string> = new Map()): string {
  const { host, rel: real } = hostPath(root, rel);
  const known = hashes.get(real);
  if (known !== undefined) return known;
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (!st) return real;
  const dev = st.isCharacterDevice() || st.isBlockDevice();
  const fields: [string, string | number][] = [
    ['name', st.isDirectory() ? `${real}/` : real],
    ['mode', st.mode & 0o7777],
    ['uid', st.uid],
    ['gid', st.gid],
    ['size', st.isFile() ? st.size : 0],
    ['typeflag', typeflag(st)],
    ['linkname', st.isSymbolicLink() ? readlinkSync(host) : ''],
    ['uname', ''],
    ['gname', ''],
    ['devmajor', dev ? Math.floor(st.rdev / 256) & 0xfff : 0],
    ['devminor', dev ? (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) : 0],
  ];
  const h = createHash('sha256');
  for (const [k, v] of fields) h.update(`${k}${v}`);
  if (st.isFile() && st.size > 0) hashFile(h, host);
  const sum = h.digest('hex');
  hashes.set(real, sum);
  return sum;
}
// #endregion entry-hash

/** Feeds a file to a hash in 1 MiB reads. */
function hashFile(h: ReturnType<typeof createHash>, host: string): void {
  const fd = openSync(host, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** The name a single file source lands under in a directory destination (the source's own). */
export const sourceName = (s: CopySource) => basename(s.path);
