// `POST /build` (chapter 5 through the Engine API): what `DOCKER_BUILDKIT=0 docker build` and
// `dockling build` send. The body is the build context as a tar (plain or gzip), the options
// are query parameters, and the answer is Docker's JSON message stream:
//
//   POST /v1.50/build?dockerfile=Dockerfile&t=myapp%3A1&buildargs=%7B%22V%22%3A%222%22%7D
//   200  {"stream":"Step 1/3 : FROM busybox\n"}
//        {"stream":" ---> a2d7a1433fda\n"}
//        …
//        {"aux":{"ID":"sha256:b1f7c196c8d1…"}}
//        {"stream":"Successfully built b1f7c196c8d1\n"}
//
// The stream opens with the first message: a context that cannot be read, a Dockerfile that is
// missing or does not parse, fail before it with an HTTP error, as dockerd answers them. After,
// a failed step ends the stream with errorDetail — its code is the RUN's exit status, which the
// docker CLI makes its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../../base/index.js';
import { BuildCache, build, readContextDockerfile, unpackContext, StepFailed, type BuilderEngine, type BuildMessage } from '../../build/index.js';
import { familiarName, hostPlatform, parseReference } from '../../layers/index.js';
import { PullUnpacker } from '../../unionfs/index.js';
import type { Route } from '../http/router.js';
import { HttpError } from '../http/respond.js';
import { HeldMessageStream } from '../http/json-stream.js';
import type { DaemonEngine } from '../engine.js';
import { registryConfigAuth } from '../registry-auth.js';
import { platformOf } from './registry.js';
import { removeContainer } from './container-lifecycle.js';
import { queryBool } from '../http/query.js';

/** A JSON object of strings from a query parameter (`buildargs`, `labels`); null values kept. */
function jsonParam(query: URLSearchParams, name: string): Record<string, string | null> {
  const text = query.get(name);
  if (!text) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HttpError(400, `invalid ${name} parameter: not JSON`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || Object.values(doc).some((v) => v !== null && typeof v !== 'string')) {
    throw new HttpError(400, `invalid ${name} parameter: want an object of strings`);
  }
  return doc as Record<string, string | null>;
}


// #region build-route
export const buildRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/build$/,
    handler: async ({ req, res, query, engine, span }) => {
      if (query.get('remote')) throw new HttpError(400, 'building from a remote context (a Git or HTTP URL) is not supported: send the context as a tar');
      const platform = platformOf(query.get('platform')) ?? hostPlatform();
      // The parameters first: a bad one is a 400 before the context is read.
      const options = {
        // Checked now (a bad name is a 400 before any step); printed as Docker prints them, `myapp:latest`.
        tags: query.getAll('t').map((t) => familiarName(parseReference(t))),
        buildArgs: jsonParam(query, 'buildargs'),
        labels: Object.fromEntries(Object.entries(jsonParam(query, 'labels')).map(([k, v]) => [k, v ?? ''])),
        noCache: queryBool(query, 'nocache'),
        ...(query.get('target') ? { target: query.get('target')! } : {}),
        quiet: queryBool(query, 'q'),
        forceRm: queryBool(query, 'forcerm'),
        ...(query.get('networkmode') ? { network: query.get('networkmode')! } : {}),
        platform,
      };
      const dir = await mkdtemp(join(engine.tmpRoot, 'build-'));
      const stream = new HeldMessageStream(res, 0);
      try {
        await unpackContext({ input: req, dir, span });
        // Read, then taken out of the context when .dockerignore says so (COPY . does not copy it).
        const dockerfile = readContextDockerfile({ dir, name: query.get('dockerfile') || 'Dockerfile' });
        const e: BuilderEngine = {
          images: engine.images, containers: engine.containers, runtime: engine.runtime, content: engine.content,
          snapshotter: engine.snapshotter, tmpRoot: engine.tmpRoot, cache: new BuildCache(engine.content.root),
          removeContainer: (id) => removeContainer({ engine, ref: id, force: true, removeVolumes: true }),
        };
        await build(e, {
          contextDir: dir,
          dockerfile,
          ...options,
          pull: async (reference, out) => {
            const ref = parseReference(reference);
            const auth = registryConfigAuth(req.headers['x-registry-config'], ref.domain);
            await engine.registry.pull({
              reference, store: engine.images, content: engine.content, platform, ...(auth ? { auth } : {}),
              onProgress: (m) => {
                if (!m.errorDetail) out(m as BuildMessage);
              },
              unpack: (layers) => new PullUnpacker({ layers, content: engine.content, snapshotter: engine.snapshotter, span }),
            });
            return engine.images.resolve(reference);
          },
          out: (m) => stream.write(m),
          span,
        });
      } catch (err) {
        if (!stream.opened) throw err; // the router answers with the error's status
        const message = (err as Error).message;
        stream.write({ errorDetail: { message, ...(err instanceof StepFailed ? { code: err.exitCode } : {}) }, error: message });
        if (!(err instanceof EngineError)) span?.event('build.internal-error', { message });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      stream.end();
    },
  },
];
// #endregion build-route
