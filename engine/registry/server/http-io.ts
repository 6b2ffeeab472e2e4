// Small HTTP habits every handler shares: the headers a registry always sends, JSON and error
// answers in the spec's shape, reading a bounded body (manifests), and the two range headers
// the API uses — RFC 9110's `Range: bytes=0-99` on blob GETs, and the spec's bare
// `Content-Range: 0-99` / `Range: 0-99` on upload chunks (inclusive ends, no unit).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError, errorBody, registryError } from './errors.js';

/** RFC 9110 §14: one byte range, resolved against the blob's size. */
export type ByteRange = { start: number; end: number };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with no body: 201, 202, 204 and friends (Content-Length 0 keeps keep-alive happy). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...headers });
  res.end();
}

export function sendError(res: ServerResponse, err: RegistryError, headers: Record<string, string> = {}): void {
  const text = errorBody(err);
  res.writeHead(err.httpStatus, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

/** Content-Length as a number, undefined when absent (a chunked body). */
export function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw registryError('SIZE_INVALID', `bad Content-Length ${JSON.stringify(v)}`, { contentLength: v });
  return n;
}

/** Reads a whole body into memory, refusing more than `limit` bytes (413) — for manifests only. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  const tooBig = () => registryError('SIZE_INVALID', `body is larger than ${limit} bytes`, { limit }, 413);
  if (declared !== undefined && declared > limit) throw tooBig();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooBig();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A blob GET's `Range: bytes=A-B` (or `A-`, or the last `-N` bytes). Null when the header is
 * absent or names several ranges (then the whole blob is served, as RFC 9110 allows);
 * 'unsatisfiable' when the range lies outside the blob (416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return header.includes(',') ? null : 'unsatisfiable';
  const [, a, b] = m;
  if (a === '' && b === '') return 'unsatisfiable';
  if (a === '') {
    const n = Math.min(Number(b), size);
    return n === 0 ? 'unsatisfiable' : { start: size - n, end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** An upload chunk's `Content-Range: A-B` (the spec's form; a `bytes ` prefix is tolerated). */
export function parseChunkRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1])) {
    throw registryError('BLOB_UPLOAD_INVALID', `bad Content-Range ${JSON.stringify(header)}: want START-END`, { contentRange: header }, 416);
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** The spec's upload progress header: `Range: 0-<last byte received>` (`0-0` before any byte). */
export function uploadRange(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
