// The network store (chapter 3, networking): `docker network create/ls/rm/inspect`. A network
// is a record — a name, an id, a subnet and the Linux bridge that will carry it — plus the
// endpoints (one per connected container) that network-connect.ts adds and removes. Three
// networks always exist, as in Docker: `bridge` (the default, on the dockling0 bridge), `host`
// and `none`. A user-defined network gets its own bridge, `dl-<short id>`, and its own subnet.
//
// A bridge device exists only while a container is on it: the first connect creates it, the
// last disconnect deletes it (Docker keeps docker0 forever; we prefer leaving nothing behind).
//
// On disk, under the state dir:
//   networks/<id>.json    one NetworkRecord each
//   endpoints/<ctr>.json  one EndpointRecord per connected container
//   ipam/<id>.json        the addresses handed out (ipam.ts)
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, KeyedMutex, conflict, invalid, notFound, writeFileAtomic } from '../base/index.js';
import type { Tracer } from '../trace/index.js';
import { Ipam, gatewayOf, intToIp, overlaps, parseSubnet } from './ipam.js';
import type { NetworkMode, NetworkPlan } from './network-plan.js';
import { teardownPlan } from './network-exec.js';

/** What the store keeps per network. `inspect` turns it into Docker's shape. */
export interface NetworkRecord {
  Id: string;
  Name: string;
  Created: string;
  /** Docker's driver names: `bridge`, `host`, and `null` for the `none` network. */
  Driver: 'bridge' | 'host' | 'null';
  /** The three networks that always exist and cannot be removed. */
  Predefined: boolean;
  /** For bridge networks: the Linux bridge device, its subnet and gateway. */
  Bridge?: string;
  Subnet?: string;
  Gateway?: string;
  /** The plan that made the bridge, kept while the bridge exists so teardown can reverse it. */
  BridgePlan?: NetworkPlan | null;
}

/** A container's place on a network: what connect did, kept so disconnect can undo it. */
export interface EndpointRecord {
  ContainerId: string;
  Name: string;
  NetworkId: string;
  EndpointId: string;
  Mode: NetworkMode;
  IP?: string;
  Prefix?: number;
  Gateway?: string;
  Mac?: string;
  NetnsPath: string | null;
  HostsFile: string;
  ResolvConf: string;
  Plan: NetworkPlan;
}

