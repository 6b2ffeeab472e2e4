// `ADD app.tar.gz /srv/` (chapter 5, build): a local archive is unpacked, not copied. A file
// counts as an archive when, once any compression (gzip, bzip2, xz, zstd) is undone, it starts
// with a valid tar header — the name does not matter, and a gzip of something that is not a
// tar is copied as it is (moby's IsArchivePath). Its entries keep their own owners, modes and
// times: `--chown` does not apply to them (the classic builder's rule; buildah differs).
//
// The entries are renamed under the destination and handed on; the names are checked the way
// Docker's untar checks them: a leading `/` is dropped, `..` that climbs out is refused, and a
// hard link must point inside the archive. Symlink targets are kept as written. What the
// container's filesystem then does with them (never writing through a symlink) is chapter 2's.
import { createReadStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { extract as tarExtract, type Headers, type Pack } from 'tar-stream';

/** A tar-stream header with PAX records (tar-stream writes them; its types do not say so). */
export type PaxHeaders = Headers & { pax?: Record<string, string> };
import { invalid } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { cleanInside } from './context-path.js';
import { decompressWithTool, readHead, sniffArchive } from './decompress.js';

/**
 * Whether 512 bytes are a tar header: not all zero, and the checksum field (bytes 148–155, in
 * octal) equal to the sum of all 512 bytes with that field read as spaces — unsigned, or signed
 * as some old tars computed it (what Go's tar reader accepts before parsing a header).
 */
export function looksLikeTar(block: Buffer): boolean {
  if (block.length < 512 || block.subarray(0, 512).every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return want === unsigned || want === signed;
}

export interface OpenedArchive {
  tar: Readable;
  compression: string;
  /** Removes a decompressed copy, if one was made. */
  close(): void;
}

// #region open-archive
/** The tar inside `host` when it is an archive (ADD unpacks it), or null (ADD copies it). */
export async function openArchive(args: { host: string; tmpRoot: string; span?: Span }): Promise<OpenedArchive | null> {
  const compression = sniffArchive(readHead(args.host, 8));
  const none = () => {};
  if (compression === 'none') {
    return looksLikeTar(readHead(args.host, 512)) ? { tar: createReadStream(args.host), compression, close: none } : null;
  }
  if (compression === 'gzip') {
    let head: Buffer;
    try {
      // Only the start is inflated to look; a sync flush returns what is there without complaint.
      head = gunzipSync(readHead(args.host, 64 * 1024), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return null;
    }
    if (!looksLikeTar(head)) return null;
    return { tar: createReadStream(args.host).pipe(createGunzip()), compression, close: none };
  }
  const plain = await decompressWithTool({ path: args.host, compression, tmpRoot: args.tmpRoot, span: args.span });
  if (plain === null) return null;
  const close = () => rmSync(plain, { force: true });
  if (!looksLikeTar(readHead(plain, 512))) {
    close();
    return null;
  }
  return { tar: createReadStream(plain), compression, close };
}
// #endregion open-archive

/** Where one archive entry goes: `dest` joined to its cleaned name; null for the archive's root. */
function rename(dest: string, raw: string, what: 'entry name' | 'hardlink target'): string | null {
  const stripped = raw.replace(/^\/+/, '');
  const rel = cleanInside(stripped);
  if (rel === null || (what === 'hardlink target' && rel === '')) {
    throw invalid('ADD_ARCHIVE_INVALID', `failed to copy files: invalid ${what} ${JSON.stringify(raw)}`, { name: raw });
  }
  if (rel === '') return null;
  return dest === '' ? rel : `${dest}/${rel}`;
}

const KEPT = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Copies the archive's entries into `tar`, renamed under `dest` (a container path without its
 * leading `/`). Returns the entries and bytes written.
 */
export async function addArchiveEntries(args: { archive: OpenedArchive; dest: string; tar: Pack; note: (path: string, dir: boolean) => void }): Promise<{ entries: number; bytes: number }> {
  const extract = tarExtract();
  const reading = pipeline(args.archive.tar, extract);
  let entries = 0;
  let bytes = 0;
  try {
    for await (const e of extract) {
      const h = e.header as Headers & { pax?: Record<string, string> | null };
      if (h.type === 'pax-global-header') {
        e.resume();
        continue;
      }
      if (!KEPT.has(h.type ?? 'file')) {
        e.resume();
        throw invalid('ADD_ARCHIVE_INVALID', `failed to copy files: unhandled tar header type ${h.type} for ${JSON.stringify(h.name)}`, { name: h.name });
      }
      const name = rename(args.dest, h.name, 'entry name');
      if (name === null) {
        e.resume();
        continue;
      }
      const type = h.type === 'contiguous-file' ? 'file' : h.type;
      const header: PaxHeaders = {
        name: type === 'directory' ? `${name}/` : name,
        type,
        mode: h.mode,
        uid: Number(h.pax?.uid ?? h.uid ?? 0),
        gid: Number(h.pax?.gid ?? h.gid ?? 0),
        mtime: h.mtime,
        size: type === 'file' ? h.size : 0,
        linkname: type === 'link' ? rename(args.dest, h.linkname ?? '', 'hardlink target')! : h.linkname,
        devmajor: h.devmajor,
        devminor: h.devminor,
      };
      if (header.uid! > 0o777777 || header.gid! > 0o777777) header.pax = { uid: String(header.uid), gid: String(header.gid) };
      args.note(name, type === 'directory');
      if (type === 'file') {
        await pipeline(e, args.tar.entry(header));
        bytes += header.size ?? 0;
      } else {
        e.resume();
        await new Promise<void>((res, rej) => args.tar.entry(header, (err) => (err ? rej(err) : res())));
      }
      entries++;
    }
    await reading;
  } catch (err) {
    extract.destroy();
    await reading.catch(() => {});
    throw err;
  } finally {
    args.archive.close();
  }
  return { entries, bytes };
}
