// `docker cp`, the daemon's half (chapter 2): one path of a container's root as a tar, and a
// tar extracted into a directory of it (Engine API `/containers/{id}/archive`). Both resolve the
// container path with scoped-path.ts, so a symlink in the container can never lead outside its
// root; extraction reuses chapter 1's unpackLayer, which already refuses `..` names, absolute
// names and writing through a symlink.
//
// The tar's names follow Docker: `/etc/passwd` → `passwd`; `/etc` → `etc/`, `etc/hosts` …;
// `/etc/.` → `./`, `./hosts` … (the client renames the top to what the user asked for).
import { closeSync, createReadStream, createWriteStream, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { extract as tarExtract, pack as tarPack, type Headers, type Pack } from 'tar-stream';
import { invalid, notFound, splitDev, storageFailure } from '../base/index.js';
import { unpackLayer } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import { asksForContents, resolveInRoot } from './scoped-path.js';

/** What `X-Docker-Container-Path-Stat` carries (base64 of this JSON). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits, which the docker CLI decodes (IsDir, symlink …), not st_mode. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go's os.FileMode type bits: the high bits say the kind, the low 9 bits are permissions.
const GO_MODE = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, pipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, charDevice: 2 ** 21, sticky: 2 ** 20 };

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_MODE.dir;
  else if (st.isSymbolicLink()) m += GO_MODE.symlink;
  else if (st.isFIFO()) m += GO_MODE.pipe;
  else if (st.isSocket()) m += GO_MODE.socket;
  else if (st.isCharacterDevice()) m += GO_MODE.device + GO_MODE.charDevice;
  else if (st.isBlockDevice()) m += GO_MODE.device;
  if (st.mode & 0o4000) m += GO_MODE.setuid;
  if (st.mode & 0o2000) m += GO_MODE.setgid;
  if (st.mode & 0o1000) m += GO_MODE.sticky;
  return m;
}

const missing = (path: string, container: string) =>
  notFound('CP_PATH_NOT_FOUND', `Could not find the file ${path} in container ${container}`, { path, container });

/** The path's host location and its stat; `container` names the container in errors. */
export function statPath(args: { root: string; path: string; container: string }): { host: string; st: Stats; stat: PathStat } {
  const { root, path, container } = args;
  if (!path.startsWith('/')) throw invalid('CP_BAD_PATH', `path must be absolute: ${JSON.stringify(path)}`, { path });
  const { trailingSlash, dotEnd } = asksForContents(path);
  const { host } = resolveInRoot(root, path, { followLast: trailingSlash || dotEnd });
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (!st) throw missing(path, container);
  if ((trailingSlash || dotEnd) && !st.isDirectory()) throw invalid('CP_NOT_A_DIRECTORY', `${path}: not a directory`, { path });
  // A symlink's linkTarget is where it leads inside the container (resolved, never on the host).
  const linkTarget = st.isSymbolicLink() ? resolveInRoot(root, path, { followLast: true }).inside : '';
  const name = dotEnd ? '.' : basename(path.replace(/\/+$/, '')) || '/';
  return { host, st, stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget } };
}

// #region archive-out
/** Writes the tar of one container path to `out` (GET /containers/{id}/archive). */
export async function archivePath(args: { root: string; path: string; container: string; out: Writable; span?: Span }): Promise<PathStat> {
  const { host, st, stat } = statPath(args);
  const top = stat.name === '/' ? '.' : stat.name;
  const tar = tarPack();
  const piped = pipeline(tar, args.out);
  let files = 0;
  try {
    files = await writeTree(tar, host, top, st);
    tar.finalize();
    await piped;
  } catch (err) {
    tar.destroy(err as Error);
    await piped.catch(() => {});
    throw err;
  }
  args.span?.event('cp.out', { path: args.path, host, files });
  return stat;
}
// #endregion archive-out

