// Network endpoints (chapter 3), in Docker Engine API shapes: list, inspect, create, remove
// (protocol reference §5.7). The store (namespaces/networks.ts) does the work; these handlers
// read the request and write Docker's answer. Connecting a container to a second network while
// it runs is not built (a container has one endpoint, made at start): connect and disconnect
// answer 501 and say so.
import type { Route } from '../http/router.js';
import { HttpError, readBody, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { parseFilters } from '../http/filters.js';
import { EngineError } from '../../base/index.js';
import type { NetworkInfo } from '../../namespaces/index.js';

/** The body of `POST /networks/create`: `{"Name":"n1","Driver":"bridge","IPAM":{"Config":[{"Subnet":…}]}}`. */
interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null;
}

async function createBody(req: Parameters<Route<DaemonEngine>['handler']>[0]['req']): Promise<NetworkCreateBody> {
  const raw = (await readBody(req)).toString('utf8').trim();
  let body: unknown;
  try {
    body = raw === '' ? {} : (JSON.parse(raw) ?? {});
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
  // The shape, field by field: a number for Name must not become a network called "5".
  const b = body as NetworkCreateBody;
  const config = b.IPAM?.Config;
  if (typeof body !== 'object' || Array.isArray(body) || (b.Name !== undefined && typeof b.Name !== 'string') || (b.Driver !== undefined && typeof b.Driver !== 'string') ||
    (b.IPAM != null && (typeof b.IPAM !== 'object' || (config != null && (!Array.isArray(config) || !config.every((c) => c && typeof c === 'object' && ['Subnet', 'Gateway'].every((k) => (c as Record<string, unknown>)[k] === undefined || typeof (c as Record<string, unknown>)[k] === 'string'))))))) {
    throw new HttpError(400, `invalid network create body: want {"Name": string, "Driver": string, "IPAM": {"Config": [{"Subnet": string}]}}, got ${raw.slice(0, 200)}`);
  }
  return b;
}

/** `filters={"name":{"n1":true},"driver":{"bridge":true}}`: names match as substrings, ids as prefixes. */
function networkFilter(raw: string | null): (n: NetworkInfo) => boolean {
  if (!raw) return () => true;
  const values = parseFilters(raw);
  const [names, ids, drivers] = [values('name'), values('id'), values('driver')];
  return (n) =>
    (names.length === 0 || names.some((v) => n.Name.includes(v))) &&
    (ids.length === 0 || ids.some((v) => n.Id.startsWith(v))) &&
    (drivers.length === 0 || drivers.includes(n.Driver));
}

const notBuilt = (what: string) => new HttpError(501, `network ${what} is not implemented in Dockling: a container joins one network, chosen with --network when it is created`);

export const networkRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/networks$/,
    handler: async ({ res, query, engine }) => sendJSON(res, 200, (await engine.networks.list()).filter(networkFilter(query.get('filters')))),
  },
  {
    method: 'POST',
    pattern: /^\/networks\/create$/,
    handler: async ({ req, res, engine }) => {
      const body = await createBody(req);
      if (!body.Name) throw new HttpError(400, 'network name is required');
      const driver = body.Driver || 'bridge';
      // `host` and `null` exist once, predefined; other drivers are plugins Dockling does not have.
      if (driver !== 'bridge') throw new HttpError(driver === 'host' || driver === 'null' ? 403 : 404, driver === 'host' || driver === 'null' ? `only one instance of "${driver}" network is allowed` : `plugin "${driver}" not found`);
      const subnet = body.IPAM?.Config?.find((c) => c.Subnet)?.Subnet;
      const network = await engine.networks.create({ name: body.Name, subnet });
      sendJSON(res, 201, { Id: network.Id, Warning: '' });
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/prune$/,
    handler: async ({ res, engine }) => {
      const deleted: string[] = [];
      for (const n of await engine.networks.list()) {
        if (n.Options['com.docker.network.bridge.default_bridge'] || n.Driver !== 'bridge' || Object.keys(n.Containers).length) continue;
        await engine.networks.remove(n.Id).then(() => deleted.push(n.Name), () => {});
      }
      sendJSON(res, 200, { NetworksDeleted: deleted });
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/([^/]+)\/connect$/,
    handler: () => {
      throw notBuilt('connect');
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/([^/]+)\/disconnect$/,
    handler: () => {
      throw notBuilt('disconnect');
    },
  },
  {
    method: 'GET',
    pattern: /^\/networks\/([^/]+)$/,
    handler: async ({ res, params, engine }) => sendJSON(res, 200, await engine.networks.inspect(params[0]!)),
  },
  {
    method: 'DELETE',
    pattern: /^\/networks\/([^/]+)$/,
    handler: async ({ res, params, engine }) => {
      try {
        await engine.networks.remove(params[0]!);
      } catch (err) {
        // Docker answers 403 Forbidden for bridge, host and none; our kind table says 412.
        if (err instanceof EngineError && err.code === 'NETWORK_PREDEFINED') throw new HttpError(403, err.message);
        throw err;
      }
      sendEmpty(res, 204);
    },
  },
];
