// Peers and stores for the registry client's tests (chapter 4), all on 127.0.0.1:
//   - the CNCF distribution registry (Debian's docker-registry), started per test file with a
//     config of its own in a temp dir, optionally behind htpasswd (Basic auth);
//   - a counting proxy, to see which requests a push or pull really made;
//   - small images made by hand, of any platform, and stores to put them in.
// Every server and child process started here is stopped by the returned stop().
import { readdir } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentStore, ImageStore, type Image, type ImageConfig } from '../../engine/layers/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import type { ProgressMessage } from '../../engine/registry/index.js';
import { DISTRIBUTION_BIN, freePort, htpasswdFile, startDistribution as startPeer } from './server-harness.js';

export const REGISTRY_BIN = DISTRIBUTION_BIN;
export { freePort };

export interface Distribution { host: string; url: string; stop: () => Promise<void> }

// #region start-distribution
/** docker-registry (server-harness.ts starts it), optionally behind htpasswd with one user. */
export async function startDistribution(dir: string, opts: { htpasswd?: { username: string; password: string } } = {}): Promise<Distribution> {
  const htpasswd = opts.htpasswd ? await htpasswdFile(dir, [opts.htpasswd]) : undefined;
  const peer = await startPeer(htpasswd ? { htpasswd } : {});
  return { host: new URL(peer.url).host, url: peer.url, stop: peer.stop };
}
// #endregion start-distribution

export function httpStatus(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<number> {
  return httpCall(url, init).then((r) => r.status);
}

export function httpCall(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: { ...(init.body ? { 'Content-Length': String(init.body.length) } : {}), ...init.headers, Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export interface Seen { method: string; url: string; status: number; authorization?: string; range?: string }

/** An HTTP server on a free port; stop() closes it and its connections. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; host: string; stop: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { server, url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, stop };
}

// #region counting-proxy
/** Forwards everything to `target` (host:port) and records each request and its answer's status. */
export async function countingProxy(target: string) {
  const seen: Seen[] = [];
  const [host, port] = target.split(':');
  const proxy = await serve((req, res) => {
    const up = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      seen.push({
        method: req.method!, url: req.url!, status: answer.statusCode ?? 0,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return { ...proxy, seen };
}
// #endregion counting-proxy

export async function newStore(dir: string, name: string) {
  const sink = new MemorySink();
  const tracer = new Tracer([sink]);
  const content = new ContentStore({ root: join(dir, name), tracer });
  await content.init();
  return { content, store: new ImageStore({ content, tracer }), sink, tracer };
}

export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date(0), mode: 0o644 }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An image of one or more layers (gzip unless told), made by hand, of any platform. */
export async function makeImage(store: ImageStore, opts: { name: string; layers: Array<Record<string, string | Buffer>>; architecture?: string; variant?: string; gzip?: boolean }): Promise<Image> {
  const layers = [];
  for (const files of opts.layers) {
    const tar = await tarOf(files);
    layers.push(await store.ingestLayer(Readable.from([opts.gzip === false ? tar : gzipSync(tar)])));
  }
  const config: ImageConfig = {
    architecture: opts.architecture ?? 'amd64', os: 'linux', ...(opts.variant ? { variant: opts.variant } : {}),
    created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  };
  return store.addImage({ config, layers, names: [opts.name] });
}

/** Collects progress messages; `lines()` gives them as `id: status` the way the CLI prints them. */
export function progressLog() {
  const messages: ProgressMessage[] = [];
  return {
    messages,
    listener: (m: ProgressMessage) => messages.push(m),
    lines: () => messages.filter((m) => m.status && !m.progressDetail?.current).map((m) => (m.id ? `${m.id}: ${m.status}` : m.status!)),
  };
}

export async function ingestFiles(content: ContentStore): Promise<string[]> {
  return readdir(join(content.root, 'ingest'));
}
