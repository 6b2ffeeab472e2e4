// The build context, the client's half (chapter 5, build). `docker build DIR` does not send a
// directory: the CLI walks DIR, leaves out what `.dockerignore` excludes, and streams the rest
// as one tar in the body of `POST /build`. Everything COPY and ADD can ever see is in that tar,
// which is why a build cannot reach files outside its context. What the docker CLI does, and so
// what this file does:
//
//   1. resolve DIR (symlinks followed; it must be a directory) and the Dockerfile: `-f` is
//      relative to the *current* directory, absent it is DIR/Dockerfile (or DIR/dockerfile);
//   2. read DIR/.dockerignore and add exceptions so that `.dockerignore` and the Dockerfile are
//      always sent (the daemon deletes them after reading, if ignored: context-unpack.ts);
//   3. walk DIR in name order; an excluded directory is skipped whole unless an exception
//      names something inside it, in which case it is entered but not itself sent;
//   4. write each entry: owner 0:0 (the CLI's ChownOpts), mode kept, mtime cut to the second,
//      a second name of a hard-linked file as a link entry, sockets left out;
//   5. a Dockerfile from stdin or from outside DIR goes in last as `.dockerfile.<20 hex>`, and
//      that name is added to `.dockerignore` so the daemon deletes it after reading it.
//
// The result names the Dockerfile inside the tar: the `dockerfile` query parameter to send.
import { closeSync, createReadStream, lstatSync, openSync, readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Headers, type Pack } from 'tar-stream';
import { invalid, notFound } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { specialEntry } from './tar-entry.js';
import { compileIgnore, keepBuildFiles, mustDescend, parseDockerignore, walkMatch, type IgnoreRules, type ParentMatches } from './dockerignore.js';

export interface PackContextOptions {
  /** The context directory, as given (`docker build DIR`). */
  dir: string;
  /** `-f`: the Dockerfile as given, relative to `cwd`. Absent: DIR/Dockerfile. */
  dockerfile?: string;
  /** `-f -`: the Dockerfile's bytes, read from stdin by the caller. */
  dockerfileContent?: Buffer;
  /** The directory `dir` and `dockerfile` are relative to (the user's current directory). */
  cwd: string;
  out: Writable;
  /** `--compress`: gzip the tar (the daemon accepts both). */
  compression?: 'none' | 'gzip';
  /** The mtime of a Dockerfile added from stdin or from outside the context. */
  now?: Date;
  /**
   * The name such an added Dockerfile gets in the tar (default: a random one): a client that
   * streams the tar as it is made names it in its request first (contextDockerfileName).
   */
  addedName?: string;
  span?: Span;
}

export interface PackedContext {
  /** The Dockerfile's name inside the context: the `dockerfile` parameter of POST /build. */
  dockerfile: string;
  /** Entries written, and bytes of file content among them. */
  entries: number;
  bytes: number;
}

/** The CLI's error text starts "unable to prepare context:" for every failure to find things. */
const prepare = (code: string, message: string, data: Record<string, unknown>) =>
  invalid(code, `unable to prepare context: ${message}`, data);

// #region resolve-dockerfile
/** Step 1: the context's real path and the Dockerfile's, relative to it when inside. */
export function resolveContext(opts: Pick<PackContextOptions, 'dir' | 'dockerfile' | 'dockerfileContent' | 'cwd'>): {
  dir: string;
  /** The Dockerfile relative to `dir` ("../x/Dockerfile" when outside), or '-' from stdin. */
  dockerfile: string;
  /** Its real path on the host ('' from stdin). */
  dockerfilePath: string;
} {
  const given = resolve(opts.cwd, opts.dir);
  let dir: string;
  try {
    dir = realpathSync(given);
  } catch {
    throw notFound('BUILD_CONTEXT_NOT_FOUND', `unable to prepare context: path ${JSON.stringify(opts.dir)} not found`, { dir: given });
  }
  if (!statSync(dir).isDirectory()) throw prepare('BUILD_CONTEXT_NOT_DIR', `context must be a directory: ${dir}`, { dir });
  if (opts.dockerfileContent) return { dir, dockerfile: '-', dockerfilePath: '' };
  let file = opts.dockerfile ? resolve(opts.cwd, opts.dockerfile) : join(dir, 'Dockerfile');
  // "Just to be nice", the CLI says: a lowercase `dockerfile` is used when there is no `Dockerfile`.
  if (!opts.dockerfile && !lstatSync(file, { throwIfNoEntry: false }) && lstatSync(join(dir, 'dockerfile'), { throwIfNoEntry: false })) {
    file = join(dir, 'dockerfile');
  }
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw notFound('BUILD_DOCKERFILE_NOT_FOUND', `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${file}: no such file or directory`, { dockerfile: file });
  }
  return { dir, dockerfile: relative(dir, real), dockerfilePath: real };
}
// #endregion resolve-dockerfile

/** `.dockerfile.` and 20 random hex digits, the name the CLI gives a Dockerfile it adds. */
const randomDockerfileName = () => `.dockerfile.${randomBytes(10).toString('hex')}`;

/** A Dockerfile from stdin or from outside the context travels as a file added to the tar. */
const addedToTar = (dockerfile: string) => dockerfile === '-' || dockerfile.startsWith('../') || isAbsolute(dockerfile);

/**
 * The Dockerfile's name inside the tar packContext will write — known before packing, so that a
 * client can send its request (which names it) while the tar is still being made. Pass the
 * `addedName` it returns to packContext.
 */
export function contextDockerfileName(opts: Pick<PackContextOptions, 'dir' | 'dockerfile' | 'dockerfileContent' | 'cwd'>): { dockerfile: string; addedName?: string } {
  const { dockerfile } = resolveContext(opts);
  if (!addedToTar(dockerfile)) return { dockerfile };
  const addedName = randomDockerfileName();
  return { dockerfile: addedName, addedName };
}

