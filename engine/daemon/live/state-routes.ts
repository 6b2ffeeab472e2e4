// The live listener's state snapshots (chapter 6, live mode): what the site's diagrams draw
// besides the trace — images with their layers, containers with what the kernel says about
// them, networks. Each object carries the very document the Engine API answers for it (built by
// the same views: image-views.ts, container-views.ts), so the site and `docker inspect` never
// disagree; the extras beside it are facts the Engine API does not show. Nothing here writes,
// and nothing here is traced: a follower would otherwise watch its own reads.
import type { Route } from '../http/router.js';
import { sendJSON } from '../http/respond.js';
import { silentTracer } from '../../trace/index.js';
import { imageUnionView } from '../../unionfs/index.js';
import { toHistory, toInspect } from '../image-views.js';
import { toContainerInspect } from '../container-views.js';
import { withRepoDigests } from '../routes/images.js';
import { endpointView } from '../routes/containers.js';
import { probeContainer } from './container-probe.js';
import type { LiveContext } from './live-listener.js';
import { queryBool } from '../http/query.js';


export const liveStateRoutes: Route<LiveContext>[] = [
  {
    // [{Id, Inspect: GET /images/{id}/json, History: GET /images/{id}/history, Layers: the store's
    //   layers bottom-up, {digest, diffID, size, uncompressedSize, mediaType} as the trace names them}]
    method: 'GET',
    pattern: /^\/state\/images$/,
    handler: async ({ res, engine: { engine } }) => {
      const images = await engine.images.list();
      const docs = await Promise.all(images.map(async (image) => ({
        Id: image.id,
        Inspect: toInspect(await withRepoDigests(engine, image), engine.snapshotter.driver),
        History: toHistory(await engine.images.history(image.id)),
        Layers: image.layers,
      })));
      sendJSON(res, 200, docs);
    },
  },
  {
    // The union view of GET /dockling/images/{name}/layers: which layer provides each path.
    method: 'GET',
    pattern: /^\/state\/images\/(.+)\/layers$/,
    handler: async ({ res, params, query, engine: { engine } }) => {
      const { paths, ...view } = await imageUnionView({ images: engine.images, content: engine.content, ref: params[0]!, tracer: silentTracer() });
      sendJSON(res, 200, queryBool(query, 'paths') ? { ...view, paths } : view);
    },
  },
  {
    // [{Id, Inspect: GET /containers/{id}/json, Pid, Processes, Namespaces, Mounts, Cgroup}];
    // the last five are null unless it runs (container-probe.ts).
    method: 'GET',
    pattern: /^\/state\/containers$/,
    handler: async ({ res, engine: { engine } }) => {
      const containers = await engine.containers.list();
      const docs = await Promise.all(containers.map(async (c) => {
        const probe = await probeContainer(engine, c);
        return {
          Id: c.Id,
          Inspect: toContainerInspect(c, await engine.runtime.network(c.Id), await endpointView(engine, c)),
          Pid: probe?.Pid ?? null, Processes: probe?.Processes ?? null, Namespaces: probe?.Namespaces ?? null, Mounts: probe?.Mounts ?? null, Cgroup: probe?.Cgroup ?? null,
        };
      }));
      sendJSON(res, 200, docs);
    },
  },
  {
    // GET /networks, as is.
    method: 'GET',
    pattern: /^\/state\/networks$/,
    handler: async ({ res, engine: { engine } }) => sendJSON(res, 200, await engine.networks.list()),
  },
];
