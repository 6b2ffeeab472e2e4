// The build context, the daemon's half (chapter 5, build). The body of `POST /build` is a tar
// (plain or gzip) that anyone able to reach the socket wrote. It is unpacked into a fresh
// directory, where COPY and ADD look for their sources, and no entry may put a byte outside
// that directory. Chapter 1's tar-safety rules apply to every entry name and link target:
//
//   - a name is cleaned; an absolute name, or one whose `..` climbs out, is refused;
//   - a relative symlink target may not climb out of the directory (from the link's place);
//   - nothing is written *through* a symlink: every parent must be a directory of this unpack;
//   - a hard link must name an earlier entry of this tar that is not a directory.
//
// The directory starts empty, so this unpack knows every path in it: the table `kinds` is the
// truth, and no lstat of the disk is needed to know whether a parent is a real directory. A
// refused entry is a BUILD_CONTEXT_INVALID naming it; a context over the limits a
// BUILD_CONTEXT_TOO_LARGE. Then readContextDockerfile reads the Dockerfile and, as the daemon
// does, deletes it and `.dockerignore` from the context when `.dockerignore` excludes them.
import { chmodSync, createWriteStream, lchownSync, linkSync, lutimesSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract as tarExtract, type Entry } from 'tar-stream';
import { EngineError, invalid, notFound } from '../base/index.js';
import { checkSymlinkTarget, cleanEntryName, cleanHardlinkTarget } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import { compileIgnore, isExcluded, parseDockerignore } from './dockerignore.js';
import { openTarStream } from './decompress.js';
import { cleanInside, hostPath } from './context-path.js';

export interface ContextLimits {
  /** Most entries one context may hold. */
  entries: number;
  /** Most bytes of file content, all files together. */
  bytes: number;
}

/** Generous: a sanity bound against a stream that never ends, not a policy. */
export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { entries: 1_000_000, bytes: 32 * 2 ** 30 };

export interface UnpackContextOptions {
  input: Readable;
  /** An empty directory made for this build. */
  dir: string;
  limits?: Partial<ContextLimits>;
  span?: Span;
}

export interface UnpackedContext {
  entries: number;
  bytes: number;
  compression: 'none' | 'gzip';
}

type Kind = 'dir' | 'file' | 'symlink';

const refuse = (entry: string, why: string, cause?: unknown) =>
  invalid('BUILD_CONTEXT_INVALID', `invalid build context: entry ${JSON.stringify(entry)}: ${why}`, { entry, reason: (cause as EngineError | undefined)?.code }, cause);

// #region unpack-context
/** Unpacks a context tar into `dir` (empty). On failure `dir` holds part of it: remove it. */
export async function unpackContext(opts: UnpackContextOptions): Promise<UnpackedContext> {
  if (readdirSync(opts.dir).length > 0) throw invalid('BUILD_CONTEXT_DIR_NOT_EMPTY', `context directory ${opts.dir} is not empty`, { dir: opts.dir });
  const limits = { ...DEFAULT_CONTEXT_LIMITS, ...opts.limits };
  const { tar, compression } = await openTarStream(opts.input);
  if (compression !== 'none' && compression !== 'gzip') {
    tar.destroy();
    throw invalid('BUILD_CONTEXT_INVALID', `invalid build context: ${compression}-compressed; send a plain or gzip tar`, { compression });
  }
  const extract = tarExtract();
  const reading = pipeline(tar, extract);
  const writer = new ContextUnpacker(opts.dir, limits);
  try {
    for await (const entry of extract) await writer.entry(entry);
    await reading;
  } catch (err) {
    extract.destroy();
    await reading.catch(() => {});
    if (err instanceof EngineError) throw err;
    throw invalid('BUILD_CONTEXT_INVALID', `invalid build context: ${(err as Error).message}`, {}, err);
  }
  writer.finish();
  const result = { entries: writer.entries, bytes: writer.bytes, compression };
  opts.span?.event('build.context.unpacked', { dir: opts.dir, ...result, skipped: writer.skipped });
  return result;
}
// #endregion unpack-context

