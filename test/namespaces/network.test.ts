// Chapter 3, networking, for real: containers (here a namespace and a node process started in
// it with nsenter) on the default bridge reach each other by address, on a user network by name
// through the hosts file they get, `none` has only lo, `host` has no namespace at all; the
// network store speaks Docker's shapes and refuses to remove a network in use. Every test ends
// with nothing of ours left on the machine: no device, netns mount, file, rule or process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { run } from '../../engine/base/index.js';
import { connectContainer, disconnectContainer } from '../../engine/namespaces/network-connect.js';
import { applyPlan, teardownPlan } from '../../engine/namespaces/network-exec.js';
import { planBridge } from '../../engine/namespaces/network-plan.js';
import { Ipam } from '../../engine/namespaces/ipam.js';
import { cleanupNetEnv, echoClient, echoServer, makeNetEnv, NOTHING_LEFT, runInNetns, skipNetworking, startInNetns, type NetEnv } from './network-helpers.js';

const PORT = 7001;

describe.skipIf(skipNetworking())('container networking', () => {
  let env: NetEnv;
  beforeEach(async () => {
    env = await makeNetEnv({ tag: 'n', subnet: '10.213.200.0/24', pool: '10.213.208.0/20' });
  });
  afterEach(async () => {
    expect(await cleanupNetEnv(env)).toEqual(NOTHING_LEFT);
  });

  const connect = (name: string, network: string) =>
    connectContainer({ networks: env.networks, containerId: env.newContainerId(), name, network, stateDir: env.root });

  it('two containers on the default bridge reach each other by address', async () => {
    const a = await connect('a', 'bridge');
    const b = await connect('b', 'bridge');
    expect([a.ip, b.ip, a.gateway]).toEqual(['10.213.200.2', '10.213.200.3', '10.213.200.1']);
    expect(a.mac).toBe('02:42:0a:d5:c8:02');
    await startInNetns(env, a.netnsPath!, echoServer(PORT));
    const r = await runInNetns(b.netnsPath!, echoClient(a.ip!, PORT));
    expect(r.stdout.trim()).toBe('10.213.200.2 hello');
    // Inside: lo, and eth0 with the address and the default route via the bridge.
    const addrs = (await run(['nsenter', `--net=${b.netnsPath}`, 'ip', '-o', '-4', 'addr'])).stdout;
    expect(addrs).toMatch(/eth0\s+inet 10\.213\.200\.3\/24/);
    expect((await run(['nsenter', `--net=${b.netnsPath}`, 'ip', 'route'])).stdout).toContain('default via 10.213.200.1 dev eth0');
    // The default bridge resolves no peers (Docker's rule): b's hosts file has only itself.
    expect(readFileSync(b.hostsFile, 'utf8')).not.toMatch(/\ta\b/);
  });

  it('traces the steps with names, addresses and the namespace inode', async () => {
    const a = await connect('a', 'bridge');
    const ops = env.sink.events.filter((e) => e.phase === 'event').map((e) => e.op);
    for (const op of ['net.bridge', 'net.veth', 'net.address', 'net.netns', 'net.route']) expect(ops).toContain(op);
    const netns = env.sink.events.find((e) => e.op === 'net.netns' && typeof e.data.inode === 'number');
    expect(netns?.data).toMatchObject({ path: a.netnsPath, inode: statSync(a.netnsPath!).ino });
    const ns = (await run(['nsenter', `--net=${a.netnsPath}`, 'readlink', '/proc/self/ns/net'])).stdout.trim();
    expect(ns).toBe(`net:[${netns!.data.inode}]`);
  });

  it('a user network: its own bridge and subnet, peers by name through the hosts file', async () => {
    await env.createNetwork('appnet');
    const info = await env.networks.inspect('appnet');
    expect(info).toMatchObject({ Name: 'appnet', Driver: 'bridge', Scope: 'local', IPAM: { Config: [{ Subnet: '10.213.208.0/24', Gateway: '10.213.208.1' }] } });
    expect(info.Options['com.docker.network.bridge.name']).toMatch(/^dl-[0-9a-f]{12}$/);
    const web = await connect('web', 'appnet');
    const client = await connect('client', 'appnet');
    // web's file was rewritten when client joined; client's was written knowing web.
    expect(readFileSync(web.hostsFile, 'utf8')).toContain(`${client.ip}\tclient `);
    expect(readFileSync(client.hostsFile, 'utf8')).toContain(`${web.ip}\tweb `);
    await startInNetns(env, web.netnsPath!, echoServer(PORT));
    const r = await runInNetns(client.netnsPath!, echoClient('web', PORT), client.hostsFile);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`${web.ip} hello`);
    expect(Object.values((await env.networks.inspect('appnet')).Containers).map((c) => c.Name).sort()).toEqual(['client', 'web']);
    // Leaving: web forgets client.
    await disconnectContainer({ networks: env.networks, containerId: env.containerIds[1]!, stateDir: env.root });
    expect(readFileSync(web.hostsFile, 'utf8')).not.toContain('client');
  });

  it('containers connecting at once get distinct addresses and one bridge; allocations survive a new store', async () => {
    const results = await Promise.all(['p1', 'p2', 'p3'].map((n) => connect(n, 'bridge')));
    expect(new Set(results.map((r) => r.ip)).size).toBe(3);
    const bridgeEvents = env.sink.events.filter((e) => e.op === 'net.bridge' && e.phase === 'event');
    expect(bridgeEvents).toHaveLength(1);
    const again = new Ipam(`${env.root}/ipam`);
    const allocated = await again.allocations((await env.networks.inspect('bridge')).Id);
    expect(Object.values(allocated).sort()).toEqual(results.map((r) => r.ip).sort());
  });

  it('--network none: no address, no device, nothing made outside the container', async () => {
    // The container's start unshares a new namespace and brings lo up (isolation.test.ts checks
    // what it sees); connecting only records the endpoint and writes hosts and resolv.conf.
    const n = await connect('n', 'none');
    expect(n.ip).toBeUndefined();
    expect(n.mode).toBe('none');
    expect(n.netnsPath).toBeNull();
    expect(n.plan.steps).toEqual([]);
    expect(readFileSync(n.hostsFile, 'utf8')).toContain('127.0.0.1');
  });

  it('--network host: no namespace, the host\'s hosts and resolv.conf', async () => {
    const h = await connect('h', 'host');
    expect(h.netnsPath).toBeNull();
    expect(h.plan.steps).toEqual([]);
    expect(readFileSync(h.hostsFile, 'utf8')).toBe(readFileSync('/etc/hosts', 'utf8'));
  });

  it('disconnect removes the veth, the namespace and the address; the bridge goes with its last container', async () => {
    const a = await connect('a', 'bridge');
    const [id] = env.containerIds;
    const bridge = [...env.bridges][0]!;
    expect((await run(['ip', 'link', 'show', 'dev', bridge], { allowFailure: true })).status).toBe(0);
    await disconnectContainer({ networks: env.networks, containerId: id!, stateDir: env.root });
    expect(existsSync(a.netnsPath!)).toBe(false);
    expect(existsSync(a.hostsFile)).toBe(false);
    expect((await run(['ip', 'link', 'show', 'dev', bridge], { allowFailure: true })).status).not.toBe(0);
    expect(await env.networks.ipam.allocations((await env.networks.inspect('bridge')).Id)).toEqual({});
    // Disconnecting again is not an error; the next container gets the freed address.
    await disconnectContainer({ networks: env.networks, containerId: id!, stateDir: env.root });
    expect((await connect('b', 'bridge')).ip).toBe('10.213.200.2');
  });

  it('a bridge\'s FORWARD rule (made where the policy is DROP) is added and removed with it', async () => {
    // Applied here whatever this machine's policy is: an ACCEPT between the ports of our own bridge.
    const bridge = `dltfw${env.containerIds.length}${Date.now() % 10000}`;
    env.bridges.add(bridge);
    const plan = planBridge({ bridge, gateway: '10.213.202.1', prefix: 24, allowForward: true, network: 'fwtest' });
    await applyPlan({ plan });
    try {
      expect((await run(['iptables', '-S', 'FORWARD'])).stdout).toContain(`-A FORWARD -i ${bridge} -o ${bridge} -m comment --comment "dockling fwtest" -j ACCEPT`);
    } finally {
      await teardownPlan({ plan });
    }
    expect((await run(['iptables', '-S'])).stdout).not.toContain(bridge);
  });

  it('a failed connect undoes what it did', async () => {
    const id = env.newContainerId();
    await connectContainer({ networks: env.networks, containerId: id, name: 'x', network: 'bridge', stateDir: env.root });
    // Same container again: refused before anything is made.
    await expect(connectContainer({ networks: env.networks, containerId: id, name: 'x', network: 'bridge', stateDir: env.root }))
      .rejects.toMatchObject({ code: 'ENDPOINT_EXISTS' });
    // A veth name already taken by someone else: the plan fails mid-way and is rolled back.
    const clash = env.newContainerId();
    const taken = `vdl${clash.slice(0, 10)}`;
    env.bridges.add(taken); // tracked, so the leftover check would catch it
    await run(['ip', 'link', 'add', taken, 'type', 'bridge']);
    try {
      await expect(connectContainer({ networks: env.networks, containerId: clash, name: 'y', network: 'bridge', stateDir: env.root }))
        .rejects.toMatchObject({ code: 'NETWORK_SETUP_FAILED' });
    } finally {
      await run(['ip', 'link', 'del', taken]);
    }
    expect(existsSync(`${env.root}/netns/${clash}`)).toBe(false);
    expect(Object.keys(await env.networks.ipam.allocations((await env.networks.inspect('bridge')).Id))).toEqual([id]);
  });
});