/** `docker network inspect`'s shape (the fields Dockling fills). */
export interface NetworkInfo {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv4: true;
  EnableIPv6: false;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway: string }> };
  Internal: false;
  Attachable: false;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** Docker's rule for network (and container) names. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class NetworkStore {
  readonly stateDir: string;
  readonly tracer: Tracer;
  readonly ipam: Ipam;
  /** Serialises everything that changes one network: its bridge, its endpoints, its removal. */
  private readonly lock = new KeyedMutex();
  private endpointsLoaded?: Promise<Map<string, EndpointRecord>>;
  private readonly defaultSubnet: string;
  private readonly defaultBridge: string;
  private readonly userPool: string;

  /**
   * `defaultBridge` and `userPool` exist so tests (and a second daemon) can use names and
   * addresses nobody else uses; user networks get the first free /24 of `userPool`.
   */
  constructor(args: { stateDir: string; tracer: Tracer; defaultSubnet?: string; defaultBridge?: string; userPool?: string }) {
    this.stateDir = args.stateDir;
    this.tracer = args.tracer;
    this.ipam = new Ipam(join(args.stateDir, 'ipam'));
    this.defaultSubnet = parseSubnet(args.defaultSubnet ?? '10.213.0.0/24').cidr;
    this.defaultBridge = args.defaultBridge ?? 'dockling0';
    this.userPool = parseSubnet(args.userPool ?? '10.213.0.0/16').cidr;
  }

  /** Makes the records of the three predefined networks (no device yet). */
  async init(): Promise<void> {
    await mkdir(join(this.stateDir, 'networks'), { recursive: true });
    await mkdir(join(this.stateDir, 'endpoints'), { recursive: true });
    const have = new Set((await this.records()).map((r) => r.Name));
    const subnet = parseSubnet(this.defaultSubnet);
    const predefined: Array<Omit<NetworkRecord, 'Id' | 'Created'>> = [
      { Name: 'bridge', Driver: 'bridge', Predefined: true, Bridge: this.defaultBridge, Subnet: subnet.cidr, Gateway: gatewayOf(subnet), BridgePlan: null },
      { Name: 'host', Driver: 'host', Predefined: true },
      { Name: 'none', Driver: 'null', Predefined: true },
    ];
    for (const p of predefined) if (!have.has(p.Name)) await this.save({ Id: newId(), Created: new Date().toISOString(), ...p });
  }

  /** `docker network create [--subnet CIDR] NAME`: a record now, a bridge on first connect. */
  async create(args: { name: string; subnet?: string }): Promise<NetworkInfo> {
    return this.lock.run('create', async () => {
      if (!NAME.test(args.name)) throw invalid('INVALID_NETWORK_NAME', `invalid network name ${JSON.stringify(args.name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { name: args.name });
      const records = await this.records();
      if (records.some((r) => r.Name === args.name)) {
        throw new EngineError({ code: 'NETWORK_EXISTS', kind: 'already-exists', message: `network with name ${args.name} already exists`, data: { name: args.name } });
      }
      const subnet = args.subnet ? parseSubnet(args.subnet) : this.freeSubnet(records);
      const clash = records.find((r) => r.Subnet && overlaps(parseSubnet(r.Subnet), subnet));
      if (clash) throw conflict('SUBNET_OVERLAP', `Pool overlaps with other one on this address space: ${subnet.cidr} overlaps ${clash.Subnet} of network ${clash.Name}`, { subnet: subnet.cidr, network: clash.Name });
      const id = newId();
      const record: NetworkRecord = {
        Id: id, Name: args.name, Created: new Date().toISOString(), Driver: 'bridge', Predefined: false,
        // 'dl-' + 12 hex = 15 characters, the kernel's limit for a device name (IFNAMSIZ - 1).
        Bridge: `dl-${id.slice(0, 12)}`, Subnet: subnet.cidr, Gateway: gatewayOf(subnet), BridgePlan: null,
      };
      await this.save(record);
      this.tracer.start('namespaces', 'net.create', { name: record.Name, id, bridge: record.Bridge!, subnet: record.Subnet! }).end();
      return this.info(record);
    });
  }

  async list(): Promise<NetworkInfo[]> {
    const records = await this.records();
    return Promise.all(records.map((r) => this.info(r)));
  }

  async inspect(nameOrId: string): Promise<NetworkInfo> {
    return this.info(await this.record(nameOrId));
  }

  /** `docker network rm`: refused for the predefined networks and while containers are attached. */
  async remove(nameOrId: string): Promise<void> {
    const found = await this.record(nameOrId);
    if (found.Predefined) {
      throw new EngineError({ code: 'NETWORK_PREDEFINED', kind: 'failed-precondition', message: `${found.Name} is a pre-defined network and cannot be removed`, data: { name: found.Name } });
    }
    await this.withNetwork(found.Id, async () => {
      const attached = await this.endpoints(found.Id);
      if (attached.length) {
        throw conflict('NETWORK_IN_USE', `error while removing network: network ${found.Name} id ${found.Id} has active endpoints`, {
          name: found.Name, id: found.Id, containers: attached.map((e) => e.Name),
        });
      }
      const record = await this.record(found.Id);
      if (record.BridgePlan) await teardownPlan({ plan: record.BridgePlan });
      await this.ipam.drop(record.Id);
      await rm(this.recordPath(record.Id), { force: true });
      this.tracer.start('namespaces', 'net.remove', { name: record.Name, id: record.Id }).end();
    });
  }

  // ---- for network-connect.ts ----------------------------------------------------------------

  /** Finds a network by exact name, exact id, or unique id prefix (as Docker does). */
  async record(nameOrId: string): Promise<NetworkRecord> {
    const records = await this.records();
    const exact = records.find((r) => r.Name === nameOrId || r.Id === nameOrId);
    if (exact) return exact;
    const byPrefix = nameOrId.length > 0 ? records.filter((r) => r.Id.startsWith(nameOrId)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    throw notFound('NETWORK_NOT_FOUND', `network ${nameOrId} not found`, { network: nameOrId });
  }

  async save(record: NetworkRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(record.Id), JSON.stringify(record, null, 2) + '\n');
  }

  withNetwork<T>(networkId: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(`network:${networkId}`, fn);
  }

  async endpoint(containerId: string): Promise<EndpointRecord | null> {
    return (await this.endpointIndex()).get(containerId) ?? null;
  }

  async endpoints(networkId?: string): Promise<EndpointRecord[]> {
    const all = [...(await this.endpointIndex()).values()];
    return networkId === undefined ? all : all.filter((e) => e.NetworkId === networkId);
  }

  async saveEndpoint(ep: EndpointRecord): Promise<void> {
    await writeFileAtomic(this.endpointPath(ep.ContainerId), JSON.stringify(ep, null, 2) + '\n');
    (await this.endpointIndex()).set(ep.ContainerId, ep);
  }

  async deleteEndpoint(containerId: string): Promise<void> {
    await rm(this.endpointPath(containerId), { force: true });
    (await this.endpointIndex()).delete(containerId);
  }

  /**
   * Every endpoint, read from disk once and then kept: the daemon is the only writer, and with a
   * thousand containers, reading every file at each disconnect (is the bridge still used?) made
   * removing them all quadratic.
   */
  private endpointIndex(): Promise<Map<string, EndpointRecord>> {
    this.endpointsLoaded ??= (async () => {
      const names = await readdir(join(this.stateDir, 'endpoints')).catch(() => [] as string[]);
      const all = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readJson<EndpointRecord>(join(this.stateDir, 'endpoints', n))));
      return new Map(all.filter((e): e is EndpointRecord => !!e).map((e) => [e.ContainerId, e]));
    })();
    return this.endpointsLoaded;
  }

  // ---- private -----------------------------------------------------------------------------------

  private async records(): Promise<NetworkRecord[]> {
    const dir = join(this.stateDir, 'networks');
    const names = await readdir(dir).catch(() => [] as string[]);
    const all = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readJson<NetworkRecord>(join(dir, n))));
    // Docker's order: bridge, host, none (made in the same millisecond), then by creation.
    const order = (r: NetworkRecord) => (r.Predefined ? ['bridge', 'host', 'none'].indexOf(r.Name) : 3);
    return all.filter((r): r is NetworkRecord => !!r).sort((a, b) => order(a) - order(b) || a.Created.localeCompare(b.Created));
  }

  /** The first /24 of the user pool that no network uses (Docker walks 172.18, 172.19 … alike). */
  private freeSubnet(records: NetworkRecord[]) {
    const pool = parseSubnet(this.userPool);
    const used = records.flatMap((r) => (r.Subnet ? [parseSubnet(r.Subnet)] : []));
    for (let base = pool.base; base < pool.base + pool.size; base += 256) {
      const candidate = parseSubnet(`${intToIp(base)}/24`);
      if (!used.some((u) => overlaps(u, candidate))) return candidate;
    }
    throw conflict('POOL_EXHAUSTED', `no free /24 left in ${pool.cidr} for a new network`, { pool: pool.cidr });
  }

  private async info(r: NetworkRecord): Promise<NetworkInfo> {
    const containers: NetworkInfo['Containers'] = {};
    for (const e of await this.endpoints(r.Id)) {
      containers[e.ContainerId] = { Name: e.Name, EndpointID: e.EndpointId, MacAddress: e.Mac ?? '', IPv4Address: e.IP ? `${e.IP}/${e.Prefix}` : '', IPv6Address: '' };
    }
    const options: Record<string, string> = r.Bridge ? { 'com.docker.network.bridge.name': r.Bridge } : {};
    if (r.Name === 'bridge' && r.Predefined) options['com.docker.network.bridge.default_bridge'] = 'true';
    return {
      Name: r.Name, Id: r.Id, Created: r.Created, Scope: 'local', Driver: r.Driver, EnableIPv4: true, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: r.Subnet ? [{ Subnet: r.Subnet, Gateway: r.Gateway! }] : [] },
      Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: containers, Options: options, Labels: {},
    };
  }

  private recordPath(id: string): string {
    return join(this.stateDir, 'networks', `${id}.json`);
  }

  private endpointPath(containerId: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(containerId)) throw invalid('INVALID_CONTAINER_ID', `invalid container id ${JSON.stringify(containerId)}`, { containerId });
    return join(this.stateDir, 'endpoints', `${containerId}.json`);
  }
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