class ContextUnpacker {
  entries = 0;
  bytes = 0;
  skipped = 0;
  /** Every path this unpack made, and what it is. */
  private readonly kinds = new Map<string, Kind>([['', 'dir']]);
  /** Directory times, set last: writing a child changes its directory's mtime. */
  private readonly dirTimes = new Map<string, Date>();

  constructor(
    private readonly root: string,
    private readonly limits: ContextLimits,
  ) {}

  private abs(p: string): string {
    return p === '' ? this.root : `${this.root}/${p}`;
  }

  async entry(e: Entry): Promise<void> {
    const h = e.header;
    if (h.type === 'pax-global-header') return void e.resume();
    let p: string;
    try {
      p = cleanEntryName(h.name);
    } catch (err) {
      e.resume();
      throw refuse(h.name, (err as Error).message, err);
    }
    if (++this.entries > this.limits.entries) throw tooLarge(h.name, `more than ${this.limits.entries} entries`);
    if (p === '') return void e.resume(); // the `./` entry: the directory is ours already
    const type = h.type === 'contiguous-file' ? 'file' : h.type;
    if (type === 'file') {
      this.bytes += h.size ?? 0;
      if (this.bytes > this.limits.bytes) throw tooLarge(h.name, `more than ${this.limits.bytes} bytes of files`);
    } else e.resume();
    this.parents(h.name, p);
    this.replace(p, type === 'directory');
    const abs = this.abs(p);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date(0);
    switch (type) {
      case 'file':
        await pipeline(e, createWriteStream(abs, { flags: 'wx', mode: 0o600 }));
        this.kinds.set(p, 'file');
        break;
      case 'directory':
        if (this.kinds.get(p) !== 'dir') mkdirSync(abs, 0o700);
        this.kinds.set(p, 'dir');
        this.dirTimes.set(p, mtime);
        break;
      case 'symlink':
        try {
          checkSymlinkTarget(p, h.linkname ?? '');
        } catch (err) {
          throw refuse(h.name, (err as Error).message, err);
        }
        symlinkSync(h.linkname!, abs);
        this.kinds.set(p, 'symlink');
        break;
      case 'link': {
        const target = this.hardlinkTarget(h.name, p, h.linkname ?? '');
        linkSync(this.abs(target), abs);
        // A second name of a symlink is a symlink: chmod or utimes would follow it.
        this.kinds.set(p, this.kinds.get(target)!);
        break;
      }
      default:
        // Devices, FIFOs: COPY has no use for them, and making them takes mknod. Said, not kept.
        this.skipped++;
        return;
    }
    const pax = (h as { pax?: Record<string, string> | null }).pax;
    lchownSync(abs, Number(pax?.uid ?? h.uid ?? 0), Number(pax?.gid ?? h.gid ?? 0));
    if (this.kinds.get(p) === 'symlink') return lutimesSync(abs, mtime, mtime);
    chmodSync(abs, mode); // after chown, which clears setuid and setgid
    if (type !== 'directory') utimesSync(abs, mtime, mtime);
  }

  /** Every parent must be a directory of this unpack; missing ones are made (0755, as tar does). */
  private parents(name: string, p: string): void {
    const segs = p.split('/').slice(0, -1);
    for (let i = 1; i <= segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      const kind = this.kinds.get(dir);
      if (kind === 'dir') continue;
      if (kind) throw refuse(name, `parent ${dir} is a ${kind === 'symlink' ? 'symlink' : 'file'}, not a directory`);
      mkdirSync(this.abs(dir), 0o755);
      chmodSync(this.abs(dir), 0o755);
      this.kinds.set(dir, 'dir');
    }
  }

