// Garbage-collection endpoints (issue 9), in Docker Engine API shapes: `POST /images/prune`,
// `POST /containers/prune` and `GET /system/df`. The recipes live in prune.ts and
// disk-usage.ts; both prunes run under the GcLock held exclusive (gc-lock.ts guards the routes).
import type { Route } from '../http/router.js';
import { HttpError, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { parsePruneFilters, pruneContainers, pruneImages } from '../prune.js';
import { systemDataUsage } from '../disk-usage.js';

function filters(raw: string | null) {
  try {
    return parsePruneFilters(raw);
  } catch (err) {
    if (err instanceof SyntaxError) throw new HttpError(400, `invalid filter: ${raw}`);
    throw err;
  }
}

export const pruneRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/images\/prune$/,
    handler: async ({ res, query, engine, span }) => {
      const f = filters(query.get('filters'));
      // `docker image prune` sends dangling=true; `-a` sends dangling=false (every unused image).
      sendJSON(res, 200, await pruneImages({ engine, all: f.dangling === false, filters: f, span }));
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/prune$/,
    handler: async ({ res, query, engine, span }) => sendJSON(res, 200, await pruneContainers({ engine, filters: filters(query.get('filters')), span })),
  },
  {
    method: 'GET',
    pattern: /^\/system\/df$/,
    handler: async ({ res, engine }) => sendJSON(res, 200, await systemDataUsage(engine)),
  },
];
