// A raw HTTP/1.1 client for the hostile tests (issue 9): node:http refuses to send what a hostile
// client sends (a NUL in the path, a bare `..`, a lying Content-Length), so the bytes are written
// by hand on a fresh connection, `Connection: close`, and the answer is read until the server
// closes. Chunked bodies are undone; nothing else of HTTP is interpreted.
import { createConnection, type NetConnectOpts } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The answer did not come within the timeout: a hang. */
  timedOut: boolean;
  /** The connection failed or closed before a status line. */
  error?: string;
}

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encoding, NULs and all. */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** One request on its own connection (a unix socket path or a TCP address). */
export function rawRequest(to: NetConnectOpts, r: RawRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const sock = createConnection(to);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (a: Partial<RawAnswer>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parse(Buffer.concat(chunks), a));
    };
    const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => finish({}));
    sock.on('close', () => finish({}));
    // A refusal may cut the upload short: what was answered before counts.
    sock.on('error', (err) => finish({ error: err.message }));
    sock.on('connect', () => {
      const body = r.body ?? Buffer.alloc(0);
      const headers = { Host: 'docker', Connection: 'close', ...(r.body !== undefined ? { 'Content-Length': String(body.length) } : {}), ...r.headers };
      const head = `${r.method} ${r.target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      sock.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
  });
}

function parse(raw: Buffer, extra: Partial<RawAnswer>): RawAnswer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m || end < 0) return { status: 0, headers: {}, body: '', timedOut: false, ...extra, ...(m ? {} : { error: extra.error ?? 'no status line' }) };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(m[1]), headers, body: body.toString('utf8'), timedOut: false, ...extra };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