  /** A second entry for a path replaces the first (two directories merge). */
  private replace(p: string, isDir: boolean): void {
    const kind = this.kinds.get(p);
    if (!kind || (kind === 'dir' && isDir)) return;
    rmSync(this.abs(p), { recursive: true, force: true });
    for (const k of [...this.kinds.keys()]) if (k === p || k.startsWith(`${p}/`)) this.kinds.delete(k);
    for (const k of [...this.dirTimes.keys()]) if (k === p || k.startsWith(`${p}/`)) this.dirTimes.delete(k);
  }

  /** A hard link's target: cleaned, inside, an earlier entry of this tar, not a directory. */
  private hardlinkTarget(name: string, p: string, linkname: string): string {
    let target: string;
    try {
      target = cleanHardlinkTarget(p, linkname);
    } catch (err) {
      throw refuse(name, (err as Error).message, err);
    }
    const kind = this.kinds.get(target);
    if (!kind) throw refuse(name, `hard link to ${JSON.stringify(linkname)}, which is not in the context before it`);
    if (kind === 'dir') throw refuse(name, `hard link to directory ${JSON.stringify(linkname)}`);
    return target;
  }

  /** Directory times last, deepest first. */
  finish(): void {
    const dirs = [...this.dirTimes.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [p, t] of dirs) utimesSync(this.abs(p), t, t);
  }
}

const tooLarge = (entry: string, what: string) =>
  invalid('BUILD_CONTEXT_TOO_LARGE', `build context too large at entry ${JSON.stringify(entry)}: ${what}`, { entry });

// #region read-dockerfile
/**
 * The daemon's next step: read the Dockerfile from the unpacked context (`name` as the
 * `dockerfile` parameter gave it; a missing `Dockerfile` falls back to `dockerfile`), then
 * delete it and `.dockerignore` from the context if `.dockerignore` excludes them, so a
 * `COPY . /` does not copy them (moby's removeDockerfile).
 */
export function readContextDockerfile(args: { dir: string; name?: string }): { name: string; text: string } {
  let name = args.name || 'Dockerfile';
  let host = contextPath(args.dir, name);
  let text: Buffer | null = readIfFile(host);
  if (text === null && name === 'Dockerfile') {
    host = contextPath(args.dir, 'dockerfile');
    text = readIfFile(host);
    if (text !== null) name = 'dockerfile';
  }
  if (text === null) throw notFound('BUILD_DOCKERFILE_NOT_FOUND', `Cannot locate specified Dockerfile: ${name}`, { dockerfile: name });
  if (text.length === 0) throw invalid('BUILD_DOCKERFILE_EMPTY', `the Dockerfile (${name}) cannot be empty`, { dockerfile: name });
  removeIgnoredBuildFiles(args.dir, name);
  return { name, text: text.toString('utf8') };
}
// #endregion read-dockerfile

/** A context-relative path on the host, symlinks followed inside the context (never out of it). */
function contextPath(dir: string, name: string): string {
  const rel = cleanInside(name);
  if (rel === null) throw invalid('BUILD_PATH_OUTSIDE_CONTEXT', `forbidden path outside the build context: ${name} ()`, { path: name });
  return hostPath(dir, rel).host;
}

function readIfFile(host: string): Buffer | null {
  try {
    return readFileSync(host);
  } catch {
    return null;
  }
}

/** Deletes `.dockerignore` and the Dockerfile from the context when `.dockerignore` excludes them. */
function removeIgnoredBuildFiles(dir: string, dockerfile: string): void {
  const text = readIfFile(contextPath(dir, '.dockerignore'));
  if (text === null) return;
  let rules;
  try {
    rules = compileIgnore(parseDockerignore(text.toString('utf8')));
  } catch {
    return; // the daemon ignores a malformed .dockerignore here (the CLI already used it)
  }
  for (const file of ['.dockerignore', dockerfile]) {
    if (isExcluded(rules, file)) rmSync(contextPath(dir, file), { recursive: true, force: true });
  }
}
