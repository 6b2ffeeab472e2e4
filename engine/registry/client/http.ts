// The client's HTTP: one request at a time over Node's http/https modules (chapter 4). Kept
// small and explicit because every registry exchange the chapter shows goes through it:
//   - bodies are streams both ways, so a layer is never held in memory whole;
//   - redirects are followed for GET and HEAD (Docker Hub sends blob downloads to a CDN), and
//     the Authorization header is dropped when a redirect leaves the registry's origin — a CDN
//     must never see the registry token;
//   - a connection that goes quiet for a minute fails instead of hanging a pull for ever.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { EngineError, invalid } from '../../base/index.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: Method;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer, or a stream sent as it comes (give Content-Length in headers when known). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, to be read or drained by the caller. */
  body: IncomingMessage;
  /** Where the answer came from, after redirects. */
  url: URL;
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

export class HttpTransport {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });

  constructor(private readonly userAgent: string) {}

  // #region send
  /** Sends a request and returns once the response headers are in; follows GET/HEAD redirects. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...(req.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const res = await this.once({ ...req, url, headers });
      const location = res.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(res.status) && location && (req.method === 'GET' || req.method === 'HEAD');
      if (!redirect) return res;
      res.body.resume();
      if (hop >= MAX_REDIRECTS) throw invalid('TOO_MANY_REDIRECTS', `${req.method} ${req.url.href}: more than ${MAX_REDIRECTS} redirects`, { url: req.url.href });
      const next = new URL(location, url);
      if (next.origin !== url.origin) headers = withoutAuthorization(headers);
      url = next;
    }
  }
  // #endregion send

  private once(req: HttpRequest): Promise<HttpResponse> {
    const secure = req.url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(req.url, {
        method: req.method,
        headers: { 'User-Agent': this.userAgent, ...req.headers },
        agent: secure ? this.https : this.http,
        signal: req.signal,
      });
      r.setTimeout(IDLE_TIMEOUT_MS, () => r.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
      r.once('error', (err) => reject(unreachable(req, err)));
      r.once('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url }));
      if (req.body instanceof Readable) {
        req.body.once('error', (err) => r.destroy(err));
        req.body.pipe(r);
      } else r.end(req.body);
    });
  }

  /** Closes the kept-alive connections (the daemon's shutdown, a test's end). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

function unreachable(req: HttpRequest, err: Error): EngineError {
  if (err instanceof EngineError) return err;
  if (err.name === 'AbortError') {
    return new EngineError({ code: 'REQUEST_CANCELED', kind: 'unavailable', message: `${req.method} ${req.url.href}: canceled`, data: { url: req.url.href }, cause: err });
  }
  const errno = (err as NodeJS.ErrnoException).code;
  return new EngineError({
    code: 'REGISTRY_UNREACHABLE', kind: 'unavailable',
    message: `${req.method} ${req.url.href}: ${err.message}`, data: { url: req.url.href, errno: errno ?? null }, cause: err,
  });
}

/** Reads a whole (small) body: manifests, tokens, error documents. Refuses more than `limit` bytes. */
export async function readBody(res: HttpResponse, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      throw invalid('RESPONSE_TOO_LARGE', `${res.url.href}: response larger than ${limit} bytes`, { url: res.url.href, limit });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and drops a body we do not need, so the connection can be reused. */
export async function drain(res: HttpResponse): Promise<void> {
  for await (const _ of res.body) void _;
}

/** A header's single value (Node gives arrays for a few). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
