// The live listener (chapter 6, live mode; `dockling daemon --trace-listen 127.0.0.1:PORT`): a
// second HTTP server, on loopback TCP, that a browser may read — the trace as it happens and
// read-only state — so that the site can draw what the reader's own commands do. The Engine
// API stays on the unix socket only: it starts containers as root, and a web page must never
// reach it. So this server has its own short route table, every route a GET, and every request
// passes request-guard.ts (Host against DNS rebinding, Origin against other sites) first.
//
//   GET /                 what this is: {Service, Version, TraceFormat, TraceVersion, ReadOnly, Endpoints}
//   GET /trace/stream     Server-Sent Events, ?since=ID to catch up (trace-routes.ts)
//   GET /trace/recent     the kept events as a JSON array, ?limit=N
//   GET /state/images, /state/images/{name}/layers, /state/containers, /state/networks
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { conflict } from '../../base/index.js';
import { TRACE_FORMAT, TRACE_VERSION, silentTracer } from '../../trace/index.js';
import { createRouter, type Route } from '../http/router.js';
import { answerUnparsable, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { loopbackHosts, type LoopbackAddress } from './live-settings.js';
import { checkRequest, corsHeaders, type GuardPolicy } from './request-guard.js';
import { TraceFeed } from './trace-feed.js';
import { liveTraceRoutes } from './trace-routes.js';
import { liveStateRoutes } from './state-routes.js';

/** What a live route can reach: the engine's stores, read only, and the numbered trace. */
export interface LiveContext {
  engine: DaemonEngine;
  feed: TraceFeed;
}

const ENDPOINTS = ['/trace/stream', '/trace/recent', '/state/images', '/state/images/{name}/layers', '/state/containers', '/state/networks'];

const indexRoute: Route<LiveContext> = {
  method: 'GET',
  pattern: /^\/$/,
  handler: ({ res, engine: { engine } }) => sendJSON(res, 200, { Service: 'dockling-live', Version: engine.version, TraceFormat: TRACE_FORMAT, TraceVersion: TRACE_VERSION, ReadOnly: true, Endpoints: ENDPOINTS }),
};

export const LIVE_ROUTES: Route<LiveContext>[] = [indexRoute, ...liveTraceRoutes, ...liveStateRoutes];

/** A browser has no business holding more than a few of these; a runaway page is capped. */
const MAX_CONNECTIONS = 64;

export class LiveListener {
  private constructor(
    private readonly server: Server,
    private readonly feed: TraceFeed,
    /** `http://127.0.0.1:7357`, with the port the kernel gave when asked for 0. */
    readonly url: string,
    readonly origins: string[],
  ) {}

  static async start(a: { engine: DaemonEngine; address: LoopbackAddress; origins: string[] }): Promise<LiveListener> {
    const feed = new TraceFeed(a.engine.traceStream);
    const policy: GuardPolicy = { hosts: [], origins: a.origins };
    const quiet = silentTracer(); // reads are not traced: a follower would watch itself
    const router = createRouter<LiveContext>({
      routes: LIVE_ROUTES,
      engine: { engine: a.engine, feed },
      serverVersion: a.engine.version,
      startSpan: (method, path) => quiet.start('daemon', 'http.request', { method, path }),
    });
    const server = createServer((req, res) => guarded(req, res, policy, router));
    server.maxConnections = MAX_CONNECTIONS;
    answerUnparsable(server);
    server.requestTimeout = 0; // the stream lives as long as the page follows it
    server.headersTimeout = 60_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(a.address.port, a.address.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      feed.close();
      const where = `${a.address.host === '::1' ? '[::1]' : a.address.host}:${a.address.port}`;
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw conflict('TRACE_LISTEN_IN_USE', `--trace-listen ${where}: something already listens on that port: choose another`, { address: where });
      throw err;
    }
    const { port } = server.address() as AddressInfo;
    policy.hosts = loopbackHosts(port); // known once bound: port 0 asks the kernel for one
    const host = a.address.host === '::1' ? '[::1]' : a.address.host;
    return new LiveListener(server, feed, `http://${host}:${port}`, a.origins);
  }

  async close(): Promise<void> {
    this.feed.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // followers' streams never end by themselves
    });
  }
}

/** request-guard.ts's verdict first; only an allowed request reaches a route. */
function guarded(req: IncomingMessage, res: ServerResponse, policy: GuardPolicy, router: (req: IncomingMessage, res: ServerResponse) => void): void {
  const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
  const verdict = checkRequest(
    {
      method: req.method ?? 'GET', host: req.headers.host, origin: one(req.headers.origin),
      fetchSite: one(req.headers['sec-fetch-site']), preflightMethod: one(req.headers['access-control-request-method']),
    },
    policy,
  );
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // A page of another origin may not even embed an answer (a CORS read is not affected by this).
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (!verdict.allowed) {
    if (verdict.status === 405) res.setHeader('Allow', 'GET');
    // A refused request's body is never read: the connection ends with the answer instead.
    res.setHeader('Connection', 'close');
    sendJSON(res, verdict.status, { message: verdict.message });
    return;
  }
  if (verdict.origin) for (const [k, v] of Object.entries(corsHeaders(verdict.origin, { preflight: verdict.preflight }))) res.setHeader(k, v);
  if (verdict.preflight) sendEmpty(res, 204);
  else router(req, res);
}
