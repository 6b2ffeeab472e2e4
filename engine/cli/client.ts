// The CLI's only way into the engine: HTTP to the daemon, the same Docker Engine API the real
// `docker` CLI speaks, over whichever road the host names (transport.ts: the unix socket, TCP
// with mutual TLS, ssh). Errors come back as `{"message": …}` and become DaemonError; no daemon
// becomes the "Is the daemon running?" advice, a refused certificate says which side refused.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { CliError, DaemonError } from './errors.js';
import { transportFor, type TlsFiles, type Transport } from './transport.js';

export { DEFAULT_HOST } from './transport.js';
const API_PREFIX = '/v1.50';

export interface RequestOptions {
  query?: Record<string, string | string[] | boolean | undefined>;
  body?: Readable | Buffer;
  headers?: Record<string, string>;
}

export class ApiClient {
  private readonly transport: Transport;
  readonly host: string;

  /** `new ApiClient('unix:///run/dockling.sock')`, or a host and its TLS files, or a ready transport. */
  constructor(host: string | Transport, tls?: TlsFiles) {
    this.transport = typeof host === 'string' ? transportFor(host, tls) : host;
    this.host = this.transport.host;
  }

  // #region request
  /** Sends a request; resolves with the response whatever its status. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined || v === false) continue;
      for (const one of Array.isArray(v) ? v : [v === true ? '1' : v]) qs.append(k, one);
    }
    const search = qs.toString();
    const fullPath = (path.startsWith('/dockling/') ? path : API_PREFIX + path) + (search ? `?${search}` : '');
    return new Promise((resolve, reject) => {
      const { request, options } = this.transport;
      const req = request({ ...options, method, path: fullPath, headers: { 'User-Agent': 'Dockling-Client', ...opts.headers } }, resolve);
      req.on('error', (err) => reject(this.connectionError(err as NodeJS.ErrnoException)));
      const body = opts.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }
  // #endregion request

  /**
   * `POST …/attach` with `Connection: Upgrade`: resolves with the raw socket once the daemon
   * answers `101 UPGRADED` (bytes that came with the answer are unshifted back into it).
   */
  hijack(path: string, opts: RequestOptions = {}): Promise<Socket> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== false) qs.append(k, v === true ? '1' : String(v));
    return new Promise((resolve, reject) => {
      const { request, options } = this.transport;
      const req = request({
        ...options, method: 'POST', path: `${API_PREFIX}${path}?${qs}`,
        headers: { 'User-Agent': 'Dockling-Client', Connection: 'Upgrade', Upgrade: 'tcp', ...opts.headers },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) daemonError(res).then(reject, reject);
        else reject(new CliError(`unable to upgrade to tcp, received ${res.statusCode}`));
      });
      req.on('error', (err) => reject(this.connectionError(err as NodeJS.ErrnoException)));
      // exec start carries a JSON body before the stream (a Buffer: the upgrade needs its length)
      req.end(Buffer.isBuffer(opts.body) ? opts.body : undefined);
    });
  }

  /** A request whose answer must be a 2xx; returns the response for streaming bodies. */
  async ok(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.request(method, path, opts);
    if ((res.statusCode ?? 500) >= 400) throw await daemonError(res);
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.ok(method, path, opts);
    const text = await readAll(res);
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  private connectionError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return new CliError(
        `Cannot connect to the Dockling daemon at ${this.host}. Is the daemon running?\n` +
          `Start it with:  sudo dockling daemon &   (or point DOCKLING_HOST / -H at its socket)`,
      );
    }
    if (err.code === 'EACCES') {
      return new CliError(`permission denied while trying to connect to the Dockling daemon socket at ${this.host}`);
    }
    // The daemon hung up in the handshake with an alert: it refused our certificate (or we sent none).
    if (/ALERT/.test(err.code ?? '') || (err.code === 'ECONNRESET' && this.host.startsWith('tcp://'))) {
      return new CliError(`error during connect to ${this.host}: the daemon refused the TLS handshake (${err.code}): it wants a client certificate signed by its CA: check --tlscert/--tlskey or DOCKLING_CERT_PATH`);
    }
    // The daemon's certificate did not pass our checks (another CA, expired, or not naming the host).
    if (/CERT|ERR_TLS_/.test(err.code ?? '')) {
      return new CliError(`error during connect to ${this.host}: the daemon's TLS certificate was refused: ${err.message} (${err.code})`);
    }
    return new CliError(`error during connect to ${this.host}: ${err.message}`);
  }
}

export async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function daemonError(res: IncomingMessage): Promise<DaemonError> {
  const status = res.statusCode ?? 500;
  const text = await readAll(res);
  if (res.headers['content-type'] === 'application/json') {
    try {
      const body = JSON.parse(text) as { message?: string };
      if (body.message) return new DaemonError(status, body.message);
    } catch {
      // fall through to the raw text
    }
  }
  return new DaemonError(status, text.trim() || `API returned a ${status} but provided no error-message`);
}

/** The objects of a JSON message stream (load, import), in order. */
export async function* jsonMessages(res: IncomingMessage): AsyncGenerator<Record<string, unknown>> {
  let buffer = '';
  for await (const chunk of res) {
    buffer += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer) as Record<string, unknown>;
}
