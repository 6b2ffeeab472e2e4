// Chapter 2's container endpoints on a real daemon, in Docker Engine API shapes: create (201,
// 404 for an unknown image so `docker run` would pull, 409 for a name in use, 400 for a bad
// name), inspect, list, changes, the archive endpoints of `docker cp`, commit, export, delete,
// and `rmi` refusing an image a container uses. No mount may be left behind.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { extract, pack } from 'tar-stream';
import { Readable } from 'node:stream';
import { api, startDaemon, type RunningDaemon } from './harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the container API tests: they need root (real mounts)');

let d: RunningDaemon;
let id = '';
const v = (p: string) => `/v1.50${p}`;
const json = { 'Content-Type': 'application/json' };

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

async function tarEntries(buf: Buffer): Promise<Map<string, string>> {
  const x = extract();
  const out = new Map<string, string>();
  Readable.from([buf]).pipe(x);
  for await (const e of x) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name, e.header.type === 'symlink' ? `-> ${e.header.linkname}` : Buffer.concat(chunks).toString('utf8'));
  }
  return out;
}

async function tarOf(rows: Array<{ name: string; body?: string; type?: 'file' | 'symlink'; linkname?: string }>): Promise<Buffer> {
  const p = pack();
  for (const r of rows) p.entry({ name: r.name, type: r.type ?? 'file', linkname: r.linkname, mode: 0o644 }, r.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const create = (name: string, body: Record<string, unknown> = { Image: 'busybox', Cmd: ['sh'] }) =>
  api(d.sock, 'POST', v(`/containers/create${name ? `?name=${name}` : ''}`), { body: Buffer.from(JSON.stringify(body)), headers: json });

describe.skipIf(!isRoot)('container API', () => {
  beforeAll(async () => {
    d = await startDaemon();
    const r = await api(d.sock, 'POST', '/dockling/base-image');
    expect(r.status).toBe(201);
  });
  afterEach(() => {
    expect(mountsUnder(d.dir)).toEqual([]);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('POST /containers/create → 201 {Id, Warnings: []}', async () => {
    const r = await create('web');
    expect(r.status).toBe(201);
    expect(r.json()).toEqual({ Id: expect.stringMatching(/^[0-9a-f]{64}$/), Warnings: [] });
    id = r.json().Id;
  });

  it('create errors: unknown image 404, name in use 409, bad name 400, all application/json', async () => {
    const missing = await create('', { Image: 'alpine', Cmd: ['sh'] });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json');
    expect(missing.json()).toEqual({ message: 'No such image: alpine:latest' });
    const taken = await create('web');
    expect(taken.status).toBe(409);
    expect(taken.json().message).toBe(`Conflict. The container name "/web" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const bad = await create('-bad');
    expect(bad.status).toBe(400);
    expect(bad.json().message).toBe('Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  });

  it('GET /containers/{id}/json has Config, HostConfig and State; by name and prefix too', async () => {
    for (const ref of ['web', id, id.slice(0, 8)]) {
      const r = await api(d.sock, 'GET', v(`/containers/${ref}/json`));
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ Id: id, Name: '/web', Path: 'sh', Args: [], State: { Status: 'created', Running: false }, Config: { Image: 'busybox', Cmd: ['sh'], Hostname: id.slice(0, 12) }, HostConfig: {} });
    }
    const none = await api(d.sock, 'GET', v('/containers/nope/json'));
    expect(none.status).toBe(404);
    expect(none.json()).toEqual({ message: 'No such container: nope' });
  });

  it('GET /containers/json lists created containers only with all=1', async () => {
    expect((await api(d.sock, 'GET', v('/containers/json'))).json()).toEqual([]);
    const all = (await api(d.sock, 'GET', v('/containers/json?all=1'))).json();
    expect(all).toEqual([expect.objectContaining({ Id: id, Names: ['/web'], Image: 'busybox', Command: 'sh', State: 'created', Status: 'Created' })]);
  });

  it('PUT then HEAD/GET /containers/{id}/archive, and GET /changes', async () => {
    const put = await api(d.sock, 'PUT', v(`/containers/web/archive?path=/tmp&noOverwriteDirNonDir=1`), { body: await tarOf([{ name: 'hello.txt', body: 'hello\n' }]) });
    expect(put.status).toBe(200);
    const head = await api(d.sock, 'HEAD', v('/containers/web/archive?path=/tmp/hello.txt'));
    expect(head.status).toBe(200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString('utf8'));
    expect(stat).toMatchObject({ name: 'hello.txt', size: 6, mode: 0o644, linkTarget: '' });
    const get = await api(d.sock, 'GET', v('/containers/web/archive?path=/tmp/hello.txt'));
    expect(get.status).toBe(200);
    expect(await tarEntries(get.body)).toEqual(new Map([['hello.txt', 'hello\n']]));
    const changes = await api(d.sock, 'GET', v('/containers/web/changes'));
    expect(changes.json()).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/hello.txt', Kind: 1 }]);
  });

  it('archive errors: 404 with Docker\'s text, 400 for no path, a non-directory or a ../ tar', async () => {
    const missing = await api(d.sock, 'GET', v('/containers/web/archive?path=/nope'));
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ message: 'Could not find the file /nope in container web' });
    expect((await api(d.sock, 'HEAD', v('/containers/web/archive?path=/nope'))).status).toBe(404);
    expect((await api(d.sock, 'GET', v('/containers/web/archive'))).status).toBe(400);
    const notDir = await api(d.sock, 'PUT', v('/containers/web/archive?path=/tmp/hello.txt'), { body: await tarOf([{ name: 'x' }]) });
    expect(notDir.status).toBe(400);
    const climb = await api(d.sock, 'PUT', v('/containers/web/archive?path=/tmp'), { body: await tarOf([{ name: '../../../../../pwned-by-test', body: 'x' }]) });
    expect(climb.status).toBe(400);
    expect(climb.json().message).toContain('climbs out');
  });

  it('a symlink to / in the container stays in the container', async () => {
    await api(d.sock, 'PUT', v('/containers/web/archive?path=/'), { body: await tarOf([{ name: 'escape', type: 'symlink', linkname: '/' }]) });
    const get = await api(d.sock, 'GET', v('/containers/web/archive?path=/escape/tmp/hello.txt'));
    expect(await tarEntries(get.body)).toEqual(new Map([['hello.txt', 'hello\n']]));
    const head = await api(d.sock, 'HEAD', v('/containers/web/archive?path=/escape'));
    expect(JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString('utf8'))).toMatchObject({ name: 'escape', linkTarget: '/' });
  });

  it('POST /commit → 201 {Id}; the image has the new layer and the changes', async () => {
    const r = await api(d.sock, 'POST', v(`/commit?container=web&repo=docker.io%2Flibrary%2Fmycommit&tag=v1&author=&comment=&changes=${encodeURIComponent('LABEL a=b')}`), { body: Buffer.from(JSON.stringify({ Env: ['C=3'] })), headers: json });
    expect(r.status).toBe(201);
    const imageId = r.json().Id;
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspect = (await api(d.sock, 'GET', v('/images/mycommit:v1/json'))).json();
    expect(inspect).toMatchObject({ Id: imageId, RepoTags: ['mycommit:v1'], Config: { Env: ['C=3'], Labels: { a: 'b' }, Cmd: ['sh'] }, GraphDriver: { Name: expect.stringMatching(/^(overlay|copy)$/) } });
    const base = (await api(d.sock, 'GET', v('/images/busybox/json'))).json();
    expect(inspect.RootFS.Layers.length).toBe(base.RootFS.Layers.length + 1);
  });

  it('GET /containers/{id}/export → a tar of the merged root', async () => {
    const r = await api(d.sock, 'GET', v('/containers/web/export'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const names = await tarEntries(r.body);
    expect(names.get('tmp/hello.txt')).toBe('hello\n');
    expect(names.has('bin/')).toBe(true);
    expect(names.get('escape')).toBe('-> /');
  });

  it('info counts containers and names the snapshotter', async () => {
    const info = (await api(d.sock, 'GET', v('/info'))).json();
    expect(info).toMatchObject({ Containers: 1, ContainersRunning: 0, ContainersStopped: 1, Driver: expect.stringMatching(/^(overlay|copy)$/) });
  });

  it('rmi refuses the image while a container uses it', async () => {
    const r = await api(d.sock, 'DELETE', v('/images/busybox'));
    expect(r.status).toBe(409);
    expect(r.json().message).toMatch(/^conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}$/);
    expect(r.json().message).toContain(id.slice(0, 12));
  });

  it('DELETE /containers/{id} → 204, then 404', async () => {
    const r = await api(d.sock, 'DELETE', v('/containers/web'));
    expect(r.status).toBe(204);
    const again = await api(d.sock, 'DELETE', v('/containers/web'));
    expect(again.status).toBe(404);
    expect(again.json()).toEqual({ message: 'No such container: web' });
    expect((await api(d.sock, 'GET', v('/containers/json?all=1'))).json()).toEqual([]);
    expect((await api(d.sock, 'DELETE', v('/images/mycommit:v1'))).status).toBe(200);
  });
});
