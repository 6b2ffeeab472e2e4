// Unpacking a layer (chapter 1 "layers"; OCI image-spec layer.md, "Applying Changesets").
// A layer is a tar of changes applied onto the directory the layers below it made: each entry
// adds or replaces a path, and whiteout entries delete lower paths (see whiteouts.ts). This file
// is the applier: one pass over the tar, each entry checked by tar-safety.ts before anything
// touches the disk. Directories, links and removals are made at once, with synchronous syscalls;
// regular files — nearly all the bytes — go to a WriteQueue (write-queue.ts) whose own thread
// writes them, so a slow disk does not stall the parser, gunzip and the two hashes.
//
// Order matters in four places:
//   - anything that reads the disk to check a path, or removes one, first drains the queue: it
//     must see every file queued before it (`settle()` below);
//   - ownership before mode: chown(2) clears setuid/setgid bits, so chmod comes after it;
//   - a directory's mode and mtime are set at the very end: writing its children changes its
//     mtime, and a read-only mode would stop a non-root unpack from writing into it;
//   - xattrs are written in one `setfattr` batch before those directory times.
// On failure the target holds a partial layer: callers unpack into a fresh directory and move
// it into place only once this resolves (the digests are only known at the end, too).
import { lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, chmodSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { extract as tarExtract, type Entry } from 'tar-stream';
import { EngineError, invalid } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { Digest, LayerDigests } from './types.js';
import { openLayerStream, tarError } from './layer-stream.js';
import type { Compression } from './media-types.js';
import { ParentGuard, checkSymlinkTarget, cleanEntryName, cleanHardlinkTarget, parentOf } from './tar-safety.js';
import { classifyWhiteout, hideLower, hideLowerChildren, OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT } from './whiteouts.js';
import { PAX_XATTR_PREFIX, isAllowedLayerXattr, setXattr, writeXattrs, type Xattrs } from './xattrs.js';
import { makeSpecialFile } from './special-files.js';
import { WriteQueue, type FileJob } from './write-queue.js';

export interface UnpackOptions {
  source: Readable;
  target: string;
  whiteouts?: 'apply' | 'overlay';
  expected?: { digest?: Digest; diffID?: Digest };
  sameOwner?: boolean;
  /** The most bytes the layer's tar may expand to (default MAX_LAYER_BYTES): past it, LAYER_TOO_LARGE. */
  maxBytes?: number;
  span?: Span;
}

/**
 * A decompression bomb's answer: 1 MiB of gzip can hold 1 GiB of zeros, and a layer is unpacked
 * as it arrives, so its compressed size says nothing of what it writes. Docker has no limit (the
 * disk fills); Dockling stops a layer at 64 GiB, far past any real one, and says so.
 */
export const MAX_LAYER_BYTES = 64 * 2 ** 30;

export interface UnpackResult extends LayerDigests {
  compression: Compression;
  files: number;
  whiteouts: number;
}

/** A tar header as tar-stream hands it over, PAX records included. */
type TarHeader = Entry['header'] & { pax?: Record<string, string> | null };

/** What one unpack knows as it goes. */
class Applier {
  readonly guard: ParentGuard;
  /** Paths this layer added: whiteouts never hide them. */
  readonly added = new Set<string>();
  /** Directories made in this unpack: their children need no lstat to know they are new. */
  readonly fresh = new Set<string>();
  readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  readonly xattrs = new Map<string, Xattrs>();
  files = 0;
  whiteouts = 0;
  bytes = 0;
  readonly whiteoutPaths: string[] = [];
  readonly writes = new WriteQueue();
  /** The bits open(2) strips from a new file's mode; a mode it would keep needs no fchmod. */
  private readonly umask = processUmask();

  constructor(
    readonly root: string,
    readonly mode: 'apply' | 'overlay',
    readonly sameOwner: boolean,
    readonly span: Span | undefined,
  ) {
    this.guard = new ParentGuard(root, (dir) => this.created(dir));
    if (readdirSync(root).length === 0) this.fresh.add('');
  }

  abs(p: string): string {
    return p === '' ? this.root : `${this.root}/${p}`;
  }

  private created(p: string): void {
    this.added.add(p);
    this.fresh.add(p);
  }

  /** A path was removed: drop everything remembered about it and below it. */
  forget(p: string): void {
    this.guard.forget(p);
    const prefix = `${p}/`;
    for (const m of [this.dirMeta, this.xattrs] as Map<string, unknown>[]) {
      m.delete(p);
      if (m.size) for (const k of m.keys()) if (k.startsWith(prefix)) m.delete(k);
    }
  }

  /** lstat of `p`, skipped when its parent was made in this unpack and nothing was put there yet. */
  existing(p: string) {
    if (this.fresh.has(parentOf(p)) && !this.added.has(p)) return undefined;
    return lstatSync(this.abs(p), { throwIfNoEntry: false });
  }

  async entry(h: TarHeader, body: Entry): Promise<void> {
    const p = cleanEntryName(h.name);
    const wh = classifyWhiteout(p);
    if (wh) {
      body.resume();
      if (wh.kind === 'meta') return;
      this.whiteouts++;
      return wh.kind === 'whiteout' ? this.whiteout(wh.target) : this.opaque(wh.dir, p);
    }
    const type = h.type === 'contiguous-file' ? 'file' : h.type;
    if (type !== 'file') body.resume();
    const mtime = h.pax?.mtime ? Number(h.pax.mtime) : (h.mtime?.getTime() ?? 0) / 1000;
    const uid = h.pax?.uid ? Number(h.pax.uid) : (h.uid ?? 0);
    const gid = h.pax?.gid ? Number(h.pax.gid) : (h.gid ?? 0);
    const mode = (h.mode ?? 0) & 0o7777;
    this.files++;
    if (p === '') return this.rootDir(uid, gid, mode, mtime);
    // Checks that need nothing from the disk come first.
    if (type === 'symlink') checkSymlinkTarget(p, h.linkname ?? '');
    // The checks below read the disk: queued files they might look at must be there first. In a
    // typical layer none of these hold (parents are known, names are new, few hardlinks).
    if (type === 'link' || this.added.has(p) || !this.guard.knowsParentOf(p)) await this.settle();
    const linkTarget = type === 'link' ? this.hardlinkTarget(p, h.linkname ?? '') : '';
    this.guard.ensureParents(p);
    let old = this.existing(p);
    if (old && !(old.isDirectory() && type === 'directory')) {
      await this.settle();
      rmSync(this.abs(p), { recursive: true, force: true });
      this.forget(p);
      old = undefined;
    }
    this.added.add(p);
    const abs = this.abs(p);
    switch (type) {
      case 'file':
        await this.file(p, body, uid, gid, mode, mtime);
        break;
      case 'directory':
        if (!old) {
          mkdirSync(abs, 0o700);
          this.fresh.add(p);
        }
        this.guard.noteDir(p);
        if (this.sameOwner) lchownSync(abs, uid, gid);
        this.dirMeta.set(p, { mode, mtime });
        break;
      case 'symlink':
        symlinkSync(h.linkname!, abs);
        if (this.sameOwner) lchownSync(abs, uid, gid);
        lutimesSync(abs, mtime, mtime);
        break;
      case 'link':
        linkSync(this.abs(linkTarget), abs);
        break;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await makeSpecialFile({ path: abs, kind: type, mode, major: h.devmajor, minor: h.devminor, span: this.span });
        if (this.sameOwner) lchownSync(abs, uid, gid);
        chmodSync(abs, mode);
        lutimesSync(abs, mtime, mtime);
        break;
      default:
        throw invalid('LAYER_UNSUPPORTED_ENTRY', `entry ${p} has an unsupported tar type ${String(h.type)}`, { name: p, type: h.type });
    }
    this.collectXattrs(p, h);
  }

  /** Queues a regular file; waits only when the queue is full. */
  private async file(p: string, body: Entry, uid: number, gid: number, mode: number, mtime: number): Promise<void> {
    if (this.writes.full) await this.writes.room();
    this.writes.begin(this.fileJob(p, uid, gid, mode, mtime));
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        this.writes.write(chunk);
        this.bytes += chunk.length;
        if (this.writes.full) await this.writes.room();
      }
    } finally {
      // Also when the tar breaks off mid-file: what arrived is written and the file closed.
      this.writes.end();
    }
  }

  /**
   * Created with its final mode when the umask keeps every bit of it and there is no
   * setuid/setgid/sticky bit (chown would clear those); otherwise 0600 and an fchmod after chown.
   */
  private fileJob(p: string, uid: number, gid: number, mode: number, mtime: number): FileJob {
    const exact = (mode & 0o7000) === 0 && (mode & this.umask) === 0;
    return {
      path: this.abs(p),
      createMode: exact ? mode : 0o600,
      chmod: exact ? undefined : mode,
      chown: this.sameOwner ? { uid, gid } : undefined,
      mtime,
    };
  }

  /** Waits for every queued file to be on disk; throws the first write's failure. */
  settle(): Promise<void> {
    return this.writes.drain();
  }

  private rootDir(uid: number, gid: number, mode: number, mtime: number): void {
    if (this.sameOwner) lchownSync(this.root, uid, gid);
    this.dirMeta.set('', { mode, mtime });
  }

  /** A hardlink must name an existing non-directory inside the root, reached through real dirs. */
  private hardlinkTarget(p: string, raw: string): string {
    const t = cleanHardlinkTarget(p, raw);
    if (t === p) throw invalid('LAYER_BAD_HARDLINK', `hardlink ${p} points at itself`, { name: p, target: raw });
    let reachable: boolean;
    try {
      reachable = this.guard.ensureParents(t, false);
    } catch (err) {
      if ((err as EngineError).code !== 'LAYER_PATH_THROUGH_SYMLINK') throw err;
      throw invalid('LAYER_HARDLINK_ESCAPE', `hardlink ${p} -> ${raw} goes through a symlink`, { name: p, target: raw });
    }
    const st = reachable ? lstatSync(this.abs(t), { throwIfNoEntry: false }) : undefined;
    if (!st) throw invalid('LAYER_BAD_HARDLINK', `hardlink ${p} -> ${raw}: target does not exist`, { name: p, target: raw });
    if (st.isDirectory()) throw invalid('LAYER_BAD_HARDLINK', `hardlink ${p} -> ${raw}: target is a directory`, { name: p, target: raw });
    return t;
  }

  private collectXattrs(p: string, h: TarHeader): void {
    if (!h.pax) return;
    for (const [key, value] of Object.entries(h.pax)) {
      if (!key.startsWith(PAX_XATTR_PREFIX)) continue;
      const name = key.slice(PAX_XATTR_PREFIX.length);
      if (!isAllowedLayerXattr(name)) {
        this.span?.event('xattr.refused', { path: p, name });
        continue;
      }
      const x = this.xattrs.get(p) ?? {};
      x[name] = Buffer.from(value);
      this.xattrs.set(p, x);
    }
  }

  private async whiteout(target: string): Promise<void> {
    this.whiteoutPaths.push(target);
    await this.settle();
    if (this.mode === 'apply') {
      if (!this.guard.ensureParents(target, false)) return;
      hideLower({ root: this.root, path: target, added: this.added, removed: (q) => this.forget(q) });
      return;
    }
    // overlay: a 0/0 character device where the path was, unless this layer put something there.
    if (this.added.has(target)) return;
    this.guard.ensureParents(target);
    if (this.existing(target)) {
      rmSync(this.abs(target), { recursive: true, force: true });
      this.forget(target);
    }
    this.added.add(target);
    await makeSpecialFile({ path: this.abs(target), kind: OVERLAY_WHITEOUT.kind, mode: 0, major: 0, minor: 0, span: this.span });
  }

  private async opaque(dir: string, marker: string): Promise<void> {
    this.whiteoutPaths.push(`${dir}/`);
    await this.settle();
    if (this.mode === 'apply') {
      if (!this.guard.ensureParents(marker, false)) return;
      hideLowerChildren({ root: this.root, dir, added: this.added, removed: (q) => this.forget(q) });
      return;
    }
    this.guard.ensureParents(marker);
    await setXattr({ path: this.abs(dir), name: OVERLAY_OPAQUE_XATTR, value: 'y', span: this.span });
  }

  /** The deferred steps: xattrs in one batch, then directory modes and times. */
  async finish(): Promise<void> {
    await this.settle();
    await writeXattrs({ root: this.root, xattrs: this.xattrs, span: this.span });
    for (const [p, { mode, mtime }] of this.dirMeta) {
      chmodSync(this.abs(p), mode);
      utimesSync(this.abs(p), mtime, mtime);
    }
  }
}