/** The path and everything under it, parents first, names sorted; hardlinks stored once. */
async function writeTree(tar: Pack, host: string, top: string, st: Stats): Promise<number> {
  const seen = new Map<string, string>();
  let files = 0;
  const visit = async (abs: string, name: string, s: Stats): Promise<void> => {
    const header: Headers = { name, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime, size: 0 };
    if (s.isFile() && s.nlink > 1) {
      const key = `${s.dev}:${s.ino}`;
      const first = seen.get(key);
      if (first !== undefined) return void (await entry(tar, { ...header, type: 'link', linkname: first }), files++);
      seen.set(key, name);
    }
    if (s.isDirectory()) {
      await entry(tar, { ...header, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
      for (const child of readdirSync(abs).sort()) {
        const cabs = join(abs, child);
        await visit(cabs, name === '.' ? `./${child}` : `${name}/${child}`, lstatSync(cabs));
      }
    } else if (s.isFile()) await fileEntry(tar, header, abs, s.size);
    else if (s.isSymbolicLink()) await entry(tar, { ...header, type: 'symlink', linkname: readlinkSync(abs) });
    else if (s.isFIFO()) await entry(tar, { ...header, type: 'fifo' });
    else if (s.isCharacterDevice() || s.isBlockDevice()) {
      const { major, minor } = splitDev(s.rdev);
      await entry(tar, { ...header, type: s.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    } else return; // sockets have no tar form
    files++;
  };
  await visit(host, top, st);
  return files;
}

function entry(tar: Pack, header: Headers, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => tar.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
}

/** A regular file, read in 1 MiB pieces so a large file never sits whole in memory. */
async function fileEntry(tar: Pack, header: Headers, abs: string, size: number): Promise<void> {
  if (size < 1 << 20) return entry(tar, { ...header, type: 'file', size }, readFileSync(abs));
  const fd = openSync(abs, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
      const sink = tar.entry({ ...header, type: 'file', size }, (err) => (err ? reject(err) : resolve()));
      let pos = 0;
      const pump = (): void => {
        while (pos < size) {
          const buf = Buffer.allocUnsafe(Math.min(1 << 20, size - pos));
          const n = readSync(fd, buf, 0, buf.length, pos);
          if (n === 0) return reject(invalid('CP_FILE_CHANGED', `${abs} shrank while being copied`, { path: abs }));
          pos += n;
          if (!sink.write(n === buf.length ? buf : buf.subarray(0, n))) return void sink.once('drain', pump);
        }
        sink.end();
      };
      pump();
    });
  } finally {
    closeSync(fd);
  }
}

// #region archive-in
/**
 * Extracts a tar into the directory `path` of the container (PUT /containers/{id}/archive).
 * The body is spooled to a file first: one pass checks every name against what is there
 * (noOverwriteDirNonDir), the second is unpackLayer's, so a refused tar writes nothing.
 */
export async function extractToPath(args: {
  root: string; path: string; container: string; input: Readable; tmpRoot: string; noOverwriteDirNonDir: boolean; span?: Span;
}): Promise<{ files: number }> {
  const { root, path, container } = args;
  if (!path.startsWith('/')) throw invalid('CP_BAD_PATH', `path must be absolute: ${JSON.stringify(path)}`, { path });
  const { host, inside } = resolveInRoot(root, path, { followLast: true });
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (!st) throw missing(path, container);
  if (!st.isDirectory()) throw invalid('CP_NOT_A_DIRECTORY', `extraction point is not a directory: ${path}`, { path });
  const spool = join(args.tmpRoot, `cp-in-${randomBytes(6).toString('hex')}.tar`);
  try {
    await pipeline(args.input, createWriteStream(spool)).catch((err: unknown) => {
      throw storageFailure(err, { path: spool, code: 'CP_SPOOL' });
    });
    if (args.noOverwriteDirNonDir) await checkKinds(spool, root, inside);
    const result = await unpackLayer({ source: createReadStream(spool), target: host, whiteouts: 'apply', span: args.span });
    args.span?.event('cp.in', { path, host, files: result.files });
    return { files: result.files };
  } finally {
    await rm(spool, { force: true });
  }
}
// #endregion archive-in

/** Refuses a tar that would put a directory over a non-directory, or the other way round. */
async function checkKinds(spool: string, root: string, inside: string): Promise<void> {
  const head = Buffer.alloc(2);
  const fd = openSync(spool, 'r');
  const n = readSync(fd, head, 0, 2, 0);
  closeSync(fd);
  const gz = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const extract = tarExtract();
  const reading = gz ? pipeline(createReadStream(spool), createGunzip(), extract) : pipeline(createReadStream(spool), extract);
  try {
    for await (const e of extract) {
      const name = e.header.name.split('/').filter((s) => s !== '' && s !== '.').join('/');
      e.resume();
      if (name === '' || name.split('/').includes('..')) continue; // unpackLayer refuses these itself
      // Looked up within the root too: a parent symlink must not make us lstat host paths.
      const there = lstatSync(resolveInRoot(root, `${inside}/${name}`).host, { throwIfNoEntry: false });
      const isDir = e.header.type === 'directory';
      if (there && there.isDirectory() !== isDir) {
        const what = isDir ? `cannot overwrite non-directory "/${name}" with directory "${name}"` : `cannot overwrite directory "/${name}" with non-directory "${name}"`;
        extract.destroy();
        throw invalid('CP_OVERWRITE_KIND', what, { name });
      }
    }
  } finally {
    await reading.catch(() => {});
  }
}
