// What a COPY or ADD writes, as one tar (chapter 5, build). copy-sources.ts decided *what* is
// copied; this file decides *where* it lands and with which owner, mode and time, and writes
// exactly that as a tar whose names are container paths without the leading `/` — the input
// of the container filesystem's `extract` at `/` (chapter 2). The classic builder's rules:
//
//   - a relative destination is joined to WORKDIR; symlinks in it are followed inside the
//     container's root (`COPY f /app/` with /app -> /srv writes /srv/f);
//   - a directory source copies its *contents* into the destination directory, which is made
//     (0755) if missing; its files and subdirectories keep their modes and mtimes;
//   - a file lands *in* the destination when that ends in `/` or is an existing directory,
//     and *as* the destination otherwise; missing directories above it are made (0755);
//   - ADD of a local archive unpacks it into the destination (see add-archive.ts);
//   - owners: everything copied is 0:0, or the --chown owner; directories made for a file
//     copy get that owner too, those made above a directory copy stay 0:0 (moby's
//     MkdirAllAndChown vs CopyWithTar). `COPY --from` without --chown keeps the owners;
//   - mtimes are cut to whole seconds, as Go's tar headers do; directories made have `now`.
//
// The container's root (`targetRoot`) is only read: to follow symlinks in the destination,
// to tell an existing directory from a missing one, and for --chown names.
import { createReadStream, lstatSync, readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { pack as tarPack, type Headers, type Pack } from 'tar-stream';
import { invalid } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { addArchiveEntries, openArchive, type PaxHeaders } from './add-archive.js';
import { parseChmod, resolveChown, type Owner } from './chown.js';
import { wholeSeconds } from './context.js';
import { cleanInside, hostPath } from './context-path.js';
import { specialEntry } from './tar-entry.js';
import { sourceName, type CopySource, type CopySourcePlan } from './copy-sources.js';

export interface CopyTarOptions {
  plan: CopySourcePlan;
  /** The destination as written in the Dockerfile. */
  dest: string;
  /** The stage's WORKDIR ('' or '/' for the root). */
  workdir?: string;
  /** `--chown=user:group`, looked up in `targetRoot`. */
  chown?: string;
  /** `--chmod=0755` (BuildKit's flag; see chown.ts). */
  chmod?: string;
  /** The container's root as it stands, read only. Without it, nothing is taken to exist there. */
  targetRoot?: string;
  /** Where a bzip2, xz or zstd archive is decompressed for ADD. */
  tmpRoot: string;
  out: Writable;
  /** The mtime of the directories the copy makes. */
  now?: Date;
  span?: Span;
}

export interface CopyTarResult {
  /** The destination inside the container, symlinks followed: `/srv`. */
  dest: string;
  entries: number;
  bytes: number;
}

const ROOT: Owner = { uid: 0, gid: 0 };

/** moby's normalizeDest: a relative destination is under WORKDIR, its trailing `/` kept. */
export function normalizeDest(workdir: string, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = posix.join('/', workdir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

// #region copy-tar
/** Writes the tar of one COPY/ADD to `opts.out`. */
export async function writeCopyTar(opts: CopyTarOptions): Promise<CopyTarResult> {
  const text = normalizeDest(opts.workdir ?? '/', opts.dest);
  const clean = cleanInside(text);
  if (clean === null) throw invalid('COPY_DEST_OUTSIDE', `failed to copy files: destination ${text} is outside the container's root`, { dest: text });
  const dest = opts.targetRoot ? hostPath(opts.targetRoot, clean).rel : clean;
  // The owner of what is copied: --chown's, else root's, except `--from` keeps the source's.
  const owner = opts.chown ? resolveChown({ chown: opts.chown, root: opts.targetRoot }) : opts.plan.fromImage ? null : ROOT;
  const mode = opts.chmod ? parseChmod(opts.chmod) : null;
  const tar = tarPack();
  const piped = pipeline(tar, opts.out);
  const w = new CopyWriter(tar, opts.targetRoot, opts.now ?? new Date());
  try {
    // If the output fails, stop: an entry's callback would otherwise wait for ever.
    await Promise.race([w.copyAll({ ...opts, dest, endsInSlash: text.endsWith('/'), owner, mode }), piped.then(() => new Promise<never>(() => {}))]);
    tar.finalize();
    await piped;
  } catch (err) {
    tar.destroy(err as Error);
    await piped.catch(() => {});
    throw err;
  }
  const result = { dest: `/${dest}`, entries: w.entries, bytes: w.bytes };
  opts.span?.event('build.copy.packed', { instruction: opts.plan.instruction, checksum: opts.plan.checksum, ...result });
  return result;
}
// #endregion copy-tar

/** One COPY/ADD being written: what it has made so far, so later sources see it. */
class CopyWriter {
  entries = 0;
  bytes = 0;
  /** Paths this tar creates, and whether each is a directory. */
  private readonly made = new Map<string, boolean>([['', true]]);

  constructor(
    private readonly tar: Pack,
    private readonly targetRoot: string | undefined,
    private readonly now: Date,
  ) {}

  async copyAll(args: { plan: CopySourcePlan; dest: string; endsInSlash: boolean; owner: Owner | null; mode: number | null; tmpRoot: string; span?: Span }): Promise<void> {
    for (const s of args.plan.sources) {
      if (s.kind === 'dir') {
        await this.copyDir(s, args.dest, args.owner, args.mode);
        continue;
      }
      const archive = args.plan.instruction === 'ADD' ? await openArchive({ host: s.host, tmpRoot: args.tmpRoot, span: args.span }) : null;
      if (archive) {
        this.makeDir(args.dest, ROOT, 'failed to copy files');
        const r = await addArchiveEntries({ archive, dest: args.dest, tar: this.tar, note: (p, dir) => this.made.set(p, dir) });
        this.entries += r.entries;
        this.bytes += r.bytes;
        continue;
      }
      const into = args.endsInSlash || this.kind(args.dest) === 'dir';
      await this.copyFile(s, into ? join(args.dest, sourceName(s)) : args.dest, args.owner, args.mode);
    }
  }

  /** What is at `rel` once this tar is applied: made by it, else there in the container, else nothing. */
  private kind(rel: string): 'dir' | 'other' | undefined {
    const made = this.made.get(rel);
    if (made !== undefined) return made ? 'dir' : 'other';
    if (!this.targetRoot) return undefined;
    let st: Stats | undefined;
    try {
      st = lstatSync(`${this.targetRoot}/${rel}`, { throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      return undefined; // below a file: nothing there (the file's own check reports it)
    }
    return st ? (st.isDirectory() ? 'dir' : 'other') : undefined;
  }

  /** Makes `rel` and the directories above it where missing (0755, `owner`, `now`). */
  private makeDir(rel: string, owner: Owner, context: string): void {
    const segs = rel === '' ? [] : rel.split('/');
    for (let i = 1; i <= segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      const kind = this.kind(dir);
      if (kind === 'dir') continue;
      if (kind === 'other') throw invalid('COPY_DEST_NOT_DIRECTORY', `${context}: mkdir /${dir}: not a directory`, { path: `/${dir}` });
      this.queue({ name: `${dir}/`, type: 'directory', mode: 0o755, ...owner, mtime: this.now });
      this.made.set(dir, true);
    }
  }

  /** A directory source: its contents into `dest` (made, with `owner`, if missing). */
  private async copyDir(s: CopySource, dest: string, owner: Owner | null, mode: number | null): Promise<void> {
    const existed = this.kind(dest);
    if (existed === 'other') throw invalid('COPY_DEST_NOT_DIRECTORY', `failed to copy files: failed to copy directory: mkdir /${dest}: not a directory`, { path: `/${dest}` });
    if (!existed) {
      this.makeDir(posix.dirname(dest) === '.' ? '' : posix.dirname(dest), ROOT, 'failed to copy files: failed to copy directory');
      this.makeDir(dest, owner ?? ROOT, 'failed to copy files: failed to copy directory');
    }
    const inodes = new Map<string, string>(); // hard links inside this one directory copy
    const walk = async (host: string, to: string): Promise<void> => {
      for (const name of readdirSync(host).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
        const st = lstatSync(`${host}/${name}`);
        const target = join(to, name);
        await this.entry(`${host}/${name}`, target, st, owner, mode, inodes);
        if (st.isDirectory()) await walk(`${host}/${name}`, target);
      }
    };
    await walk(s.host, dest);
  }

  /** A file source, as the file `dest`; the directories above it made with `owner`. */
  private async copyFile(s: CopySource, dest: string, owner: Owner | null, mode: number | null): Promise<void> {
    this.makeDir(posix.dirname(dest) === '.' ? '' : posix.dirname(dest), owner ?? ROOT, 'failed to copy files');
    await this.entry(s.host, dest, statSync(s.host), owner, mode, null);
  }

  /** One entry: the source's type, mode (or --chmod's) and mtime; the owner given or its own. */
  private async entry(host: string, name: string, st: Stats, owner: Owner | null, mode: number | null, inodes: Map<string, string> | null): Promise<void> {
    const ids = owner ?? { uid: st.uid, gid: st.gid };
    const header: PaxHeaders = { name, mode: (mode ?? st.mode) & 0o7777, ...ids, mtime: wholeSeconds(st), size: 0 };
    if (ids.uid > 0o777777 || ids.gid > 0o777777) header.pax = { uid: String(ids.uid), gid: String(ids.gid) };
    this.made.set(name, st.isDirectory());
    if (inodes && !st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) return this.add({ ...header, type: 'link', linkname: first });
      inodes.set(key, name);
    }
    if (st.isFile()) {
      this.bytes += st.size;
      if (st.size < 1 << 20) return this.add({ ...header, type: 'file', size: st.size }, readFileSync(host));
      this.entries++;
      return pipeline(createReadStream(host), this.tar.entry({ ...header, type: 'file', size: st.size }));
    }
    const special = specialEntry(st, host, header);
    if (special) return this.add(special);
    // A socket has no tar form: Docker's tar leaves it out too.
  }

  private add(header: Headers, body?: Buffer): Promise<void> {
    this.entries++;
    return new Promise((res, rej) => this.tar.entry(header, body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
  }

  /** A directory entry made synchronously (the pack queues it in order). */
  private queue(header: Headers): void {
    this.entries++;
    this.tar.entry(header);
  }
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
