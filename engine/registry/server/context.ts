// What a request handler is given: the request and response, the parameters the router took
// from the path, the registry's services (stores, tracer, the pull-through cache when the
// registry is a proxy), and what authentication admitted. Handlers are plain functions of this
// context (one file per resource: blob-handlers, upload-handlers, manifest-handlers,
// discovery-handlers). Authentication is a gate (basic-gate.ts, token-gate.ts) the router asks
// before any handler runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Facts, Span, Tracer } from '../../trace/index.js';
import type { BlobStore } from './blob-store.js';
import type { RepositoryStore } from './repository-store.js';
import type { UploadStore } from './upload-store.js';
import type { PullThrough } from './pull-through.js';
import type { Access } from './scope.js';

export interface Services {
  blobs: BlobStore;
  repos: RepositoryStore;
  uploads: UploadStore;
  tracer: Tracer;
  /** Set when the registry is a pull-through cache of another registry. */
  proxy: PullThrough | null;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path exactly as sent (never resolved: `%2e%2e` stays and fails the name check). */
  path: string;
  query: URLSearchParams;
  /** `name` (the repository), and `reference`, `digest` or `uuid` when the route has them. */
  params: { name?: string; reference?: string; digest?: string; uuid?: string };
  services: Services;
  admission: Admission;
}

/** What authentication decided about one request that may go on. */
export interface Admission {
  /** Who sent it; null for nobody in particular (no authentication, or an anonymous token). */
  user: string | null;
  /**
   * May this request also read `repository`? A cross-repository mount copies a blob from
   * another repository, so it needs pull there as well (upload-handlers.ts asks).
   */
  canPull(repository: string): boolean;
}

/** A registry with no authentication admits everyone to everything. */
export const OPEN: Admission = { user: null, canPull: () => true };

/**
 * Checks a request's credentials against what it needs (`needed`: the scope of its route and
 * method, empty for `GET /v2/`). Admits it, or throws the 401 or 403 to answer, after setting
 * the challenge header that tells the client how to authenticate.
 */
export interface AuthGate {
  admit(req: IncomingMessage, res: ServerResponse, needed: Access[]): Promise<Admission>;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

/**
 * Runs one traced operation: a `registry` span that starts with `data` and ends with the facts
 * `fn` returns (or fails with what it throws). The facts are what a diagram draws: which
 * repository, which digest, how many bytes, whether it was mounted or came from upstream.
 */
export async function traced(ctx: RequestContext, op: string, data: Facts, fn: (span: Span) => Promise<Facts>): Promise<void> {
  const span = ctx.services.tracer.start('registry', op, data);
  try {
    span.end(await fn(span));
  } catch (err) {
    span.fail(err);
    throw err;
  }
}
