// A layer blob has two names (chapter 1): its digest, the sha256 of the bytes stored, and its
// diffID, the sha256 of the tar inside. The content store counts the first as it writes; this
// tap counts the second on the way, so a blob is read once for both.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalid } from '../base/index.js';
import { sniffCompression, type Compression } from './media-types.js';
import type { Digest } from './types.js';

// #region diffid-tap
/**
 * A pass-through that also computes the diffID: the sha256 of the tar inside the blob. The
 * compression is sniffed from the first bytes unless a media type said it; gzip is inflated on
 * the side, never stored. A wrong expected diffID fails the stream before the blob is committed.
 */
export class DiffIDTap extends Transform {
  compression?: Compression;
  diffID?: Digest;
  uncompressedSize = 0;
  private readonly hash = createHash('sha256');
  private gunzip?: ReturnType<typeof createGunzip>;
  private head: Buffer[] = [];

  constructor(hint?: Compression, private readonly expected?: Digest) {
    super();
    if (hint) this.start(hint);
  }

  private start(c: Compression): void {
    if (c === 'zstd') throw invalid('LAYER_COMPRESSION_UNSUPPORTED', 'zstd-compressed layers are not supported', {});
    this.compression = c;
    if (c === 'gzip') {
      this.gunzip = createGunzip({ chunkSize: 128 * 1024 }); // the default 16 KiB chunks made the checks twice as slow
      this.gunzip.on('data', (b: Buffer) => this.inner(b));
      this.gunzip.on('error', (e) => this.destroy(invalid('INVALID_LAYER', `layer is not valid gzip: ${e.message}`, {}, e)));
    }
  }

  private inner(b: Buffer): void {
    this.hash.update(b);
    this.uncompressedSize += b.length;
  }

  private feed(chunk: Buffer, cb: TransformCallback): void {
    if (!this.gunzip) {
      this.inner(chunk);
      return cb(null, chunk);
    }
    if (this.gunzip.write(chunk)) return cb(null, chunk);
    this.gunzip.once('drain', () => cb(null, chunk));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (this.compression) return this.feed(chunk, cb);
      this.head.push(chunk);
      const head = Buffer.concat(this.head);
      if (head.length < 4) return cb();
      this.head = [];
      this.start(sniffCompression(head));
      this.feed(head, cb);
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    const finish = () => {
      this.diffID = `sha256:${this.hash.digest('hex')}`;
      if (this.expected && this.diffID !== this.expected) {
        return cb(invalid('DIFFID_MISMATCH', `layer diffID mismatch: expected ${this.expected}, got ${this.diffID}`, { expected: this.expected, diffID: this.diffID }));
      }
      cb();
    };
    if (!this.compression) {
      const head = Buffer.concat(this.head);
      this.start('none');
      this.inner(head);
      this.push(head);
    }
    if (!this.gunzip) return finish();
    this.gunzip.once('end', finish);
    this.gunzip.end();
  }
}
// #endregion diffid-tap
