// The daemon's HTTP surface against a real daemon process: the ping and the headers the docker
// CLI reads, API version negotiation, the exact error shape, /version and /info, and the
// guards around the data root and the socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { api, dockling, startDaemon, type RunningDaemon } from './harness.js';

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
  it('tcp:// is refused until TLS exists', async () => {
    const r = await dockling(undefined, ['daemon', '--data-root', `${d.dir}/root3`, '-H', 'tcp://0.0.0.0:2375']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/only unix:\/\/ sockets are supported for now; tcp:\/\/ comes later, with TLS/);
  });
});
