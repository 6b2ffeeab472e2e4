// `startRegistry`: the boot order of `dockling registry`, one step a line (chapter 4).
//   1. the data root, and its lock (one registry per data root)
//   2. the stores: blobs, repositories, uploads
//   3. authentication (an htpasswd file: Basic, or tokens and their service) and the
//      pull-through cache (an upstream), if asked
//   4. the HTTP server — HTTPS when given a certificate and key — with the router, timeouts fit
//      for large layers over room Wi-Fi, and listen
// Each thing acquired is registered for release the moment it exists, and a failed start
// releases what it took, in reverse order.
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { silentTracer } from '../../trace/index.js';
import { invalid } from '../../base/index.js';
import { Layout } from './layout.js';
import { BlobStore } from './blob-store.js';
import { RepositoryStore } from './repository-store.js';
import { UploadStore } from './upload-store.js';
import { authentication } from './authentication.js';
import { PullThrough } from './pull-through.js';
import { Upstream } from './upstream.js';
import { createRouter } from './router.js';
import { lockDataRoot } from './data-root-lock.js';
import type { Services } from './context.js';
import type { RegistryOptions, RunningRegistry } from './types.js';

/** `127.0.0.1:5000`, `:5000` (every interface), `[::1]:5000` → host and port. */
export function parseListen(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m || Number(m[3]) > 65535) throw invalid('LISTEN_INVALID', `invalid listen address ${JSON.stringify(addr)}: want HOST:PORT or :PORT`, { listen: addr });
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

/** The URL a client on this machine reaches the registry at. */
function localUrl(scheme: 'http' | 'https', host: string | undefined, port: number): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return `${scheme}://127.0.0.1:${port}`;
  return host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`;
}

/**
 * The certificate and key's PEM text, read and tried together before anything listens: a
 * missing file, a file that is not PEM, or a key that is not the certificate's is refused here,
 * naming the files, rather than as a handshake failure on every connection later.
 */
async function readTlsFiles(tls: { cert: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (what: string, path: string) =>
    readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw invalid('TLS_FILE_UNREADABLE', `cannot read the TLS ${what} ${path}: ${err.code ?? err.message}`, { path, errno: err.code ?? null }, err);
    });
  const cert = await read('certificate', tls.cert);
  const key = await read('key', tls.key);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw invalid('TLS_INVALID', `TLS certificate ${tls.cert} and key ${tls.key} do not make a pair: ${(err as Error).message}`, { cert: tls.cert, key: tls.key }, err);
  }
  return { cert, key };
}

function listen(server: Server, host: string | undefined, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen({ host, port }, () => {
      server.off('error', fail);
      const a = server.address();
      ok(typeof a === 'object' && a ? a.port : port);
    });
  });
}

// #region start-registry
export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const release: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const r of release.splice(0).reverse()) await r().catch(() => undefined);
  };
  try {
    // 1. the data root and its lock
    const layout = new Layout(resolve(opts.dataRoot));
    await mkdir(layout.root, { recursive: true });
    const lock = await lockDataRoot(layout.lockFile, 'dockling registry');
    release.push(() => lock.release());
    // 2. the stores
    const blobs = new BlobStore(layout);
    const repos = new RepositoryStore(layout);
    const uploads = new UploadStore(layout);
    await blobs.init();
    await uploads.init();
    // 3. authentication and the pull-through cache
    const tracer = opts.tracer ?? silentTracer();
    const scheme = opts.tls ? 'https' : 'http';
    let url = '';
    const auth = await authentication({ opts, tracer, scheme, url: () => url });
    const proxy = opts.proxy
      ? new PullThrough({ upstream: new Upstream(opts.proxy), blobs, repos, layout, tracer, tagTtlMs: opts.proxy.tagTtlMs ?? 60_000 })
      : null;
    const services: Services = { blobs, repos, uploads, tracer, proxy };
    // 4. the HTTP server. No overall request timeout: pushing a 500 MB layer over a busy room's
    // Wi-Fi may take longer than Node's default 5 minutes. Headers must still come promptly.
    // With TLS the same server, encrypted (big blobs then go by read + write: sendfile.ts).
    const router = createRouter({
      services, gate: auth.gate, tokens: auth.tokens, writable: !opts.readOnly && !proxy,
      log: opts.log ?? ((line) => process.stderr.write(`dockling registry: ${line}\n`)),
    });
    const timeouts = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000 };
    const server: Server = opts.tls ? createTlsServer({ ...timeouts, ...(await readTlsFiles(opts.tls)) }, router) : createServer(timeouts, router);
    const { host, port: wanted } = parseListen(opts.listen ?? '127.0.0.1:5000');
    const port = await listen(server, host, wanted);
    release.push(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    );
    url = localUrl(scheme, host, port);
    tracer.start('registry', 'registry.start', { url, dataRoot: layout.root }).end({
      auth: auth.scheme, readOnly: opts.readOnly ?? false, proxy: opts.proxy?.url ?? null, tls: opts.tls !== undefined,
    });
    return { url, port, close: undo };
  } catch (err) {
    await undo();
    throw err;
  }
}
// #endregion start-registry
