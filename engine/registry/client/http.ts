// The client's HTTP: one request at a time over Node's http/https modules (chapter 4). Kept
// small and explicit because every registry exchange the chapter shows goes through it:
//   - bodies are streams both ways, so a layer is never held in memory whole;
//   - redirects are followed for GET and HEAD (Docker Hub sends blob downloads to a CDN), and
//     the Authorization header is dropped when a redirect leaves the registry's origin — a CDN
//     must never see the registry token;
//   - a connection that goes quiet for a minute fails instead of hanging a pull for ever;
//   - each HTTPS request is made with the TLS settings of its own host (certs.ts says which:
//     verified or not, which extra roots, which client certificate), over one kept-alive agent
//     per distinct settings, so connections made with one trust are never reused with another.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { SecureContext } from 'node:tls';
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

/** How to speak TLS to one host. */
export interface TlsSettings {
  /** Names these settings: requests under one name share one agent and its connections. */
  name: string;
  /** Check the certificate's chain and name (false: encrypted, but anyone could be answering). */
  verify: boolean;
  /** Roots and client certificate, when the host has its own (else Node's roots, no client certificate). */
  secureContext?: SecureContext;
  /** Where this host's extra CA certificates would go, for the message when verification fails. */
  certsDir?: string;
}

export type TlsSettingsFor = (url: URL) => Promise<TlsSettings>;

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;
const VERIFIED: TlsSettings = { name: 'verify', verify: true };

export class HttpTransport {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new Map<string, HttpsAgent>();
  private readonly userAgent: string;
  private readonly tlsFor: TlsSettingsFor;

  constructor(args: { userAgent: string; tlsFor?: TlsSettingsFor }) {
    this.userAgent = args.userAgent;
    this.tlsFor = args.tlsFor ?? (() => Promise.resolve(VERIFIED));
  }

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

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const tls = req.url.protocol === 'https:' ? await this.tlsFor(req.url).catch((err: unknown) => {
      if (req.body instanceof Readable) req.body.destroy(); // never to be sent: let its file go
      throw err;
    }) : undefined;
    const send = tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(req.url, {
        method: req.method,
        headers: { 'User-Agent': this.userAgent, ...req.headers },
        agent: tls ? this.httpsAgent(tls) : this.http,
        signal: req.signal,
      });
      r.setTimeout(IDLE_TIMEOUT_MS, () => r.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
      r.once('error', (err) => reject(unreachable(req, err, tls)));
      r.once('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url }));
      if (req.body instanceof Readable) {
        req.body.once('error', (err) => r.destroy(err));
        req.body.pipe(r);
      } else r.end(req.body);
    });
  }

  /** The agent for these settings, made on first use; the settings are its options for every connection. */
  private httpsAgent(tls: TlsSettings): HttpsAgent {
    let agent = this.https.get(tls.name);
    if (!agent) {
      agent = new HttpsAgent({ keepAlive: true, rejectUnauthorized: tls.verify, ...(tls.secureContext ? { secureContext: tls.secureContext } : {}) });
      this.https.set(tls.name, agent);
    }
    return agent;
  }

  /** Closes the kept-alive connections (the daemon's shutdown, a test's end). */
  close(): void {
    this.http.destroy();
    for (const agent of this.https.values()) agent.destroy();
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

/** OpenSSL's and Node's words for a certificate that did not verify (the chain, the dates, the name). */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
]);

function unreachable(req: HttpRequest, err: Error, tls?: TlsSettings): EngineError {
  if (err instanceof EngineError) return err;
  const url = req.url.href;
  if (err.name === 'AbortError') {
    return new EngineError({ code: 'REQUEST_CANCELED', kind: 'unavailable', message: `${req.method} ${url}: canceled`, data: { url }, cause: err });
  }
  const errno = (err as NodeJS.ErrnoException).code;
  return (tls && tlsFailure(req, err, tls)) ?? new EngineError({
    code: 'REGISTRY_UNREACHABLE', kind: 'unavailable',
    message: `${req.method} ${url}: ${err.message}`, data: { url, errno: errno ?? null }, cause: err,
  });
}

/** A failure of TLS itself, said in words that point at the fix; undefined for any other. */
function tlsFailure(req: HttpRequest, err: Error, tls: TlsSettings): EngineError | undefined {
  const errno = (err as NodeJS.ErrnoException).code ?? '';
  const { host, href: url } = req.url;
  const at = `${req.method} ${url}`;
  const data = { url, host, errno, certsDir: tls.certsDir ?? null };
  if (CERTIFICATE_ERRORS.has(errno)) {
    const trust = tls.certsDir ? `; to trust its CA, put the CA certificate in ${tls.certsDir}/ca.crt` : '';
    return new EngineError({
      code: 'REGISTRY_CERTIFICATE_INVALID', kind: 'failed-precondition',
      message: `${at}: the TLS certificate of ${host} failed verification: ${err.message}${trust}`, data, cause: err,
    });
  }
  // TLS offered, plain HTTP answered: OpenSSL reads the status line as a broken record.
  if (errno === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(err.message)) {
    return new EngineError({
      code: 'REGISTRY_TLS_FAILED', kind: 'unavailable',
      message: `${at}: ${host} answered in plain HTTP, not TLS (plain HTTP is used only with registries listed in insecure-registries)`, data, cause: err,
    });
  }
  // The server ended the handshake with an alert: most often, it wants a client certificate.
  if (/^ERR_SSL_.*ALERT/.test(errno)) {
    const wanted = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA/.test(errno) && tls.certsDir
      ? ` (if it wants a client certificate, put one in ${tls.certsDir}/client.cert with its key in client.key)`
      : '';
    return new EngineError({
      code: 'REGISTRY_TLS_FAILED', kind: 'unavailable',
      message: `${at}: ${host} refused the TLS handshake: ${errno.replace(/^ERR_SSL_(SSLV3_|TLSV1\d?_)?/, '').toLowerCase().replace(/_/g, ' ')}${wanted}`, data, cause: err,
    });
  }
  return undefined;
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
