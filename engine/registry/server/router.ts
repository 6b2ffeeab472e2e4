// The registry's front door: one table from (path pattern, method) to handler, in the order
// the spec's endpoint table lists them, and the checks every request passes on the way in —
// in this order:
//   1. every answer says `Docker-Distribution-API-Version: registry/2.0` (clients look for it)
//   2. with token authentication, /auth/token is the token service (token-service.ts)
//   3. authentication, when set: the gate (basic-gate.ts or token-gate.ts) is told the access
//      the route and method need (scope.ts) and answers 401/403 + a challenge when it is not met
//   4. the route and its method (404 / 405 with Allow)
//   5. writes refused when read-only or a pull-through cache (405 UNSUPPORTED, Allow: GET, HEAD),
//      as the CNCF registry answers in its read-only maintenance mode
//   6. the repository name's grammar (400 NAME_INVALID)
//   7. the handler; whatever it throws becomes the spec's JSON error body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asEngineError } from '../../base/index.js';
import { OPEN, type AuthGate, type Handler, type Services } from './context.js';
import { versionCheck, catalog, listTags, listReferrers } from './discovery-handlers.js';
import { getManifest, putManifest, deleteManifest } from './manifest-handlers.js';
import { startUpload, uploadStatus, patchUpload, putUpload, cancelUpload } from './upload-handlers.js';
import { getBlob, deleteBlob } from './blob-handlers.js';
import { RegistryError, registryError } from './errors.js';
import { sendError } from './http-io.js';
import { checkName, isName } from './names.js';
import { CATALOG, requestAccess, type Access } from './scope.js';
import { TOKEN_PATH, type TokenService } from './token-service.js';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Route {
  pattern: RegExp;
  methods: Partial<Record<Method, Handler>>;
  /** What a token must allow here, when it is not the repository's scope for the method. */
  needs?: Access;
}

// `name` may contain slashes, so each pattern pins down what follows it; uploads come before
// blobs so `…/blobs/uploads/<uuid>` is not read as a blob named `uploads`.
// #region routes
const ROUTES: Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: versionCheck, HEAD: versionCheck } },
  { pattern: /^\/v2\/_catalog$/, methods: { GET: catalog }, needs: CATALOG },
  { pattern: /^\/v2\/(?<name>.+)\/tags\/list$/, methods: { GET: listTags } },
  { pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/, methods: { GET: listReferrers } },
  { pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/, methods: { POST: startUpload } },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<uuid>[^/]+)$/, methods: { GET: uploadStatus, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload } },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/, methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
];
// #endregion routes

const READS = new Set(['GET', 'HEAD']);

export interface RouterOptions {
  services: Services;
  /** Who may pass: null lets everyone in. */
  gate: AuthGate | null;
  /** The token service, served at /auth/token (token authentication only). */
  tokens: TokenService | null;
  /** Refuse writes: read-only mode, or a pull-through cache. */
  writable: boolean;
  log: (line: string) => void;
}

export function createRouter(opts: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    dispatch(req, res, opts).catch((err: unknown) => answerError(req, res, err, opts));
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, opts: RouterOptions): Promise<void> {
  // Split by hand: WHATWG URL parsing would resolve `/v2/a/%2e%2e/b` to `/v2/b`; a registry
  // should refuse such a name, not quietly answer for another repository.
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (opts.tokens && path === TOKEN_PATH) return opts.tokens.answer(req, res, query);
  const route = ROUTES.find((r) => r.pattern.test(path));
  const groups = route?.pattern.exec(path)!.groups ?? {};
  const method = (req.method ?? 'GET') as Method;
  const admission = opts.gate ? await opts.gate.admit(req, res, neededAccess(route, method, groups)) : OPEN;
  if (!route) throw registryError('UNSUPPORTED', `no endpoint ${path} in the distribution API`, { path }, 404);
  const handler = route.methods[method];
  const allowed = Object.keys(route.methods).filter((m) => opts.writable || READS.has(m));
  if (!handler || (!opts.writable && !READS.has(method))) {
    const why = handler ? 'this registry is read-only' : `${method} is not allowed on ${path}`;
    res.setHeader('Allow', allowed.join(', '));
    throw registryError('UNSUPPORTED', why, { method, path });
  }
  // A malformed escape (`%zz`) stays as it is, and fails the grammar of what it names.
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  // A repository name is never decoded: its grammar has no `%`, and `room%2fapp` decoded would
  // be `room/app` reached by a path a proxy's per-repository rule in front of us does not match.
  const params = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, k === 'name' ? v : decode(v)]));
  if (params.name !== undefined) checkName(params.name);
  await handler({ req, res, path, query, params, services: opts.services, admission });
}

/**
 * The scope a request needs, from its route and method (the rule is in scope.ts). A name the
 * grammar refuses, an unknown path and `GET /v2/` need only a valid login: the name check or
 * the 404 that follows refuses the first two, so no scope is ever made from a bad name.
 */
function neededAccess(route: Route | undefined, method: Method, groups: Record<string, string>): Access[] {
  if (route?.needs) return [route.needs];
  const name = groups.name;
  if (name === undefined || !isName(name)) return [];
  return [requestAccess(method, name, { uploadSession: groups.uuid !== undefined })];
}

function answerError(req: IncomingMessage, res: ServerResponse, err: unknown, opts: RouterOptions): void {
  // The client went away mid-request (a cut push, a cancelled pull): no one to answer, nothing to report.
  if (req.destroyed && !req.complete) {
    res.destroy();
    return;
  }
  // Mid-body (a blob streaming out, a proxy download gone bad): the status line is out, so the
  // only honest signal left is a connection cut short.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let e: RegistryError;
  if (err instanceof RegistryError) e = err;
  else {
    const engine = asEngineError(err);
    e = registryError('UNKNOWN', engine.message, { code: engine.code }, engine.status);
    if (e.httpStatus >= 500) opts.log(`${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
  }
  // A refused upload's body was never read: close the connection rather than read it all.
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.complete) res.setHeader('Connection', 'close');
  sendError(res, e);
}