// #region pack-context
/** Walks the context into a tar on `out` (steps 1–5 above). */
export async function packContext(opts: PackContextOptions): Promise<PackedContext> {
  const { dir, dockerfile, dockerfilePath } = resolveContext(opts);
  const outside = addedToTar(dockerfile);
  const added = outside ? { name: opts.addedName ?? randomDockerfileName(), body: opts.dockerfileContent ?? readFileSync(dockerfilePath) } : null;
  const ignoreFile = join(dir, '.dockerignore');
  const patterns = lstatSync(ignoreFile, { throwIfNoEntry: false }) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const rules = compileIgnore(keepBuildFiles(patterns, dockerfile, dockerfile === '-'));
  const tar = tarPack();
  const stages: (Pack | Writable)[] = opts.compression === 'gzip' ? [tar, createGzip(), opts.out] : [tar, opts.out];
  const piped = pipeline(stages as [Pack, Writable]);
  const writer = new ContextWriter(tar, dir, rules, added?.name ?? null);
  try {
    // If the output fails, stop walking: an entry's callback would otherwise wait for ever.
    await Promise.race([writer.walk('', null), piped.then(() => new Promise<never>(() => {}))]);
    if (added) {
      const mtime = opts.now ?? new Date();
      await writer.add({ name: added.name, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime, size: added.body.length }, added.body);
      if (!writer.sawIgnoreFile) {
        const body = Buffer.from(`.dockerignore\n${added.name}\n`);
        await writer.add({ name: '.dockerignore', type: 'file', mode: 0o600, uid: 0, gid: 0, mtime, size: body.length }, body);
      }
    }
    tar.finalize();
    await piped;
  } catch (err) {
    tar.destroy(err as Error);
    await piped.catch(() => {});
    throw err;
  }
  const result = { dockerfile: added?.name ?? dockerfile, entries: writer.entries, bytes: writer.bytes };
  opts.span?.event('build.context.packed', { dir, ...result, patterns: patterns.length });
  return result;
}
// #endregion pack-context

/** Go's sort order for names is by bytes, not UTF-16 units. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The mtime the CLI records: Go's archive.FileInfoHeader truncates it to the second. */
export const wholeSeconds = (st: Stats) => new Date(Math.floor(st.mtimeMs / 1000) * 1000);

/** One walk of a context into a tar: the seen inodes (hard links) and the counts. */
class ContextWriter {
  entries = 0;
  bytes = 0;
  sawIgnoreFile = false;
  private readonly inodes = new Map<string, string>();

  constructor(
    private readonly tar: Pack,
    private readonly root: string,
    private readonly rules: IgnoreRules,
    /** A Dockerfile added under this name, to be listed in `.dockerignore`. */
    private readonly addedName: string | null,
  ) {}

  /** Step 3: the directory `rel` ('' for the root), whose own pattern matches are `parent`. */
  async walk(rel: string, parent: ParentMatches | null): Promise<void> {
    const abs = rel === '' ? this.root : join(this.root, rel);
    for (const name of readdirSync(abs).sort(byBytes)) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = this.stat(path);
      const { excluded, matches } = walkMatch(this.rules, path, parent);
      if (excluded) {
        if (st.isDirectory() && mustDescend(this.rules, path)) await this.walk(path, matches);
        continue;
      }
      await this.entry(path, st);
      if (st.isDirectory()) await this.walk(path, matches);
    }
  }

  private stat(path: string): Stats {
    try {
      return lstatSync(join(this.root, path));
    } catch {
      throw invalid('BUILD_CONTEXT_UNREADABLE', `checking context: can't stat '${join(this.root, path)}'`, { path });
    }
  }

  /** Step 4: one entry, as the CLI's tar writer makes it. */
  private async entry(path: string, st: Stats): Promise<void> {
    const abs = join(this.root, path);
    const header: Headers = { name: path, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: wholeSeconds(st), size: 0 };
    if (!st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.inodes.get(key);
      if (first !== undefined) return this.add({ ...header, type: 'link', linkname: first });
      this.inodes.set(key, path);
    }
    if (st.isFile()) {
      if (path === '.dockerignore' && this.addedName) {
        this.sawIgnoreFile = true;
        const body = Buffer.concat([this.read(abs), Buffer.from(`\n${this.addedName}\n`)]);
        return this.add({ ...header, type: 'file', size: body.length }, body);
      }
      this.bytes += st.size;
      return st.size < 1 << 20 ? this.add({ ...header, type: 'file', size: st.size }, this.read(abs)) : this.addStream({ ...header, type: 'file', size: st.size }, abs);
    }
    const special = specialEntry(st, abs, header);
    if (special) return this.add(special);
    // A socket has no tar form; Go's tar refuses it and the CLI goes on without it.
  }

  private read(abs: string): Buffer {
    try {
      return readFileSync(abs);
    } catch {
      throw invalid('BUILD_CONTEXT_UNREADABLE', `checking context: no permission to read from '${abs}'`, { path: abs });
    }
  }

  add(header: Headers, body?: Buffer): Promise<void> {
    this.entries++;
    return new Promise((res, rej) => this.tar.entry(header, body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
  }

  /** A file of 1 MiB or more, streamed rather than read whole. */
  private async addStream(header: Headers, abs: string): Promise<void> {
    this.entries++;
    closeSync(openSync(abs, 'r')); // unreadable: fail here with the path, not inside the tar stream
    const sink = this.tar.entry(header);
    await pipeline(createReadStream(abs), sink);
  }
}

