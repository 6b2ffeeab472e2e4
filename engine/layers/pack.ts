// Packing a layer (chapter 1 "layers"; OCI image-spec layer.md, "Creating" and "Changesets").
// The reverse of unpack.ts: a directory tree — or only the paths a container changed — becomes
// a tar, then gzip, with both digests counted in the same pass:
//
//   walk ─▶ tar ─▶ sha256 (diffID) ─▶ parallel gzip ─▶ sha256 (digest) ─▶ out
//
// What makes a layer reproducible and readable by every other tool:
//   - names are relative (`etc/passwd`, directories `etc/`), never `./` or `/`;
//   - entries are sorted per directory, parents before children;
//   - a file with several names is stored once, then as link entries (found by device+inode);
//   - xattrs go in PAX `SCHILY.xattr.*` records; a deleted path becomes a `.wh.` entry;
//   - with `mtime` set, every entry has that time (and gzip's header has none).
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { pack as tarPack, type Headers, type Pack } from 'tar-stream';
import { notFound } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { LayerDigests } from './types.js';
import { DigestStream } from './digest.js';
import { ParallelGzip } from './gzip.js';
import { cleanEntryName, parentOf } from './tar-safety.js';
import { isOverlayOpaque, isOverlayWhiteout, opaqueEntryName, whiteoutEntryName } from './whiteouts.js';
import { PAX_XATTR_PREFIX, isPackableXattr, readXattrs, type Xattrs } from './xattrs.js';
import { splitDev } from './special-files.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

export interface PackOptions {
  root: string;
  changes?: Change[];
  out: Writable;
  compression: 'gzip' | 'none';
  level?: number;
  mtime?: Date;
  /**
   * How deletions appear in `root`: 'oci' (default) packs the tree as it is; 'overlay' reads it
   * as an overlayfs upperdir, turning its 0/0 character devices into `.wh.` entries and its
   * `trusted.overlay.opaque=y` directories into `.wh..wh..opq` entries.
   */
  whiteouts?: 'oci' | 'overlay';
  span?: Span;
}

export interface PackResult extends LayerDigests {
  files: number;
}

/** One path to pack: a real file (with its lstat) or a whiteout marker. */
type Item = { path: string; st: Stats } | { path: string; whiteout: string };

const BIG_FILE = 1 << 20;

/** Compares two relative paths segment by segment: the order a sorted per-directory walk gives. */
function comparePaths(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (as[i] !== bs[i]) return as[i]! < bs[i]! ? -1 : 1;
  }
  return as.length - bs.length;
}

/** Every path under `root`, sorted per directory, parents first. */
function* walkTree(root: string, dir = ''): Generator<Item> {
  const names = readdirSync(dir === '' ? root : `${root}/${dir}`).sort();
  for (const name of names) {
    const path = dir === '' ? name : `${dir}/${name}`;
    const st = lstatSync(`${root}/${path}`);
    yield { path, st };
    if (st.isDirectory()) yield* walkTree(root, path);
  }
}

/** Only the changed paths, their parent directories, and a whiteout for each deletion. */
function changedItems(root: string, changes: Change[]): Item[] {
  const paths = new Map<string, Item | null>();
  const addParents = (p: string) => {
    for (let d = parentOf(p); d !== '' && !paths.has(d); d = parentOf(d)) paths.set(d, null);
  };
  for (const c of changes) {
    const p = cleanEntryName(c.path.replace(/^\/+/, '') || '.', 'change');
    if (p === '') continue;
    addParents(p);
    if (c.kind === 'D') {
      const w = whiteoutEntryName(p);
      paths.set(w, { path: w, whiteout: p });
    } else paths.set(p, null);
  }
  return [...paths.keys()].sort(comparePaths).map((p) => {
    const item = paths.get(p);
    if (item) return item;
    const st = lstatSync(`${root}/${p}`, { throwIfNoEntry: false });
    if (!st) throw notFound('PACK_MISSING_PATH', `changed path /${p} does not exist under ${root}`, { path: p, root });
    return { path: p, st };
  });
}

/** Turns an overlay upperdir's whiteout forms into OCI entries, in place in the item stream. */
function* fromOverlay(items: Iterable<Item>, xattrs: Map<string, Xattrs>): Generator<Item> {
  for (const item of items) {
    if ('st' in item && isOverlayWhiteout(item.st)) {
      yield { path: whiteoutEntryName(item.path), whiteout: item.path };
      continue;
    }
    yield item;
    if ('st' in item && item.st.isDirectory() && isOverlayOpaque(xattrs.get(item.path))) {
      yield { path: opaqueEntryName(item.path), whiteout: `${item.path}/` };
    }
  }
}

