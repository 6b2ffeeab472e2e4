// Content addressing: a blob is named by the sha256 of its bytes (OCI image-spec
// descriptor.md, "Digests"). Everything that names a blob goes through these helpers, so a
// malformed digest is refused in one place with one error code.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { invalid } from '../base/index.js';
import type { Digest } from './types.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Checks a string is a sha256 digest and returns it typed; refuses anything else (`../`, other algorithms). */
export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (!isDigest(s)) throw invalid('INVALID_DIGEST', `invalid ${what} ${JSON.stringify(s)}: want sha256:<64 hex digits>`, { value: s });
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 64 hex digits of a digest: the blob's file name under blobs/sha256/. */
export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** Docker's short ID: the first 12 hex digits. */
export function shortId(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private result: Digest | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  /** The digest of everything that passed; valid once the stream has ended. */
  digest(): Digest {
    if (!this.result) this.result = `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}
