// Dockling's own endpoints for chapter 2's union view: `GET /dockling/images/{name}/layers`
// (and `GET /dockling/containers/{id}/layers`, the image's layers plus the container's own)
// answers, for a stored image, which layer provides each path, what every layer added,
// modified and removed, and how many bytes are shipped but never seen. `?paths=1` adds the
// per-path list (it can be long). Names keep their slashes, so the pattern is greedy.
import type { Route } from '../http/router.js';
import { sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { imageUnionView } from '../../unionfs/index.js';
import { queryBool } from '../http/query.js';


export const unionViewRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/dockling\/images\/(.+)\/layers$/,
    handler: async ({ res, params, query, engine, span }) => {
      const { paths, ...view } = await imageUnionView({ images: engine.images, content: engine.content, ref: params[0]!, tracer: engine.tracer, parent: span });
      sendJSON(res, 200, queryBool(query, 'paths') ? { ...view, paths } : view);
    },
  },
  {
    method: 'GET',
    pattern: /^\/dockling\/containers\/([^/]+)\/layers$/,
    handler: async ({ res, params, query, engine, span }) => {
      const { paths, ...view } = await engine.containers.unionView({ container: params[0]!, span });
      sendJSON(res, 200, queryBool(query, 'paths') ? { ...view, paths } : view);
    },
  },
];