describe.skipIf(skipNetworking())('network store', () => {
  let env: NetEnv;
  beforeEach(async () => {
    env = await makeNetEnv({ tag: 's', subnet: '10.213.201.0/24', pool: '10.213.224.0/20' });
  });
  afterEach(async () => {
    expect(await cleanupNetEnv(env)).toEqual(NOTHING_LEFT);
  });

  it('lists the predefined networks in Docker\'s shape', async () => {
    const list = await env.networks.list();
    expect(list.map((n) => [n.Name, n.Driver])).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    expect(list[0]).toMatchObject({ IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.201.0/24', Gateway: '10.213.201.1' }] }, Containers: {} });
    await env.networks.init(); // idempotent
    expect(await env.networks.list()).toHaveLength(3);
  });

  it('create, inspect by name, id and prefix, rm; errors by code', async () => {
    await env.createNetwork('db', '10.213.230.0/24');
    const info = await env.networks.inspect('db');
    expect((await env.networks.inspect(info.Id)).Name).toBe('db');
    expect((await env.networks.inspect(info.Id.slice(0, 12))).Name).toBe('db');
    await expect(env.networks.create({ name: 'db' })).rejects.toMatchObject({ code: 'NETWORK_EXISTS' });
    await expect(env.networks.create({ name: 'db2', subnet: '10.213.230.128/25' })).rejects.toMatchObject({ code: 'SUBNET_OVERLAP' });
    await expect(env.networks.create({ name: 'bad name' })).rejects.toMatchObject({ code: 'INVALID_NETWORK_NAME' });
    await expect(env.networks.create({ name: 'x', subnet: '10.213.230.1/24' })).rejects.toMatchObject({ code: 'INVALID_SUBNET' });
    await expect(env.networks.remove('bridge')).rejects.toMatchObject({ code: 'NETWORK_PREDEFINED' });
    await env.networks.remove('db');
    await expect(env.networks.inspect('db')).rejects.toMatchObject({ code: 'NETWORK_NOT_FOUND' });
  });

  it('rm refuses while a container is attached, then removes the network and its bridge', async () => {
    await env.createNetwork('busy');
    const id = env.newContainerId();
    await connectContainer({ networks: env.networks, containerId: id, name: 'c', network: 'busy', stateDir: env.root });
    const err = await env.networks.remove('busy').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETWORK_IN_USE', kind: 'conflict' });
    expect((err as Error).message).toMatch(/^error while removing network: network busy id [0-9a-f]{64} has active endpoints$/);
    await disconnectContainer({ networks: env.networks, containerId: id, stateDir: env.root });
    await env.networks.remove('busy');
    expect((await env.networks.list()).map((n) => n.Name)).toEqual(['bridge', 'host', 'none']);
  });
});
