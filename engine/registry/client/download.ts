// One blob's bytes as one stream, however many connections it takes (chapter 4). A layer can
// be hundreds of megabytes and connections break; rather than start again, the download asks
// for the rest (RFC 9110 §14: `Range: bytes=N-`). A registry that honours it answers
// 206 Partial Content from byte N; one that does not answers 200 with everything, and the
// first N bytes are skipped. Either way the bytes that come out are the blob's, in order,
// and the content store downstream hashes them as they pass: nothing here is trusted.
//
// Never more than the descriptor's size: a server sending more is cut off at once, naming
// the digest, before it can fill the disk. And the stream hashes what it hands on: bytes that
// do not have the blob's digest end it with DIGEST_MISMATCH before the store's own checks
// (the diffID, computed downstream, would otherwise be the first to notice a changed layer) —
// unless the reader counts the digest first itself (`checked: false`: a layer unpacked as it
// arrives checks its digest before its diffID), and the bytes need not be hashed twice.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { EngineError, invalid } from '../../base/index.js';
import type { Digest } from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import { header } from './http.js';
import type { RemoteRepository } from './repository.js';

export interface BlobStreamOptions {
  repo: RemoteRepository;
  digest: Digest;
  size: number;
  /** Bytes received so far, after each chunk. */
  onBytes?: (received: number) => void;
  signal?: AbortSignal;
  span?: Span;
  /** Broken connections in a row (without a byte received) before giving up. */
  retries?: number;
  /** Hash the bytes and end with DIGEST_MISMATCH if they differ (default); false: the reader does. */
  checked?: boolean;
}

/** Errors worth another try: the network, not the registry's answer. */
function transient(err: unknown): boolean {
  if (err instanceof EngineError) return err.code === 'REGISTRY_UNREACHABLE';
  return true;
}

function checkDigest(expected: Digest, got: string): void {
  if (got !== expected) throw invalid('DIGEST_MISMATCH', `blob digest mismatch: expected ${expected}, the registry sent bytes with ${got}`, { expected, digest: got });
}

/** Where a 206 answer starts: `Content-Range: bytes 1024-2047/4096` → 1024. */
function rangeStart(value: string | undefined): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

// #region resume
export function blobStream(opts: BlobStreamOptions): Readable {
  const { repo, digest, size, span } = opts;
  const retries = opts.retries ?? 5;
  async function* bytes(): AsyncGenerator<Buffer> {
    let received = 0;
    let failures = 0;
    const hash = opts.checked === false ? undefined : createHash('sha256');
    for (;;) {
      const before = received;
      try {
        const res = await repo.getBlob(digest, received);
        // Bytes of this answer that we already have: all of them up to `received` on a 200.
        let skip = 0;
        if (received > 0) {
          const start = res.status === 206 ? rangeStart(header(res, 'content-range')) : 0;
          if (start === undefined || start > received) throw invalid('BAD_RANGE_ANSWER', `blob ${digest}: the registry answered the range from byte ${received} with ${header(res, 'content-range') ?? 'no Content-Range'}`, { digest });
          skip = received - start;
          span?.event('blob.resume', { digest, from: received, status: res.status });
        }
        for await (const raw of res.body) {
          let chunk = raw as Buffer;
          if (skip > 0) {
            const dropped = Math.min(skip, chunk.length);
            skip -= dropped;
            chunk = chunk.subarray(dropped);
            if (chunk.length === 0) continue;
          }
          received += chunk.length;
          if (received > size) {
            res.body.destroy();
            throw invalid('SIZE_MISMATCH', `blob ${digest}: the registry sent more than the ${size} bytes its descriptor says`, { digest, expectedSize: size });
          }
          hash?.update(chunk);
          opts.onBytes?.(received);
          yield chunk;
        }
        if (received === size) return hash && checkDigest(digest, `sha256:${hash.digest('hex')}`);
        // A clean end short of the size: the connection was closed early. Ask for the rest.
        throw new EngineError({ code: 'REGISTRY_UNREACHABLE', kind: 'unavailable', message: `blob ${digest}: connection closed after ${received} of ${size} bytes`, data: { digest, received, size } });
      } catch (err) {
        if (opts.signal?.aborted || !transient(err)) throw err;
        failures = received > before ? 1 : failures + 1;
        if (failures > retries) {
          throw new EngineError({
            code: 'BLOB_DOWNLOAD_FAILED', kind: 'unavailable',
            message: `blob ${digest}: download failed after ${retries} retries at byte ${received} of ${size}: ${(err as Error).message}`,
            data: { digest, received, size }, cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 100 * failures));
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
// #endregion resume
