// The daemon's HTTP surface against a real daemon process: the ping and the headers the docker
// CLI reads, API version negotiation, the exact error shape, /version and /info, and the
// guards around the data root and the socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { api, dockling, startDaemon, type RunningDaemon } from './harness.js';
import { rawRequest } from '../reliability/raw-http.js';

let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
});

describe('ping and headers', () => {
  it('HEAD /_ping answers 200 with the negotiation headers and no body', async () => {
    const r = await api(d.sock, 'HEAD', '/_ping');
    expect(r.status).toBe(200);
    expect(r.headers['api-version']).toBe('1.50');
    expect(r.headers['docker-experimental']).toBe('false');
    expect(r.headers['ostype']).toBe('linux');
    expect(r.headers['server']).toMatch(/^Dockling\/\d+\.\d+\.\d+ \(linux\)$/);
    expect(r.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(r.headers['pragma']).toBe('no-cache');
    expect(r.body.length).toBe(0);
  });
  it('GET /_ping answers OK', async () => {
    const r = await api(d.sock, 'GET', '/_ping');
    expect(r.text).toBe('OK');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
  it('every response carries the standard headers, errors included', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/nope');
    expect(r.headers['api-version']).toBe('1.50');
    expect(r.headers['server']).toMatch(/^Dockling\//);
  });
  it('the socket is mode 0660', () => {
    expect(statSync(d.sock).mode & 0o777).toBe(0o660);
  });
});

describe('versions and errors', () => {
  it('takes prefixed and unprefixed paths', async () => {
    expect((await api(d.sock, 'GET', '/v1.50/version')).status).toBe(200);
    expect((await api(d.sock, 'GET', '/v1.24/version')).status).toBe(200);
    expect((await api(d.sock, 'GET', '/version')).status).toBe(200);
  });
  it('refuses a client version above the maximum', async () => {
    const r = await api(d.sock, 'GET', '/v1.99/version');
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ message: 'client version 1.99 is too new. Maximum supported API version is 1.50' });
  });
  it('refuses a client version below the minimum', async () => {
    const r = await api(d.sock, 'GET', '/v1.12/version');
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version');
  });
  it('unknown routes are 404 page not found, as exactly application/json', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/nosuchthing/x');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toEqual({ message: 'page not found' });
  });
  it('a missing image is a 404 with the engine message', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/images/nosuchimage/json');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json().message).toMatch(/^No such image: nosuchimage/);
  });
  it('a pull that fails before it has anything to report is an HTTP error, not a stream', async () => {
    // Port 1 on loopback: nobody listens, the registry client fails before any layer is seen.
    const r = await api(d.sock, 'POST', '/v1.50/images/create?fromImage=127.0.0.1%3A1%2Fnobody&tag=latest');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json().message).toContain('127.0.0.1:1');
  });
});