export async function packLayer(opts: PackOptions): Promise<PackResult> {
  const span = opts.span?.child('layers', 'layer.pack', { root: opts.root, compression: opts.compression, changes: opts.changes?.length ?? null });
  try {
    const result = await pack(opts, span);
    span?.end({ ...result });
    return result;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}

async function pack(opts: PackOptions, span: Span | undefined): Promise<PackResult> {
  const items: Iterable<Item> = opts.changes ? changedItems(opts.root, opts.changes) : walkTree(opts.root);
  const xattrs = await readXattrs({
    root: opts.root,
    paths: opts.changes ? [...items].filter((i) => 'st' in i).map((i) => i.path) : undefined,
    span,
  });
  const tar = tarPack();
  const tarHash = new DigestStream();
  const outHash = opts.compression === 'gzip' ? new DigestStream() : tarHash;
  tar.on('error', (err: Error) => tarHash.destroy(err));
  const stages = opts.compression === 'gzip' ? [tarHash, new ParallelGzip({ level: opts.level ?? 6 }), outHash] : [tarHash];
  const piped = pipeline([...stages, opts.out]);
  // If the output fails, stop producing: entry callbacks would otherwise wait for ever.
  const broken = piped.then(() => new Promise<never>(() => {}));
  tar.pipe(tarHash);
  let stats: { files: number; bytes: number; whiteouts: number };
  try {
    const source = opts.whiteouts === 'overlay' ? fromOverlay(items, xattrs) : items;
    stats = await Promise.race([writeEntries({ tar, root: opts.root, items: source, xattrs, mtime: opts.mtime, span }), broken]);
    tar.finalize();
    await piped;
  } catch (err) {
    tar.destroy(err as Error);
    await piped.catch(() => {});
    throw err;
  }
  span?.event('layer.packed', { ...stats, diffID: tarHash.digest() });
  return { digest: outHash.digest(), diffID: tarHash.digest(), size: outHash.bytes, uncompressedSize: tarHash.bytes, files: stats.files };
}

function addEntry(tar: Pack, header: Headers & { pax?: Record<string, string> }, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

async function writeEntries(args: {
  tar: Pack;
  root: string;
  items: Iterable<Item>;
  xattrs: Map<string, Xattrs>;
  mtime?: Date;
  span?: Span;
}): Promise<{ files: number; bytes: number; whiteouts: number }> {
  const { tar, root, span } = args;
  const seen = new Map<string, string>(); // "dev:ino" → first name, for hardlinks
  let files = 0;
  let bytes = 0;
  let whiteouts = 0;
  for (const item of args.items) {
    if (!('st' in item)) {
      await addEntry(tar, { name: item.path, type: 'file', mode: 0o644, mtime: args.mtime ?? new Date(0), size: 0 });
      whiteouts++;
      continue;
    }
    const { path, st } = item;
    const header: Headers & { pax?: Record<string, string> } = {
      name: path,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: args.mtime ?? st.mtime,
      size: 0,
    };
    const pax = paxRecords(path, st, args.xattrs.get(path), span);
    if (pax) header.pax = pax;
    const abs = `${root}/${path}`;
    if (st.isFile() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) {
        await addEntry(tar, { ...header, type: 'link', linkname: first });
        files++;
        continue;
      }
      seen.set(key, path);
    }
    if (st.isFile()) {
      header.type = 'file';
      if (st.size < BIG_FILE) {
        const data = readFileSync(abs);
        header.size = data.length;
        await addEntry(tar, header, data);
      } else await addBigFile(tar, header, abs, st.size);
      bytes += st.size;
    } else if (st.isDirectory()) {
      await addEntry(tar, { ...header, name: `${path}/`, type: 'directory' });
    } else if (st.isSymbolicLink()) {
      await addEntry(tar, { ...header, type: 'symlink', linkname: readlinkSync(abs) });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      await addEntry(tar, { ...header, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    } else if (st.isFIFO()) {
      await addEntry(tar, { ...header, type: 'fifo' });
    } else {
      span?.event('pack.skipped', { path, reason: 'sockets cannot be stored in a tar' });
      continue;
    }
    files++;
  }
  return { files, bytes, whiteouts };
}

/** A large file, streamed in 1 MiB reads so memory stays bounded. */
async function addBigFile(tar: Pack, header: Headers, abs: string, size: number): Promise<void> {
  const fd = openSync(abs, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
      const sink = tar.entry({ ...header, size }, (err) => (err ? reject(err) : resolve()));
      let pos = 0;
      const pump = () => {
        while (pos < size) {
          const buf = Buffer.allocUnsafe(Math.min(BIG_FILE, size - pos));
          const n = readSync(fd, buf, 0, buf.length, pos);
          if (n === 0) return reject(notFound('PACK_FILE_CHANGED', `${abs} shrank while being packed`, { path: abs }));
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

/** PAX records an entry needs: xattrs, and ids too large for the ustar octal fields. */
function paxRecords(path: string, st: Stats, xattrs: Xattrs | undefined, span: Span | undefined): Record<string, string> | null {
  const pax: Record<string, string> = {};
  if (st.uid > 0o777777) pax.uid = String(st.uid);
  if (st.gid > 0o777777) pax.gid = String(st.gid);
  for (const [name, value] of Object.entries(xattrs ?? {})) {
    if (!isPackableXattr(name)) continue;
    const text = value.toString('utf8');
    // tar-stream writes PAX values as UTF-8 text, so a value that is not valid UTF-8 would be
    // mangled; it is left out (and said so) rather than stored wrong.
    if (!Buffer.from(text, 'utf8').equals(value)) {
      span?.event('xattr.skipped', { path, name, reason: 'binary value' });
      continue;
    }
    pax[PAX_XATTR_PREFIX + name] = text;
  }
  return Object.keys(pax).length ? pax : null;
}
