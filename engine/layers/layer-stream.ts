// From a layer blob's bytes to tar bytes, counting both digests on the way (chapter 1).
// A layer blob is a tar, usually gzip-compressed. Its *digest* is the sha256 of the blob as
// stored; its *diffID* the sha256 of the tar inside. Both are computed in the one pass that
// unpacks it — hash, gunzip, hash — never by reading the blob twice:
//
//   source ─▶ sha256 (digest) ─▶ gunzip ─▶ sha256 (diffID) ─▶ tar parser
//
// Compression is sniffed from the first bytes (gzip starts 1f 8b), not trusted from a media
// type. Stream failures become EngineErrors with stable codes here, in one place.
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EngineError, asEngineError, invalid } from '../base/index.js';
import { DigestStream } from './digest.js';
import { sniffCompression, type Compression } from './media-types.js';
import type { LayerDigests } from './types.js';

export interface LayerByteStream {
  /** The uncompressed tar bytes. */
  tar: Readable;
  compression: Compression;
  /** The digests and sizes; complete once `tar` has ended. */
  digests(): LayerDigests;
  /** The first failure of the byte side (source or gunzip), already mapped to a code. */
  failure(): EngineError | null;
  /** Calls `fn` once, with that failure, when it happens (the parser must be stopped too). */
  onFailure(fn: (err: EngineError) => void): void;
  /** Tears the chain down (after a failure further on). */
  destroy(): void;
}

/** Reads up to `n` bytes from `source` without consuming them. */
async function peek(source: Readable, n: number): Promise<{ head: Buffer; source: Readable }> {
  const chunks: Buffer[] = [];
  let len = 0;
  let ended = false;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      source.off('readable', onReadable).off('end', onEnd).off('error', onError);
      resolve();
    };
    const onReadable = () => {
      let c: Buffer | null;
      while (len < n && (c = source.read() as Buffer | null) !== null) {
        chunks.push(c);
        len += c.length;
      }
      if (len >= n) done();
    };
    const onEnd = () => {
      ended = true;
      done();
    };
    const onError = (err: Error) => reject(asEngineError(err));
    source.on('readable', onReadable).on('end', onEnd).on('error', onError);
  });
  // Hand on a fresh stream that starts with the bytes peeked (unshift() races with 'end').
  const head = Buffer.concat(chunks);
  const rest = new PassThrough();
  if (ended) rest.end(head);
  else {
    rest.write(head);
    source.on('error', (err) => rest.destroy(err));
    source.pipe(rest);
  }
  return { head, source: rest };
}

function gunzipError(err: NodeJS.ErrnoException): EngineError {
  if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) {
    return invalid('LAYER_TRUNCATED', `layer gzip stream ends early: ${err.message}`, { errno: err.code }, err);
  }
  return invalid('LAYER_CORRUPT_GZIP', `layer is not valid gzip: ${err.message}`, { errno: err.code }, err);
}

/** Opens a layer blob: sniffs its compression and sets up the hash → gunzip → hash chain. */
export async function openLayerStream(input: Readable): Promise<LayerByteStream> {
  const { head, source } = await peek(input, 4);
  const compression = sniffCompression(head);
  if (compression === 'zstd') {
    input.destroy();
    throw invalid('LAYER_UNSUPPORTED_COMPRESSION', 'layer is zstd-compressed; only gzip and plain tar are supported', { compression });
  }
  const compressed = new DigestStream();
  const chain: NodeJS.ReadWriteStream[] = [];
  let failure: EngineError | null = null;
  let listener: (err: EngineError) => void = () => {};
  const fail = (err: EngineError) => {
    if (failure) return;
    failure = err;
    listener(err);
  };
  let uncompressed = compressed;
  source.on('error', (err) => fail(asEngineError(err)));
  compressed.on('error', (err) => fail(asEngineError(err)));
  let tar: Readable = source.pipe(compressed);
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 128 * 1024 });
    uncompressed = new DigestStream();
    gunzip.on('error', (err) => fail(gunzipError(err)));
    uncompressed.on('error', (err) => fail(asEngineError(err)));
    tar = tar.pipe(gunzip).pipe(uncompressed);
    chain.push(gunzip, uncompressed);
  }
  return {
    tar,
    compression,
    failure: () => failure,
    onFailure: (fn) => {
      listener = fn;
      if (failure) fn(failure);
    },
    digests: () => ({
      digest: compressed.digest(),
      diffID: uncompressed.digest(),
      size: compressed.bytes,
      uncompressedSize: uncompressed.bytes,
    }),
    destroy: () => {
      for (const s of [source, compressed, ...chain] as Readable[]) if (!s.destroyed) s.destroy();
    },
  };
}

/** Maps a tar-stream parse error to a stable code. */
export function tarError(err: unknown, seen: { entries: number; bytes: number }): EngineError {
  if (err instanceof EngineError) return err;
  const message = String((err as Error)?.message ?? err);
  if (/unexpected end of data/i.test(message)) {
    if (seen.entries === 0 && seen.bytes < 512) return invalid('LAYER_NOT_TAR', `layer is not a tar archive (${seen.bytes} bytes)`, { bytes: seen.bytes }, err);
    return invalid('LAYER_TRUNCATED', `layer tar ends in the middle of an entry: ${message}`, { entries: seen.entries }, err);
  }
  if (/invalid tar header/i.test(message)) {
    return invalid('LAYER_NOT_TAR', `layer is not a valid tar archive (after ${seen.entries} entries): ${message}`, { entries: seen.entries }, err);
  }
  return asEngineError(err);
}
