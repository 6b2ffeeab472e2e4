// Chapter 3's networks from the command line: the real docker CLI 28.2.2 and `dockling network`
// against our daemon — create, ls, inspect, rm; two containers on a user network reaching each
// other by name; the default bridge by address; --network none with lo only; a published port
// answering node's http.get on 127.0.0.1. Every bridge, veth and namespace goes away afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { DOCKER, api, dockling, run, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const net = bridgeArgs(160);
let d: RunningDaemon;
const parentsBefore = cgroupParents();

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: [...net.args, '--default-address-pool', 'base=10.213.164.0/23'] });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
});

afterEach(async () => {
  if (!isRoot) return;
  const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
  for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
  const user = ((await api(d.sock, 'GET', '/v1.50/networks')).json() as Array<{ Name: string; Id: string }>).filter((n) => !['bridge', 'host', 'none'].includes(n.Name));
  for (const n of user) expect((await api(d.sock, 'DELETE', `/v1.50/networks/${n.Id}`)).status).toBe(204);
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
  expect(execFileSync('ip', ['-o', 'link', 'show']).toString().split('\n').filter((l) => user.some((n) => l.includes(`dl-${n.Id.slice(0, 12)}`)))).toEqual([]);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

const docker = (...args: string[]) => run(DOCKER, ['-H', d.host, ...args]);
const dk = (...args: string[]) => dockling(d.host, args);

/** A TCP port nobody listens on right now, on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe.skipIf(!isRoot)('networks from the CLI', () => {
  it('docker network create / ls / inspect / rm', async () => {
    const made = await docker('network', 'create', 'n1');
    expect(made.code).toBe(0);
    const id = made.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ls = await docker('network', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(ls.stdout).toMatch(new RegExp(`${id.slice(0, 12)}\\s+n1\\s+bridge\\s+local`));
    expect(ls.stdout).toMatch(/\s+none\s+null\s+local/);
    const inspect = await docker('network', 'inspect', 'n1');
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject([{ Name: 'n1', Id: id, Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.213.164.0/24' }] } }]);
    const predefined = await docker('network', 'rm', 'bridge');
    expect(predefined.code).toBe(1);
    expect(predefined.stderr).toContain('bridge is a pre-defined network and cannot be removed');
    expect(await docker('network', 'rm', 'n1')).toMatchObject({ code: 0, stdout: 'n1\n' });
    expect((await docker('network', 'inspect', 'n1')).code).toBe(1);
  });

  it('dockling network create --subnet / ls / inspect -f / rm', async () => {
    expect((await dk('network', 'create', '--subnet', '10.213.167.0/24', 'n2')).code).toBe(0);
    expect((await dk('network', 'ls')).stdout).toMatch(/\s+n2\s+bridge\s+local\n/);
    expect(await dk('network', 'inspect', '-f', '{{.Driver}} {{json .IPAM.Config}}', 'n2')).toMatchObject({ code: 0, stdout: 'bridge [{"Subnet":"10.213.167.0/24","Gateway":"10.213.167.1"}]\n' });
    expect(await dk('network', 'rm', 'n2')).toMatchObject({ code: 0, stdout: 'n2\n' });
    expect((await dk('network', 'rm', 'n2')).code).toBe(1);
  });

  it('two containers on a user network reach each other by name; rm refuses while one is on it', async () => {
    expect((await docker('network', 'create', 'n1')).code).toBe(0);
    const server = await docker('run', '-d', '--network', 'n1', '--name', 'web', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc');
    expect(server.code).toBe(0);
    const client = await docker('run', '--rm', '--network', 'n1', 'busybox', 'wget', '-qO-', 'http://web/hostname');
    expect(client).toMatchObject({ code: 0, stdout: `${server.stdout.trim().slice(0, 12)}\n` });
    const inUse = await docker('network', 'rm', 'n1');
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('has active endpoints');
    const nets = JSON.parse((await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web')).stdout) as Record<string, { IPAddress: string; DNSNames: string[] }>;
    expect(nets['n1']).toMatchObject({ IPAddress: '10.213.164.2', DNSNames: ['web', server.stdout.trim().slice(0, 12)] });
  });

  it('the default bridge by address; a published port answers on 127.0.0.1; --network none has lo only', async () => {
    const port = await freePort();
    const server = await docker('run', '-d', '--name', 'web2', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc');
    expect(server.code).toBe(0);
    const short = server.stdout.trim().slice(0, 12);
    const ip = (await docker('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'web2')).stdout.trim();
    expect(ip).toBe('10.213.160.2');
    expect(await docker('run', '--rm', 'busybox', 'wget', '-qO-', `http://${ip}/hostname`)).toMatchObject({ code: 0, stdout: `${short}\n` });
    expect(await httpGet(`http://127.0.0.1:${port}/hostname`)).toBe(`${short}\n`);
    const none = await docker('run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net');
    expect(none).toMatchObject({ code: 0, stdout: 'lo\n' });
  });
});
