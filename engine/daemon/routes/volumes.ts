// Volume endpoints (chapter 3), in Docker Engine API shapes: create, list, inspect, remove and
// prune. The store (namespaces/volumes.ts) does the work; these handlers only read the request
// and write Docker's answer. Volume names have no slashes, so the patterns are `[^/]+`.
import type { Route } from '../http/router.js';
import { HttpError, readBody, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { parseFilters } from '../http/filters.js';
import { VOLUME_CREATE_SHAPE, checkShape } from '../http/body-shape.js';
import { queryBool, boolValue } from '../http/query.js';


/** The body of `POST /volumes/create`: `{"Driver":"local","Name":"myvol"}` from the docker CLI. */
interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

async function createBody(req: Parameters<Route<DaemonEngine>['handler']>[0]['req']): Promise<VolumeCreateBody> {
  const raw = (await readBody(req)).toString('utf8').trim();
  if (raw === '' || raw === 'null') return {};
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
  checkShape(body, VOLUME_CREATE_SHAPE, 'volume create request');
  return body as VolumeCreateBody;
}

/** `filters={"dangling":{"true":true},"name":{"v":true}}` (or the older `{"name":["v"]}`) → name → values. */
const filterValues = parseFilters;

export const volumeRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/volumes\/create$/,
    handler: async ({ req, res, engine }) => {
      const body = await createBody(req);
      if (body.Driver && body.Driver !== 'local') throw new HttpError(404, `error looking up volume plugin ${body.Driver}: plugin "${body.Driver}" not found`);
      const volume = await engine.volumes.create({ name: body.Name || undefined, labels: body.Labels ?? {}, options: body.DriverOpts ?? {} });
      sendJSON(res, 201, volume);
    },
  },
  {
    method: 'GET',
    pattern: /^\/volumes$/,
    handler: async ({ res, query, engine }) => {
      const filter = filterValues(query.get('filters'));
      const names = filter('name');
      const dangling = filter('dangling')[0];
      const kept = [];
      for (const v of await engine.volumes.list()) {
        if (names.length && !names.some((n) => v.Name.includes(n))) continue;
        if (dangling !== undefined && ((await engine.volumes.users(v.Name)).length === 0) !== boolValue(dangling, 'filter dangling')) continue;
        kept.push(v);
      }
      sendJSON(res, 200, { Volumes: kept, Warnings: null });
    },
  },
  {
    method: 'POST',
    pattern: /^\/volumes\/prune$/,
    handler: async ({ res, query, engine }) => {
      // Since API 1.42 prune removes only anonymous volumes unless filters has all=true.
      const all = boolValue(filterValues(query.get('filters'))('all')[0] ?? '', 'filter all');
      sendJSON(res, 200, await engine.volumes.prune({ all }));
    },
  },
  {
    method: 'GET',
    pattern: /^\/volumes\/([^/]+)$/,
    handler: async ({ res, params, engine }) => sendJSON(res, 200, await engine.volumes.inspect(params[0]!)),
  },
  {
    method: 'DELETE',
    pattern: /^\/volumes\/([^/]+)$/,
    handler: async ({ res, params, query, engine }) => {
      await engine.volumes.remove(params[0]!, { force: queryBool(query, 'force') });
      sendEmpty(res, 204);
    },
  },
];
