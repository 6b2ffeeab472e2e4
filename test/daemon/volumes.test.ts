// Chapter 3's volume endpoints on a real daemon, in Docker Engine API shapes — create (201),
// list ({Volumes, Warnings: null}), inspect, remove (204; 404 `get <name>: no such volume`;
// 409 while a container uses it), prune — then driven by the real docker CLI and by dockling's
// own `volume` verbs, and `create -v` making and holding a named volume.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER, api, dockling, run, startDaemon, type RunningDaemon } from './harness.js';

let d: RunningDaemon;
const v = (p: string) => `/v1.50${p}`;
const json = { 'Content-Type': 'application/json' };
const post = (path: string, body: unknown) => api(d.sock, 'POST', v(path), { body: Buffer.from(JSON.stringify(body)), headers: json });
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
});

describe('volume API', () => {
  it('POST /volumes/create → 201 with Docker\'s shape; creating it again returns the same volume', async () => {
    const r = await post('/volumes/create', { Driver: 'local', Name: 'api1', Labels: { team: 'a' } });
    expect(r.status).toBe(201);
    const vol = r.json();
    expect(vol).toEqual({
      Name: 'api1', Driver: 'local', Mountpoint: join(d.dataRoot, 'volumes', 'api1', '_data'), CreatedAt: expect.any(String),
      Labels: { team: 'a' }, Options: {}, Scope: 'local',
    });
    expect(existsSync(vol.Mountpoint)).toBe(true);
    expect((await post('/volumes/create', { Driver: 'local', Name: 'api1' })).json()).toEqual(vol);
  });

  it('an empty name gives an anonymous 64-hex volume; a bad name is 400, another driver 404', async () => {
    const anon = (await post('/volumes/create', {})).json();
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect((await api(d.sock, 'DELETE', v(`/volumes/${anon.Name}`))).status).toBe(204);
    const bad = await post('/volumes/create', { Name: 'a' });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toContain('includes invalid characters for a local volume name');
    expect((await post('/volumes/create', { Name: 'x1', Driver: 'nfs' })).status).toBe(404);
  });

  it('GET /volumes lists {Volumes, Warnings: null}; GET /volumes/{name} inspects; 404 for a missing one', async () => {
    const list = (await api(d.sock, 'GET', v('/volumes'))).json();
    expect(list.Warnings).toBeNull();
    expect(list.Volumes.map((x: { Name: string }) => x.Name)).toContain('api1');
    const filtered = (await api(d.sock, 'GET', v(`/volumes?filters=${encodeURIComponent(JSON.stringify({ name: { nothing: true } }))}`))).json();
    expect(filtered.Volumes).toEqual([]);
    expect((await api(d.sock, 'GET', v('/volumes/api1'))).json().Name).toBe('api1');
    const missing = await api(d.sock, 'GET', v('/volumes/nope'));
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ message: 'get nope: no such volume' });
  });

  it('DELETE /volumes/{name} → 204, then 404; with force=1 a missing volume is 204', async () => {
    await post('/volumes/create', { Name: 'gone' });
    expect((await api(d.sock, 'DELETE', v('/volumes/gone'))).status).toBe(204);
    const again = await api(d.sock, 'DELETE', v('/volumes/gone'));
    expect(again.status).toBe(404);
    expect(again.json().message).toBe('get gone: no such volume');
    expect((await api(d.sock, 'DELETE', v('/volumes/gone?force=1'))).status).toBe(204);
  });

  it('POST /volumes/prune removes unused anonymous volumes (all=true: named ones too)', async () => {
    const anon = (await post('/volumes/create', { Labels: { 'com.docker.volume.anonymous': '' } })).json().Name;
    const r = (await api(d.sock, 'POST', v('/volumes/prune'))).json();
    expect(r.VolumesDeleted).toEqual([anon]);
    expect(r.SpaceReclaimed).toBe(0);
  });
});

