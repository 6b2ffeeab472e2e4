// Container endpoints of chapter 2, in Docker Engine API shapes: create, inspect, list, changes
// (`docker diff`), commit, export, the archive endpoints of `docker cp`, and remove. Container
// ids and names have no slashes, so the patterns are `[^/]+`.
import type { Route } from '../http/router.js';
import { HttpError, readBody, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import type { ContainerRecord, CreateRequest, PathStat } from '../../unionfs/index.js';
import { parseFilters } from '../http/filters.js';
import { CREATE_SHAPE, checkShape } from '../http/body-shape.js';
import { toContainerInspect, toContainerSummary, type EndpointView } from '../container-views.js';
// Until namespaces/index.ts exports them (its owner adds it), straight from the files.
import { planMounts, mountsFor, runtimeOf, seccompFor, capabilitiesOf } from '../../namespaces/index.js';
import { queryBool } from '../http/query.js';


async function jsonBody<T>(req: Parameters<Route<DaemonEngine>['handler']>[0]['req']): Promise<T | undefined> {
  const raw = (await readBody(req)).toString('utf8').trim();
  if (raw === '' || raw === 'null') return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
}

const statHeader = (stat: PathStat) => Buffer.from(JSON.stringify(stat)).toString('base64');

function requirePath(query: URLSearchParams): string {
  const path = query.get('path');
  if (!path) throw new HttpError(400, 'path is required: the file or directory inside the container');
  return path;
}

/**
 * `ps --filter`: {"status":{"exited":true},"name":{"web":true},"id":{"ab12":true}}. A key's
 * values are alternatives; keys must all match. Names match as substrings, ids as prefixes.
 */
function psFilter(text: string | null): ((c: ContainerRecord) => boolean) & { asksForStatus: boolean } {
  const values = parseFilters(text);
  const [status, name, id] = [values('status'), values('name'), values('id')];
  const keep = (c: ContainerRecord) =>
    (status.length === 0 || status.includes(c.State.Status)) &&
    (name.length === 0 || name.some((n) => c.Name.slice(1).includes(n.replace(/^\//, '')))) &&
    (id.length === 0 || id.some((p) => c.Id.startsWith(p)));
  return Object.assign(keep, { asksForStatus: status.length > 0 });
}

/** The network store's endpoint of a running container, as inspect shows it. */
export async function endpointView(engine: DaemonEngine, c: ContainerRecord): Promise<EndpointView | undefined> {
  const ep = c.State.Running ? await engine.networks.endpoint(c.Id) : null;
  if (!ep) return undefined;
  const net = await engine.networks.record(ep.NetworkId).catch(() => undefined);
  const userNetwork = net !== undefined && !net.Predefined && net.Driver === 'bridge';
  return { NetworkID: ep.NetworkId, EndpointID: ep.EndpointId, IPPrefixLen: ep.Prefix, DNSNames: userNetwork ? [ep.Name, c.Id.slice(0, 12)] : null };
}

export const containerRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/containers\/create$/,
    handler: async ({ req, res, query, engine, span }) => {
      const request = (await jsonBody<CreateRequest>(req)) ?? {};
      checkShape(request, CREATE_SHAPE, 'container create request'); // a wrong type is a 400 before anything is read
      planMounts({ hostConfig: request.HostConfig ?? {}, imageVolumes: request.Volumes }); // a bad -v is a 400 before anything is made
      runtimeOf(request.HostConfig ?? {}); // so is an unknown --runtime
      seccompFor({ hostConfig: request.HostConfig ?? {}, capabilities: capabilitiesOf(request.HostConfig ?? {}) }); // and a bad --cap-add or seccomp profile
      const c = await engine.containers.create({ name: query.get('name') ?? undefined, request, span });
      // Volumes are made and marked in use at create, as Docker does: `volume rm` now refuses them.
      await mountsFor({ containerId: c.Id, hostConfig: c.HostConfig, imageVolumes: c.Config.Volumes, volumes: engine.volumes }).catch(async (err: unknown) => {
        await engine.containers.remove({ container: c.Id, force: true, span });
        throw err;
      });
      sendJSON(res, 201, { Id: c.Id, Warnings: [] });
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/json$/,
    handler: async ({ res, query, engine }) => {
      const all = queryBool(query, 'all');
      const keep = psFilter(query.get('filters'));
      const list = (await engine.containers.list()).filter((c) => (all || c.State.Running || keep.asksForStatus) && keep(c));
      sendJSON(res, 200, await Promise.all(list.map(async (c) => toContainerSummary(c, await engine.runtime.network(c.Id)))));
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/json$/,
    handler: async ({ res, params, engine }) => {
      const c = await engine.containers.get(params[0]!);
      sendJSON(res, 200, toContainerInspect(c, await engine.runtime.network(c.Id), await endpointView(engine, c)));
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/changes$/,
    handler: async ({ res, params, engine, span }) => sendJSON(res, 200, await engine.containers.diff(params[0]!, span)),
  },
  {
    method: 'POST',
    pattern: /^\/commit$/,
    handler: async ({ req, res, query, engine, span }) => {
      const container = query.get('container');
      if (!container) throw new HttpError(400, 'container is required: which container to commit');
      const image = await engine.containers.commit({
        container,
        repo: query.get('repo') || undefined,
        tag: query.get('tag') || undefined,
        author: query.get('author') || undefined,
        comment: query.get('comment') || undefined,
        changes: query.getAll('changes').filter((c) => c !== ''),
        config: await jsonBody(req),
        span,
      });
      sendJSON(res, 201, { Id: image.id });
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/export$/,
    handler: async ({ res, params, engine, span }) => {
      await engine.containers.export({
        container: params[0]!,
        out: res,
        span,
        // The status goes out once the root is mounted: a failure before that is still a clean error.
        onStart: () => res.writeHead(200, { 'Content-Type': 'application/octet-stream' }),
      });
    },
  },
  {
    method: 'HEAD',
    pattern: /^\/containers\/([^/]+)\/archive$/,
    handler: async ({ res, params, query, engine, span }) => {
      const stat = await engine.containers.statPath({ container: params[0]!, path: requirePath(query), span });
      res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Length': 0 });
      res.end();
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/archive$/,
    handler: async ({ res, params, query, engine, span }) => {
      await engine.containers.archive({
        container: params[0]!,
        path: requirePath(query),
        out: res,
        span,
        onStat: (stat) => res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': statHeader(stat) }),
      });
    },
  },
  {
    method: 'PUT',
    pattern: /^\/containers\/([^/]+)\/archive$/,
    handler: async ({ req, res, params, query, engine, span }) => {
      await engine.containers.extract({
        container: params[0]!,
        path: requirePath(query),
        input: req,
        noOverwriteDirNonDir: queryBool(query, 'noOverwriteDirNonDir'),
        span,
      });
      sendEmpty(res, 200);
    },
  },
  // DELETE /containers/{id} is in container-lifecycle.ts: a running container is killed first.
];
