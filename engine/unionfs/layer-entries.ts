// Reading a layer's entry list without extracting it (chapter 2, "union fs"): the input of the
// union view. A layer blob — or any tar, such as a container's changes packed by packChanges —
// is gunzipped when its first bytes say gzip (never trusting a media type), parsed with
// tar-stream, and every entry's name cleaned and classified with the layers chapter's rules:
// `.wh.name` becomes a whiteout of `name`, `.wh..wh..opq` an opaque marker, AUFS bookkeeping
// is skipped. Contents are drained, never written anywhere.
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Headers } from 'tar-stream';
import { EngineError, asEngineError, invalid } from '../base/index.js';
import { classifyWhiteout, sniffCompression, type Compression } from '../layers/index.js';
import type { EntryType, LayerEntry } from './union-view.js';

export interface LayerEntries {
  entries: LayerEntry[];
  compression: Compression;
  /** Bytes of the uncompressed tar (the layer's uncompressed size). */
  tarSize: number;
}

const TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

/**
 * Lexical cleaning of an entry name, the same rule as layers' `cleanEntryName` (tar-safety.ts):
 * `./etc//passwd` → `etc/passwd`, the root → ''. Kept here until layers/index.ts exports
 * cleanEntryName; a name climbing out of the root is refused the same way.
 */
function cleanName(raw: string): string {
  if (raw.includes('\0')) throw invalid('LAYER_BAD_NAME', `entry name contains a NUL byte: ${JSON.stringify(raw)}`, { name: raw });
  if (raw.startsWith('/')) throw invalid('LAYER_ABSOLUTE_PATH', `entry name is absolute: ${JSON.stringify(raw)}`, { name: raw });
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') out.push(seg);
    else if (out.pop() === undefined) throw invalid('LAYER_PATH_TRAVERSAL', `entry name climbs out of the layer: ${JSON.stringify(raw)}`, { name: raw });
  }
  return out.join('/');
}

/** One tar header → one entry, or null for what the union never sees (the root, AUFS bookkeeping). */
export function entryOf(h: Headers): LayerEntry | null {
  const path = cleanName(h.name);
  if (path === '') return null;
  const mode = (h.mode ?? 0) & 0o7777;
  const wh = classifyWhiteout(path);
  if (wh?.kind === 'meta') return null;
  if (wh?.kind === 'whiteout') return { path, type: 'whiteout', size: 0, mode, target: wh.target };
  if (wh?.kind === 'opaque') return { path, type: 'opaque', size: 0, mode, target: wh.dir };
  const type = TYPES[h.type ?? 'file'];
  if (!type) return null; // pax/gnu headers are consumed by tar-stream; anything else carries no path
  const entry: LayerEntry = { path, type, size: type === 'file' ? (h.size ?? 0) : 0, mode };
  if (type === 'hardlink') entry.linkTarget = cleanName(h.linkname ?? '');
  if (type === 'symlink') entry.linkTarget = h.linkname ?? '';
  return entry;
}

/** Waits for the first bytes of `source` (up to 4) and hands back a stream that still starts with them. */
async function sniff(source: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(Buffer.from(r.value));
    len += r.value.length;
  }
  const first = Buffer.concat(head);
  const stream = new PassThrough();
  void (async () => {
    stream.write(first);
    if (!done) for (let r = await it.next(); !r.done; r = await it.next()) if (!stream.write(r.value)) await new Promise((ok) => stream.once('drain', ok));
    stream.end();
  })().catch((err: Error) => stream.destroy(err));
  return { compression: sniffCompression(first), stream };
}

function counter(seen: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

function readError(err: unknown, seen: { entries: number; bytes: number }): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as NodeJS.ErrnoException;
  const message = String(e?.message ?? err);
  if (e?.code?.startsWith('Z_') || /incorrect header check|invalid (block|distance|stored)/i.test(message)) {
    return invalid('LAYER_CORRUPT_GZIP', `layer is not valid gzip: ${message}`, { errno: e.code }, err);
  }
  if (/unexpected end of data/i.test(message)) {
    if (seen.entries === 0 && seen.bytes < 512) return invalid('LAYER_NOT_TAR', `layer is not a tar archive (${seen.bytes} bytes)`, { bytes: seen.bytes }, err);
    return invalid('LAYER_TRUNCATED', `layer tar ends in the middle of an entry: ${message}`, { entries: seen.entries }, err);
  }
  if (/invalid tar header/i.test(message)) return invalid('LAYER_NOT_TAR', `layer is not a valid tar archive (after ${seen.entries} entries): ${message}`, { entries: seen.entries }, err);
  return asEngineError(err);
}

// #region read
/** Lists a tar or tar+gzip's entries in archive order, draining contents without storing them. */
export async function readLayerEntries(source: Readable): Promise<LayerEntries> {
  const { compression, stream } = await sniff(source);
  if (compression === 'zstd') {
    source.destroy();
    throw invalid('LAYER_UNSUPPORTED_COMPRESSION', 'layer is zstd-compressed; only gzip and plain tar are supported', { compression });
  }
  const seen = { entries: 0, bytes: 0 };
  const entries: LayerEntry[] = [];
  const extract = tarExtract();
  // Any failure on the byte side (source, gunzip) stops the parser, which ends the loop below.
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    extract.destroy(err as Error);
  };
  let tar: Readable = stream.on('error', fail);
  if (compression === 'gzip') tar = tar.pipe(createGunzip().on('error', fail));
  tar.pipe(counter(seen).on('error', fail)).pipe(extract);
  try {
    for await (const entry of extract) {
      seen.entries++;
      entry.resume();
      const e = entryOf(entry.header);
      if (e) entries.push(e);
    }
  } catch (err) {
    stream.destroy();
    throw readError(failure ?? err, seen);
  }
  if (failure) throw readError(failure, seen);
  return { entries, compression, tarSize: seen.bytes };
}
// #endregion read