describe.skipIf(!isRoot)('volumes and containers', () => {
  beforeAll(async () => {
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });

  it('create -v name:/data makes the volume and holds it: DELETE is 409 until the container is removed', async () => {
    const c = await post('/containers/create?name=holder', { Image: 'busybox', Cmd: ['sh'], HostConfig: { Binds: ['held:/data'] } });
    expect(c.status).toBe(201);
    const id = c.json().Id;
    const refused = await api(d.sock, 'DELETE', v('/volumes/held'));
    expect(refused.status).toBe(409);
    expect(refused.json().message).toBe(`remove held: volume is in use - [${id}]`);
    expect((await api(d.sock, 'DELETE', v('/volumes/held?force=1'))).status).toBe(409);
    expect((await api(d.sock, 'DELETE', v(`/containers/${id}`))).status).toBe(204);
    expect((await api(d.sock, 'DELETE', v('/volumes/held'))).status).toBe(204);
  });

  it('create refuses a bad -v with 400 and makes no container', async () => {
    for (const bind of ['rel/path:/x', '/host:relative', 'v1:/']) {
      const r = await post('/containers/create?name=badv', { Image: 'busybox', Cmd: ['sh'], HostConfig: { Binds: [bind] } });
      expect(r.status).toBe(400);
    }
    expect((await api(d.sock, 'GET', v('/containers/badv/json'))).status).toBe(404);
  });
});

describe.skipIf(!existsSync(DOCKER))('the docker CLI', () => {
  const docker = (...args: string[]) => run(DOCKER, args, { env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });

  it('volume create, ls, inspect, rm', async () => {
    const created = await docker('volume', 'create', 'v1');
    expect(created).toMatchObject({ code: 0, stdout: 'v1\n', stderr: '' });
    const ls = await docker('volume', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(ls.stdout).toMatch(/^local\s+v1$/m);
    const q = await docker('volume', 'ls', '-q');
    expect(q.stdout.split('\n')).toContain('v1');
    const inspect = await docker('volume', 'inspect', 'v1');
    expect(inspect.code).toBe(0);
    const [info] = JSON.parse(inspect.stdout);
    expect(info).toMatchObject({ Name: 'v1', Driver: 'local', Scope: 'local', Mountpoint: join(d.dataRoot, 'volumes', 'v1', '_data') });
    expect((await docker('volume', 'inspect', '-f', '{{.Mountpoint}}', 'v1')).stdout).toBe(`${info.Mountpoint}\n`);
    expect(await docker('volume', 'rm', 'v1')).toMatchObject({ code: 0, stdout: 'v1\n' });
    const gone = await docker('volume', 'inspect', 'v1');
    expect(gone.code).toBe(1);
    const rmMissing = await docker('volume', 'rm', 'v1');
    expect(rmMissing.code).toBe(1);
    expect(rmMissing.stderr).toContain('get v1: no such volume');
  });
});

describe('dockling volume', () => {
  it('create, ls (-q, --format), inspect, rm', async () => {
    expect(await dockling(d.host, ['volume', 'create', 'dv1'])).toMatchObject({ code: 0, stdout: 'dv1\n' });
    const ls = await dockling(d.host, ['volume', 'ls']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(ls.stdout).toMatch(/^local\s+dv1$/m);
    expect((await dockling(d.host, ['volume', 'ls', '-q'])).stdout.split('\n')).toContain('dv1');
    expect((await dockling(d.host, ['volume', 'ls', '--format', '{{.Name}} {{.Scope}}'])).stdout.split('\n')).toContain('dv1 local');
    const [info] = JSON.parse((await dockling(d.host, ['volume', 'inspect', 'dv1'])).stdout);
    expect(info).toMatchObject({ Name: 'dv1', Driver: 'local' });
    const missing = await dockling(d.host, ['volume', 'inspect', 'nope']);
    expect(missing).toMatchObject({ code: 1, stdout: '[]\n', stderr: 'Error: No such volume: nope\n' });
    expect(await dockling(d.host, ['volume', 'rm', 'dv1'])).toMatchObject({ code: 0, stdout: 'dv1\n' });
    const rm = await dockling(d.host, ['volume', 'rm', 'dv1']);
    expect(rm).toMatchObject({ code: 1, stderr: 'Error response from daemon: get dv1: no such volume\n' });
  });
});
