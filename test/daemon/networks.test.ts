// Networks through the Engine API (chapter 3, protocol reference §5.7): the list in Docker's
// shape, create with and without a subnet, inspect by name and id prefix, remove (204; 403 for
// a predefined network; 409 while a container is on it), connect/disconnect saying 501, and
// container inspect's NetworkSettings.Networks filled from the endpoint. The host is left as found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startDaemon, type RunningDaemon } from './harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from './runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const net = bridgeArgs(150);
let d: RunningDaemon;
const parentsBefore = cgroupParents();

const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: [...net.args, '--default-address-pool', 'base=10.213.152.0/23,size=24'] });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

describe.skipIf(!isRoot)('network API', () => {
  it('GET /networks: bridge, host and none in Docker\'s list shape', async () => {
    const res = await api(d.sock, 'GET', '/v1.50/networks');
    expect(res.status).toBe(200);
    const list = res.json() as Array<Record<string, unknown>>;
    expect(list.map((n) => [n['Name'], n['Driver']])).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    for (const key of ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']) {
      expect(list[0]).toHaveProperty(key);
    }
    expect(list[0]).toMatchObject({ Scope: 'local', IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.150.0/24', Gateway: '10.213.150.1' }] } });
  });

  it('create (pool and explicit subnet), inspect by name and id prefix, filters, rm; errors by status', async () => {
    const made = await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'apinet', Driver: 'bridge' }));
    expect(made.status).toBe(201);
    const { Id, Warning } = made.json() as { Id: string; Warning: string };
    expect([Id.length, Warning]).toEqual([64, '']);
    const fixed = await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'apinet2', IPAM: { Config: [{ Subnet: '10.213.155.0/24' }] } }));
    expect(fixed.status).toBe(201);

    const byPrefix = (await api(d.sock, 'GET', `/v1.50/networks/${Id.slice(0, 10)}`)).json();
    expect(byPrefix).toMatchObject({ Name: 'apinet', Id, Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.213.152.0/24', Gateway: '10.213.152.1' }] } });
    expect((await api(d.sock, 'GET', '/v1.50/networks/apinet2')).json()).toMatchObject({ IPAM: { Config: [{ Subnet: '10.213.155.0/24' }] } });
    const filtered = (await api(d.sock, 'GET', `/v1.50/networks?filters=${encodeURIComponent('{"name":{"apinet":true}}')}`)).json() as Array<{ Name: string }>;
    expect(filtered.map((n) => n.Name)).toEqual(['apinet', 'apinet2']);

    expect((await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'apinet' }))).status).toBe(409);
    expect((await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'x', IPAM: { Config: [{ Subnet: '10.213.155.128/25' }] } }))).status).toBe(409);
    expect((await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'bad name' }))).status).toBe(400);
    expect((await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'ov', Driver: 'overlay' }))).status).toBe(404);
    expect((await api(d.sock, 'GET', '/v1.50/networks/nope')).status).toBe(404);
    const predefined = await api(d.sock, 'DELETE', '/v1.50/networks/bridge');
    expect([predefined.status, predefined.json().message]).toEqual([403, 'bridge is a pre-defined network and cannot be removed']);
    expect((await api(d.sock, 'POST', '/v1.50/networks/apinet/connect', json({ Container: 'x' }))).status).toBe(501);
    expect((await api(d.sock, 'POST', '/v1.50/networks/apinet/disconnect', json({ Container: 'x' }))).status).toBe(501);

    expect((await api(d.sock, 'DELETE', '/v1.50/networks/apinet')).status).toBe(204);
    expect((await api(d.sock, 'DELETE', '/v1.50/networks/apinet2')).status).toBe(204);
    expect((await api(d.sock, 'DELETE', '/v1.50/networks/apinet')).status).toBe(404);
  });

  it('a running container: 409 on rm of its network, NetworkSettings.Networks filled, nothing left after', async () => {
    const netId = ((await api(d.sock, 'POST', '/v1.50/networks/create', json({ Name: 'busynet' }))).json() as { Id: string }).Id;
    const created = await api(d.sock, 'POST', '/v1.50/containers/create?name=sleeper', json({ Image: 'busybox', Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'busynet' } }));
    expect(created.status).toBe(201);
    const id = (created.json() as { Id: string }).Id;
    try {
      expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
      const inUse = await api(d.sock, 'DELETE', '/v1.50/networks/busynet');
      expect(inUse.status).toBe(409);
      const settings = ((await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json() as { NetworkSettings: { Networks: Record<string, Record<string, unknown>> } }).NetworkSettings;
      expect(Object.keys(settings.Networks)).toEqual(['busynet']);
      expect(settings.Networks['busynet']).toMatchObject({ NetworkID: netId, IPAddress: '10.213.152.2', IPPrefixLen: 24, Gateway: '10.213.152.1', DNSNames: ['sleeper', id.slice(0, 12)] });
      expect(settings.Networks['busynet']!['EndpointID']).toMatch(/^[0-9a-f]{64}$/);
      const onNet = (await api(d.sock, 'GET', '/v1.50/networks/busynet')).json() as { Containers: Record<string, { Name: string; IPv4Address: string }> };
      expect(onNet.Containers[id]).toMatchObject({ Name: 'sleeper', IPv4Address: '10.213.152.2/24' });
    } finally {
      await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
    }
    expect((await api(d.sock, 'DELETE', '/v1.50/networks/busynet')).status).toBe(204);
    expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: [id] })).toEqual(NOTHING);
    expect(leftovers({ dataRoot: d.dataRoot, bridge: `dl-${netId.slice(0, 12)}`, containerIds: [id] }).links).toEqual([]);
  });
});
