// What a request handler is given: the request and response, the parameters the router took
// from the path, and the registry's services (stores, tracer, the pull-through cache when the
// registry is a proxy). Handlers are plain functions of this context (one file per resource:
// blob-handlers, upload-handlers, manifest-handlers, discovery-handlers).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Facts, Span, Tracer } from '../../trace/index.js';
import type { BlobStore } from './blob-store.js';
import type { RepositoryStore } from './repository-store.js';
import type { UploadStore } from './upload-store.js';
import type { PullThrough } from './pull-through.js';

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