export async function unpackLayer(opts: UnpackOptions): Promise<UnpackResult> {
  const span = opts.span?.child('layers', 'layer.unpack', { target: opts.target, whiteouts: opts.whiteouts ?? 'apply' });
  try {
    const result = await unpack(opts, span);
    span?.end({ ...result });
    return result;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}

async function unpack(opts: UnpackOptions, span: Span | undefined): Promise<UnpackResult> {
  const sameOwner = opts.sameOwner ?? process.getuid?.() === 0;
  const applier = new Applier(opts.target, opts.whiteouts ?? 'apply', sameOwner, span);
  const layer = await openLayerStream(opts.source);
  const extract = tarExtract();
  layer.onFailure((err) => extract.destroy(err));
  layer.tar.pipe(extract);
  const seen = { entries: 0, bytes: 0 };
  const maxBytes = opts.maxBytes ?? MAX_LAYER_BYTES;
  let tooLarge: Error | undefined;
  layer.tar.on('data', (b: Buffer) => {
    seen.bytes += b.length;
    if (seen.bytes > maxBytes && !tooLarge) {
      tooLarge = invalid('LAYER_TOO_LARGE', `layer expands past ${maxBytes} bytes uncompressed: refused as a decompression bomb`, { limit: maxBytes });
      extract.destroy(tooLarge);
    }
  });
  try {
    try {
      for await (const entry of extract) {
        seen.entries++;
        await applier.entry(entry.header as TarHeader, entry);
      }
      await applier.settle();
    } catch (err) {
      throw tooLarge ?? layer.failure() ?? tarError(err, seen);
    }
    if (layer.failure()) throw layer.failure();
    await applier.finish();
  } finally {
    // After a failure, queued files still finish before the caller removes the target.
    await applier.writes.close();
    layer.destroy();
  }
  const digests = layer.digests();
  verify(digests, opts.expected);
  span?.event('layer.applied', { files: applier.files, bytes: applier.bytes, xattrs: applier.xattrs.size, compression: layer.compression });
  span?.event('layer.whiteouts', { count: applier.whiteouts, paths: applier.whiteoutPaths.slice(0, 1000) });
  return { ...digests, compression: layer.compression, files: applier.files, whiteouts: applier.whiteouts };
}

function verify(d: LayerDigests, expected: UnpackOptions['expected']): void {
  if (expected?.digest && expected.digest !== d.digest) {
    throw invalid('DIGEST_MISMATCH', `layer digest is ${d.digest}, expected ${expected.digest}`, { expected: expected.digest, actual: d.digest });
  }
  if (expected?.diffID && expected.diffID !== d.diffID) {
    throw invalid('DIFFID_MISMATCH', `layer diffID is ${d.diffID}, expected ${expected.diffID}`, { expected: expected.diffID, actual: d.diffID });
  }
}

/**
 * The process's umask, from /proc/self/status (process.umask() with no argument sets it to 0 for a
 * moment, racing with threads that create files). Unknown → 0o777: every file gets an fchmod.
 */
function processUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? parseInt(m[1]!, 8) : 0o777;
  } catch {
    return 0o777;
  }
}
