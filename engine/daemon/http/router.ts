// The daemon's one routing table: method + regular expression → handler. Paths are matched
// after the `/v1.xx` prefix is taken off (and checked); image names keep their slashes, so
// patterns such as `/images/(.+)/json` are greedy on purpose. No framework: node:http only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '../../trace/index.js';
import { HttpError, sendError, standardHeaders } from './respond.js';
import { splitVersion, versionProblem } from '../api-version.js';

export interface RequestContext<E> {
  req: IncomingMessage;
  res: ServerResponse;
  /** Captured groups of the route's pattern, URL-decoded. */
  params: string[];
  query: URLSearchParams;
  /** The API version the client asked for (the prefix), or null. */
  apiVersion: string | null;
  /** A span for this request: engine operations hang under it in the trace. */
  span: Span;
  engine: E;
}

export type Handler<E> = (ctx: RequestContext<E>) => Promise<void> | void;

export interface Route<E> {
  method: string | string[];
  pattern: RegExp;
  handler: Handler<E>;
}

export interface RouterOptions<E> {
  routes: Route<E>[];
  engine: E;
  serverVersion: string;
  startSpan: (method: string, path: string) => Span;
}

/** Builds the request listener for http.createServer. */
export function createRouter<E>(opts: RouterOptions<E>): (req: IncomingMessage, res: ServerResponse) => void {
  const headers = standardHeaders(opts.serverVersion);
  return (req, res) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://dockling');
    const { version, path } = splitVersion(url.pathname);
    const method = req.method ?? 'GET';
    const span = opts.startSpan(method, path);
    res.on('close', () => span.end({ status: res.statusCode }));
    const handle = async () => {
      if (version !== null) {
        const problem = versionProblem(version);
        if (problem) throw new HttpError(400, problem);
      }
      const found = match(opts.routes, method, path);
      if (!found) throw new HttpError(404, 'page not found');
      await found.route.handler({ req, res, params: found.params, query: url.searchParams, apiVersion: version, span, engine: opts.engine });
    };
    handle().catch((err) => {
      span.event('http.error', { message: String((err as Error)?.message ?? err) });
      sendError(res, err);
    });
  };
}

function match<E>(routes: Route<E>[], method: string, path: string): { route: Route<E>; params: string[] } | null {
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(method)) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map((p) => decodeParam(p ?? '')) };
  }
  return null;
}

/**
 * A path segment, percent-decoded. `%zz` or a lone `%c0%ae` is no name at all: that is the
 * client's mistake (400), not a daemon failure, and no store is asked about it. Neither is a
 * NUL: no id, name or path Dockling keeps can hold one, and a C string would end there.
 */
export function decodeParam(text: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (decoded.includes('\0')) throw new HttpError(400, `a name in the path holds a NUL byte: ${JSON.stringify(decoded.slice(0, 200))}`);
  return decoded;
}