// What the API fuzz (test/reliability/api-fuzz.test.ts) found answered with a 5xx, no answer or a
// state change; each now a 4xx with a message, asked once here.
describe('hostile requests (issue 9)', () => {
  const post = (path: string, body: string) => api(d.sock, 'POST', `/v1.50${path}`, { body: Buffer.from(body), headers: { 'Content-Type': 'application/json' } });
  const raw = (method: string, target: string, headers: Record<string, string> = {}) => rawRequest({ path: d.sock }, { method, target, headers });
  const message = (text: string) => (JSON.parse(text) as { message: string }).message;

  it('malformed percent-encoding in a name is a 400, not "URI malformed" 500; so is a NUL', async () => {
    for (const target of ['/v1.50/containers/%zz/json', '/v1.50/volumes/%c0%ae%c0%ae', '/v1.50/images/%ff%fe/json', '/v1.50/containers/a%00b/json']) {
      const r = await raw('GET', target);
      expect([r.status, target]).toEqual([400, target]);
      expect(message(r.body)).toMatch(/percent-encoding|NUL/);
    }
  });

  it('the same on the upgrade path (attach, exec start): a 400, and the daemon stays up', async () => {
    for (const target of ['/v1.50/containers/%zz/attach?stream=1', '/v1.50/exec/%/start']) {
      const r = await raw('POST', target, { Connection: 'Upgrade', Upgrade: 'tcp' });
      expect(r.status).toBe(400);
    }
    expect((await api(d.sock, 'GET', '/_ping')).status).toBe(200);
  });

  it('a method Node does not know, and CONNECT, get a JSON refusal instead of a bare 400 or a closed socket', async () => {
    const brew = await raw('BREW', '/v1.50/_ping');
    expect(brew.status).toBe(400);
    expect(message(brew.body)).toMatch(/malformed HTTP request/);
    const connect = await raw('CONNECT', 'evil.example:443');
    expect(connect.status).toBe(405);
    expect(message(connect.body)).toMatch(/CONNECT/);
  });

  it('filters that are not an object of values are a 400', async () => {
    for (const f of ['[]', '5', '{"status":5}', '{"name":{"x":"yes"}}']) {
      for (const path of ['/containers/json', '/images/json', '/volumes', '/networks']) {
        const r = await api(d.sock, 'GET', `/v1.50${path}?filters=${encodeURIComponent(f)}`);
        expect([path, f, r.status]).toEqual([path, f, 400]);
      }
    }
  });

  it('wrong types in a create body are a 400 naming the field, and nothing is made', async () => {
    for (const [body, field] of [['{"Image":123}', 'Image'], ['{"Image":"x","Env":[1]}', 'Env'], ['{"Image":"x","HostConfig":{"Binds":"x"}}', 'HostConfig.Binds'], ['{"Image":"x","HostConfig":[]}', 'HostConfig']] as const) {
      const r = await post('/containers/create', body);
      expect(r.status).toBe(400);
      expect(message(r.text)).toContain(field);
    }
    const volumes = (await api(d.sock, 'GET', '/v1.50/volumes')).json().Volumes.length;
    for (const body of ['123', '[]', '"str"', '{"Name":5}', '{"Name":"v","Labels":[]}']) expect((await post('/volumes/create', body)).status).toBe(400);
    expect((await api(d.sock, 'GET', '/v1.50/volumes')).json().Volumes.length).toBe(volumes);
    const networks = (await api(d.sock, 'GET', '/v1.50/networks')).json().length;
    for (const body of ['{"Name":5}', '[]', '{"Name":"n","IPAM":{"Config":"x"}}']) expect((await post('/networks/create', body)).status).toBe(400);
    expect((await api(d.sock, 'GET', '/v1.50/networks')).json().length).toBe(networks);
  });

  it('a login body of the wrong types, or a server that is no host, is a 400 before any registry is asked', async () => {
    for (const body of ['123', '{"username":5}', '{"username":"u","password":"p","serveraddress":5}', '{"username":"u","password":"p","serveraddress":"http://[::1"}', '{"username":"u","password":"p","serveraddress":"../../x"}', '{"password":"p"}']) {
      const r = await post('/auth', body);
      expect([body, r.status]).toEqual([body, 400]);
    }
  });
});

describe('system documents', () => {
  it('/version has the fields docker version prints', async () => {
    const v = (await api(d.sock, 'GET', '/v1.50/version')).json();
    expect(v).toMatchObject({ ApiVersion: '1.50', MinAPIVersion: '1.24', Os: 'linux', Platform: { Name: 'Dockling Engine' } });
    expect(v.Components[0].Name).toBe('Engine');
    expect(Number.isNaN(Date.parse(v.BuildTime))).toBe(false);
  });
  it('/info reports the host and the data root', async () => {
    const info = (await api(d.sock, 'GET', '/v1.50/info')).json();
    expect(info.DockerRootDir).toBe(d.dataRoot);
    expect(info.Images).toBe(0);
    expect(info.CgroupDriver).toBe('cgroupfs');
    expect(info.CgroupVersion).toBe(existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1');
    expect(info.NCPU).toBeGreaterThan(0);
    expect(info.MemTotal).toBeGreaterThan(0);
    expect(info.ID).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('guards', () => {
  it('a second daemon on the same data root is refused', async () => {
    const r = await dockling(undefined, ['daemon', '--data-root', d.dataRoot, '-H', `unix://${d.dir}/other.sock`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/another dockling daemon \(pid \d+\) is using this data root/);
  });
  it('a second daemon on the same socket is refused', async () => {
    const r = await dockling(undefined, ['daemon', '--data-root', `${d.dir}/root2`, '-H', d.host]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/another daemon is listening on/);
  });
  it('tcp:// without --tlsverify is refused, before the daemon touches its data root (test/remote has TLS)', async () => {
    const r = await dockling(undefined, ['daemon', '--data-root', `${d.dir}/root3`, '-H', 'tcp://0.0.0.0:2375']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to serve the API on tcp:\/\/0\.0\.0\.0:2375 without --tlsverify: anyone who can reach that address would be root on this machine/);
    expect(existsSync(`${d.dir}/root3`)).toBe(false);
  });
});
