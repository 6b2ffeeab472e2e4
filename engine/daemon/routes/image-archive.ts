// Image endpoints that move whole images as tar streams: save (`GET /images/get`,
// `GET /images/{name}/get`), load (`POST /images/load`), import (`POST /images/create?fromSrc=-`;
// with fromImage the same path pulls, in registry.ts) and Dockling's own base image
// (`POST /dockling/base-image`). Bodies are streamed, never buffered; progress and failures
// after the first byte travel inside the JSON message stream.
import type { Route } from '../http/router.js';
import { HttpError, sendJSON } from '../http/respond.js';
import { JSONMessageStream } from '../http/json-stream.js';
import type { DaemonEngine } from '../engine.js';
import { familiar } from '../image-views.js';
import { importImage, loadArchive, makeBaseImage, saveImages } from '../../layers/index.js';
import type { RequestContext } from '../http/router.js';
import { pullImage } from './registry.js';
import { afterWriting } from '../gc-lock.js';
import { queryBool } from '../http/query.js';


async function save(ctx: RequestContext<DaemonEngine>, refs: string[]): Promise<void> {
  const { res, engine, span } = ctx;
  if (refs.length === 0) throw new HttpError(400, 'no image names given');
  // Resolve everything first: once the tar has started, a missing image can't be a 404 any more.
  for (const ref of refs) await engine.images.resolve(ref);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await saveImages({ store: engine.images, content: engine.content, refs, out: res, span });
  res.end();
}

/** `repo` may carry the tag (`myimport:v1`, what the docker CLI sends) or get it from `tag`. */
function importTarget(repo: string | null, tag: string | null): string | undefined {
  if (!repo) return undefined;
  return tag ? `${repo}:${tag}` : repo;
}

/**
 * A load or import that failed after storing some blobs (an archive's first image, a layer
 * before its config) leaves them named by no image: they are swept under the GcLock held
 * exclusive (gc-lock.ts), then the failure is answered and the stream ended.
 */
function failAfterSweep(a: { req: object; engine: DaemonEngine; span: RequestContext<DaemonEngine>['span']; stream: JSONMessageStream; err: unknown }): void {
  const fail = () => {
    a.stream.fail(String((a.err as Error).message ?? a.err));
    a.stream.end();
  };
  // Best effort: a sweep that fails leaves the blobs to the next prune; the failure is answered anyway.
  const sweep = async () => void (await a.engine.images.removeUnreferencedBlobs(a.span).then(fail, fail));
  if (!afterWriting(a.req, sweep)) fail();
}

export const imageArchiveRoutes: Route<DaemonEngine>[] = [
  { method: 'GET', pattern: /^\/images\/get$/, handler: (ctx) => save(ctx, ctx.query.getAll('names')) },
  { method: 'GET', pattern: /^\/images\/(.+)\/get$/, handler: (ctx) => save(ctx, [ctx.params[0]!]) },
  {
    method: 'POST',
    pattern: /^\/images\/load$/,
    handler: async ({ req, res, query, engine, span }) => {
      const quiet = queryBool(query, 'quiet');
      const stream = new JSONMessageStream(res);
      try {
        const { messages } = await loadArchive({ store: engine.images, content: engine.content, input: req, tmpRoot: engine.tmpRoot, span });
        for (const m of messages) stream.write({ stream: `${m}\n` });
        if (!quiet) span.event('load.messages', { count: messages.length });
      } catch (err) {
        return failAfterSweep({ req, engine, span, stream, err });
      }
      stream.end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/create$/,
    handler: async (ctx) => {
      const { req, res, query, engine, span } = ctx;
      // The same path does two things: fromImage pulls from a registry (routes/registry.ts),
      // fromSrc=- imports the tar in the body.
      if (query.get('fromImage')) return pullImage(ctx);
      const fromSrc = query.get('fromSrc');
      if (fromSrc !== '-') throw new HttpError(400, fromSrc ? `import from ${fromSrc} is not supported: send the tar as the request body (fromSrc=-)` : 'one of fromImage or fromSrc is required');
      const stream = new JSONMessageStream(res);
      try {
        const image = await importImage({
          store: engine.images,
          input: req,
          ref: importTarget(query.get('repo'), query.get('tag')),
          message: query.get('message') ?? undefined,
          changes: query.getAll('changes').filter((c) => c !== ''),
          span,
        });
        stream.write({ status: image.id });
      } catch (err) {
        return failAfterSweep({ req, engine, span, stream, err });
      }
      stream.end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/dockling\/base-image$/,
    handler: async ({ res, query, engine, span }) => {
      const image = await makeBaseImage({
        store: engine.images,
        tmpRoot: engine.tmpRoot,
        busybox: query.get('busybox') ?? undefined,
        tag: query.get('tag') ?? undefined,
        span,
      });
      sendJSON(res, 201, { Id: image.id, RepoTags: image.names.map(familiar), Size: image.size });
    },
  },
];
