// Connecting a container to a network (chapter 3, networking), before the container starts:
// a network namespace bound on a file, a veth pair into the network's bridge, an address from
// the network's pool, and the hosts and resolv.conf files the runtime will bind-mount. The
// runtime's recipe then runs the container inside that namespace (`nsenter --net=<netnsPath>`
// around `unshare`). Disconnecting undoes all of it and tells the remaining peers.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { hostsContent, readHostFile, resolvConfContent, updateNameFile, writeNameFile, type HostEntry } from './hosts-file.js';
import { parseSubnet } from './ipam.js';
import { applyPlan, forwardNeedsRule, linkExists, teardownPlan } from './network-exec.js';
import { hostVethName, macFor, planBridge, planContainerNetwork, type NetworkPlan } from './network-plan.js';
import type { EndpointRecord, NetworkRecord, NetworkStore } from './networks.js';

export interface ConnectResult {
  mode: EndpointRecord['Mode'];
  /** The namespace to join (bridge), or null: none makes its own at start, host uses the host's. */
  netnsPath: string | null;
  ip?: string;
  gateway?: string;
  mac?: string;
  /** Files to bind-mount on /etc/hosts and /etc/resolv.conf. */
  hostsFile: string;
  resolvConf: string;
  plan: NetworkPlan;
}

