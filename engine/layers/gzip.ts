// Parallel gzip for layer blobs (chapter 1). Compressing is the slow part of packing a layer:
// one deflate stream uses one core. pigz's trick gives the same bytes format on every core:
//
//   1. cut the input into blocks (256 KiB here);
//   2. deflate each block on its own, in zlib's threadpool, primed with the previous block's
//      last 32 KiB as the preset `dictionary` — deflate's window is 32 KiB, so back-references
//      can still reach across the cut and the ratio barely changes;
//   3. end every block with Z_SYNC_FLUSH (it ends on a byte boundary with an empty stored block
//      and no "final" bit), the last one with Z_FINISH;
//   4. write one gzip header, the blocks in input order, and the trailer: CRC-32 of the whole
//      input (computed in order on the main thread) and its length mod 2^32 (RFC 1952).
//
// The result is a single ordinary gzip member: `gzip -d`, Go and Node read it like any other.
// A raw inflater never sees the cuts: for it, the previous block's output *is* the window the
// dictionary stood in for.
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw } from 'node:zlib';
import { availableParallelism } from 'node:os';

const WINDOW = 32 * 1024;

// ID1 ID2, CM=deflate, FLG=0, MTIME=0 (a layer's bytes must not depend on when it was packed),
// XFL=0, OS=3 (Unix).
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);

function deflateBlock(block: Buffer, dictionary: Buffer | null, level: number, last: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(
      block,
      {
        level,
        ...(dictionary ? { dictionary } : {}),
        finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
  });
}

export interface ParallelGzipOptions {
  level?: number;
  blockSize?: number;
  /** Blocks compressing at once; default: twice the cores (zlib's pool has 4 threads by default). */
  parallel?: number;
}

/** A Transform from bytes to one gzip member, compressing blocks in parallel, output in order. */
export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly parallel: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private prevTail: Buffer | null = null;
  private crc = 0;
  private inputBytes = 0;
  private readonly inflight: Promise<Buffer>[] = [];
  private started = false;

  constructor(opts: ParallelGzipOptions = {}) {
    super();
    this.level = opts.level ?? 6;
    this.blockSize = opts.blockSize ?? 256 * 1024;
    this.parallel = opts.parallel ?? Math.max(2, availableParallelism() * 2);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.inputBytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drainFull().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.drainFull()
      .then(async () => {
        this.dispatch(this.cut(this.pendingBytes), true);
        while (this.inflight.length) this.push(await this.inflight.shift()!);
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(this.crc >>> 0, 0);
        trailer.writeUInt32LE(this.inputBytes % 2 ** 32, 4);
        this.push(trailer);
      })
      .then(() => cb(), cb);
  }

  /** Dispatches every full block; waits for the oldest when too many are in flight. */
  private async drainFull(): Promise<void> {
    while (this.pendingBytes >= this.blockSize) {
      this.dispatch(this.cut(this.blockSize), false);
      while (this.inflight.length >= this.parallel) this.push(await this.inflight.shift()!);
    }
  }

  private cut(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = n < all.length ? [all.subarray(n)] : [];
    this.pendingBytes = all.length - n;
    return all.subarray(0, n);
  }

  private dispatch(block: Buffer, last: boolean): void {
    if (!this.started) {
      this.started = true;
      this.push(HEADER);
    }
    this.inflight.push(deflateBlock(block, this.prevTail, this.level, last));
    // Copy the tail: the block's memory may be reused by whoever handed us the chunk.
    const tail = block.length >= WINDOW ? block.subarray(block.length - WINDOW) : Buffer.concat([this.prevTail ?? Buffer.alloc(0), block]).subarray(-WINDOW);
    this.prevTail = Buffer.from(tail);
  }
}