// #region connect-container
export async function connectContainer(args: {
  networks: NetworkStore; containerId: string; name: string; network: string; stateDir: string; span?: Span;
}): Promise<ConnectResult> {
  const { networks, containerId } = args;
  const net = await networks.record(args.network);
  return networks.tracer.span({ chapter: 'namespaces', op: 'net.connect', data: { container: containerId, network: net.Name }, parent: args.span }, async (span) => {
    if (await networks.endpoint(containerId)) {
      throw conflict('ENDPOINT_EXISTS', `container ${containerId} is already connected to a network`, { containerId, network: net.Name });
    }
    const paths = pathsFor(args.stateDir, containerId);
    const ep: EndpointRecord = {
      ContainerId: containerId, Name: args.name.replace(/^\//, ''), NetworkId: net.Id, EndpointId: randomBytes(32).toString('hex'),
      Mode: net.Driver === 'host' ? 'host' : net.Driver === 'null' ? 'none' : 'bridge',
      NetnsPath: net.Driver === 'bridge' ? paths.netns : null, HostsFile: paths.hosts, ResolvConf: paths.resolv,
      Plan: { subject: `container:${containerId}`, mode: 'host', steps: [] },
    };
    await mkdir(paths.etcDir, { recursive: true });
    await mkdir(join(args.stateDir, 'netns'), { recursive: true });
    // Everything acquired is registered here at once and released newest first on failure.
    const undo: Array<() => Promise<unknown>> = [() => rm(paths.etcDir, { recursive: true, force: true })];
    // Only a bridge shares anything between containers (addresses, the device): only it is locked.
    const locked = <T>(fn: () => Promise<T>) => (ep.Mode === 'bridge' ? networks.withNetwork(net.Id, fn) : fn());
    await locked(async () => {
      try {
        // The record first, then each thing it names (an address, the namespace, the veth): a
        // daemon killed halfway leaves a record that disconnectContainer can undo, never a
        // namespace or an address that no record names.
        await networks.saveEndpoint(ep);
        undo.push(() => networks.deleteEndpoint(containerId));
        if (ep.Mode === 'bridge') {
          const subnet = parseSubnet(net.Subnet!);
          ep.IP = await networks.ipam.allocate({ pool: net.Id, subnet: subnet.cidr, owner: containerId });
          undo.push(() => networks.ipam.release({ pool: net.Id, owner: containerId }));
          Object.assign(ep, { Prefix: subnet.prefix, Gateway: net.Gateway, Mac: macFor(ep.IP) });
          await ensureBridge(networks, net, span);
          undo.push(() => releaseBridgeIfUnused(networks, net.Id, span));
        }
        ep.Plan = planContainerNetwork({
          containerId, mode: ep.Mode, netnsPath: paths.netns,
          endpoint: ep.Mode === 'bridge' ? { bridge: net.Bridge!, hostVeth: hostVethName(shortHex(containerId)), ip: ep.IP!, prefix: ep.Prefix!, gateway: ep.Gateway!, mac: ep.Mac! } : undefined,
        });
        await networks.saveEndpoint(ep);
        // A failed applyPlan undoes its own steps, and only those: a veth name someone else's
        // device already has must not be deleted by our undo.
        await applyPlan({ plan: ep.Plan, span });
        undo.push(() => teardownPlan({ plan: ep.Plan, span }));
        await writeNameFiles(networks, net, ep);
        await refreshPeers(networks, net, containerId);
      } catch (err) {
        for (const release of undo.reverse()) await release().catch(() => {});
        throw err;
      }
    });
    span.event('net.endpoint', { container: containerId, network: net.Name, ip: ep.IP ?? null, mac: ep.Mac ?? null, netns: ep.NetnsPath });
    return { mode: ep.Mode, netnsPath: ep.NetnsPath, ip: ep.IP, gateway: ep.Gateway, mac: ep.Mac, hostsFile: ep.HostsFile, resolvConf: ep.ResolvConf, plan: ep.Plan };
  });
}
// #endregion connect-container

// #region disconnect-container
/** Undoes connectContainer. Disconnecting a container that is not connected does nothing. */
export async function disconnectContainer(args: { networks: NetworkStore; containerId: string; stateDir: string; span?: Span }): Promise<void> {
  const { networks, containerId } = args;
  const ep = await networks.endpoint(containerId);
  if (!ep) return;
  const locked = <T>(fn: () => Promise<T>) => (ep.Mode === 'bridge' ? networks.withNetwork(ep.NetworkId, fn) : fn());
  await networks.tracer.span({ chapter: 'namespaces', op: 'net.disconnect', data: { container: containerId }, parent: args.span }, (span) =>
    locked(async () => {
      // 1. the devices and the namespace (the veth's undo takes eth0 inside with it)
      await teardownPlan({ plan: ep.Plan, span });
      // 2. the address, the record, the files
      await networks.ipam.release({ pool: ep.NetworkId, owner: containerId });
      await networks.deleteEndpoint(containerId);
      await rm(pathsFor(args.stateDir, containerId).etcDir, { recursive: true, force: true });
      // 3. the peers forget it; the bridge goes with its last container
      const net = await networks.record(ep.NetworkId).catch(() => null);
      if (net) await refreshPeers(networks, net, containerId);
      if (ep.Mode === 'bridge') await releaseBridgeIfUnused(networks, ep.NetworkId, span);
    }),
  );
}
// #endregion disconnect-container

function pathsFor(stateDir: string, containerId: string) {
  const etcDir = join(stateDir, 'etc', containerId);
  return { netns: join(stateDir, 'netns', containerId), etcDir, hosts: join(etcDir, 'hosts'), resolv: join(etcDir, 'resolv.conf') };
}

/** Ten hex characters naming the container's host-side veth (hashed when the id is not hex). */
function shortHex(containerId: string): string {
  return /^[0-9a-f]{10,}$/.test(containerId) ? containerId : createHash('sha256').update(containerId).digest('hex');
}

/** Creates the network's bridge unless it is there. Called under the network's lock. */
async function ensureBridge(networks: NetworkStore, net: NetworkRecord, span: Span): Promise<void> {
  if (await linkExists(net.Bridge!, span)) return;
  const subnet = parseSubnet(net.Subnet!);
  const plan = planBridge({ bridge: net.Bridge!, gateway: net.Gateway!, prefix: subnet.prefix, allowForward: await forwardNeedsRule(span), network: net.Name });
  // The plan is recorded before the bridge is made, as an endpoint is: a daemon killed halfway
  // leaves a plan that releaseUnusedBridges can undo at the next start, never a bridge no record
  // names. A plan that failed (and undid its own steps) is forgotten at once.
  await networks.save({ ...(await networks.record(net.Id)), BridgePlan: plan });
  await applyPlan({ plan, span }).catch(async (err: unknown) => {
    await networks.save({ ...(await networks.record(net.Id)), BridgePlan: null });
    throw err;
  });
}

/**
 * At daemon start, once the containers are adopted: the bridges no container is on, deleted
 * (with their rules). A daemon killed while it made or removed a bridge leaves one behind.
 */
export async function releaseUnusedBridges(networks: NetworkStore, span: Span): Promise<void> {
  for (const n of await networks.list()) {
    await networks.withNetwork(n.Id, () => releaseBridgeIfUnused(networks, n.Id, span));
  }
}

/** Deletes the bridge (and its rule) once no container is on it. Called under the network's lock. */
async function releaseBridgeIfUnused(networks: NetworkStore, networkId: string, span: Span): Promise<void> {
  if ((await networks.endpoints(networkId)).length) return;
  const net = await networks.record(networkId).catch(() => null);
  if (!net?.BridgePlan) return;
  await teardownPlan({ plan: net.BridgePlan, span });
  await networks.save({ ...net, BridgePlan: null });
}

function entryOf(ep: EndpointRecord, selfFirst: boolean): HostEntry {
  const short = ep.ContainerId.slice(0, 12);
  return { ip: ep.IP ?? '127.0.0.1', names: selfFirst ? [short, ep.Name] : [ep.Name, short] };
}

/** The first hosts and resolv.conf of a container. */
async function writeNameFiles(networks: NetworkStore, net: NetworkRecord, ep: EndpointRecord): Promise<void> {
  const hostResolv = await readHostFile('/etc/resolv.conf');
  if (ep.Mode === 'host') {
    await writeNameFile(ep.HostsFile, await readHostFile('/etc/hosts'));
  } else {
    const peers = await peersOf(networks, net, ep.ContainerId);
    await writeNameFile(ep.HostsFile, hostsContent({ self: ep.IP ? entryOf(ep, true) : undefined, peers: peers.map((p) => entryOf(p, false)) }));
  }
  await writeNameFile(ep.ResolvConf, resolvConfContent({ hostResolvConf: hostResolv, ownNamespace: ep.Mode !== 'host' }));
}

/** Only user-defined bridge networks resolve each other's names (Docker's rule too). */
async function peersOf(networks: NetworkStore, net: NetworkRecord, containerId: string): Promise<EndpointRecord[]> {
  if (net.Predefined || net.Driver !== 'bridge') return [];
  return (await networks.endpoints(net.Id)).filter((e) => e.ContainerId !== containerId);
}

/** Rewrites the hosts file of every other container on `net` after `changed` joined or left. */
async function refreshPeers(networks: NetworkStore, net: NetworkRecord, changed: string): Promise<void> {
  for (const ep of await peersOf(networks, net, changed)) {
    const others = (await peersOf(networks, net, ep.ContainerId)).map((p) => entryOf(p, false));
    await updateNameFile(ep.HostsFile, hostsContent({ self: entryOf(ep, true), peers: others }));
  }
}
