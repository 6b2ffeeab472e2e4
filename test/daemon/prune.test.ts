// Garbage collection on a real daemon (issue 9): `POST /images/prune`, `POST /containers/prune`
// and `GET /system/df` in Docker's shapes, then dockling's `image prune`, `container prune`,
// `system prune` and `system df` verbs (and the real docker CLI's, when it is installed). What
// must hold throughout: what no image or container uses goes — images, their blobs, their
// snapshots, stray blobs — and nothing in use ever does.
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER, api, dockling, importTar, run, startDaemon, type RunningDaemon } from './harness.js';
import { bridgeArgs } from './host-leftovers.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the prune tests: creating containers mounts snapshots, which needs root');

let d: RunningDaemon;
const v = (p: string) => `/v1.50${p}`;
const post = (path: string, body?: unknown) =>
  api(d.sock, 'POST', v(path), body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });
const filters = (f: Record<string, Record<string, boolean>>) => encodeURIComponent(JSON.stringify(f));
const blobs = () => readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'));
/** `system check`'s problems (none when every image has its blobs and every container its snapshots). */
const problems = async () => (await api(d.sock, 'GET', '/dockling/system/check')).json().Problems as unknown[];
const blobPath = (digest: string) => join(d.dataRoot, 'content', 'blobs', 'sha256', digest.replace('sha256:', ''));

async function inspect(ref: string) {
  return (await api(d.sock, 'GET', v(`/images/${ref}/json`))).json() as { Id: string; RootFS: { Layers: string[] } };
}

async function create(image: string): Promise<string> {
  const r = await post('/containers/create', { Image: image, Cmd: ['true'] });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  return r.json().Id;
}

beforeAll(async () => {
  if (isRoot) d = await startDaemon({ args: bridgeArgs(112).args });
});
afterAll(async () => {
  await d?.stop();
});

describe.skipIf(!isRoot)('prune and df API', () => {
  it('image prune (dangling): only the image that lost its name goes, with its blobs; tagged ones stay', async () => {
    const old = await importTar(d.sock, 'gc/x:1', { 'old.txt': 'old\n' });
    await importTar(d.sock, 'gc/x:1', { 'new.txt': 'new\n' }); // takes the name: `old` is dangling now
    const kept = await importTar(d.sock, 'gc/kept:1', { 'kept.txt': 'kept\n' });
    const r = await post(`/images/prune?filters=${filters({ dangling: { true: true } })}`);
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toEqual({ ImagesDeleted: [{ Deleted: old }], SpaceReclaimed: expect.any(Number) });
    expect(body.SpaceReclaimed).toBeGreaterThan(0);
    expect(existsSync(blobPath(old))).toBe(false);
    expect(existsSync(blobPath(kept))).toBe(true);
    expect((await api(d.sock, 'GET', v('/images/gc/x:1/json'))).status).toBe(200);
  });

  it('system df: LayersSize, Images with SharedSize and Containers counts, Containers with SizeRw, Volumes, BuildCache', async () => {
    const id = await create('gc/kept:1');
    const r = await api(d.sock, 'GET', v('/system/df'));
    expect(r.status).toBe(200);
    const df = r.json();
    expect(df.LayersSize).toBeGreaterThan(0);
    expect(df.BuildCache).toEqual([]);
    const kept = df.Images.find((i: { RepoTags: string[] }) => i.RepoTags.includes('gc/kept:1'));
    expect(kept).toMatchObject({ Containers: 1, SharedSize: 0, Size: expect.any(Number) });
    expect(df.Containers.find((c: { Id: string }) => c.Id === id)).toMatchObject({ SizeRw: expect.any(Number), SizeRootFs: expect.any(Number), State: 'created' });
    expect(Array.isArray(df.Volumes)).toBe(true);
  });

  it('image prune -a (dangling=false): every image no container uses goes; the one a container stands on stays whole', async () => {
    const used = await inspect('gc/kept:1');
    await importTar(d.sock, 'gc/unused:1', { 'u.txt': 'u\n' });
    // A stray blob (a failed pull's leftover) is swept too.
    const stray = 'a'.repeat(64);
    await writeFile(join(d.dataRoot, 'content', 'blobs', 'sha256', stray), 'stray');
    const body = (await post(`/images/prune?filters=${filters({ dangling: { false: true } })}`)).json();
    expect(body.ImagesDeleted).toContainEqual({ Untagged: 'gc/unused:1' });
    expect(body.ImagesDeleted).not.toContainEqual({ Deleted: used.Id });
    expect(existsSync(blobPath(used.Id))).toBe(true);
    expect(await blobs()).not.toContain(stray);
    expect((await api(d.sock, 'GET', v('/images/json'))).json().map((i: { Id: string }) => i.Id)).toEqual([used.Id]);
    expect(await problems()).toEqual([]);
  });

  it('container prune: stopped containers go (label filter first), running and paused ones would stay', async () => {
    const labelled = (await post('/containers/create', { Image: 'gc/kept:1', Cmd: ['true'], Labels: { keep: 'yes' } })).json().Id;
    const r1 = (await post(`/containers/prune?filters=${filters({ 'label!': { keep: true } })}`)).json();
    expect(r1.ContainersDeleted).not.toContain(labelled);
    expect(r1.ContainersDeleted.length).toBeGreaterThan(0);
    const r2 = (await post('/containers/prune')).json();
    expect(r2).toEqual({ ContainersDeleted: [labelled], SpaceReclaimed: expect.any(Number) });
    expect((await api(d.sock, 'GET', v('/containers/json?all=1'))).json()).toEqual([]);
    // Now nothing uses gc/kept:1, and prune -a takes it and its snapshots.
    await post(`/images/prune?filters=${filters({ dangling: { false: true } })}`);
    expect((await api(d.sock, 'GET', v('/images/json'))).json()).toEqual([]);
    expect(await readdir(join(d.dataRoot, 'snapshots-root', 'snapshots')).catch(() => [])).toEqual([]);
  });

  it('a bad filter is a 400; until keeps what is newer', async () => {
    expect((await post('/images/prune?filters=notjson')).status).toBe(400);
    await importTar(d.sock, 'gc/new:1', { 'n.txt': 'n\n' });
    const r = (await post(`/images/prune?filters=${filters({ dangling: { false: true }, until: { '1h': true } })}`)).json();
    expect(r.ImagesDeleted).toEqual([]);
  });
});

describe.skipIf(!isRoot)('prune and df verbs', () => {
  it('image prune asks first; "n" keeps everything, -f goes ahead and prints Docker\'s lines', async () => {
    await importTar(d.sock, 'gc/cli:1', { 'c.txt': 'c\n' });
    const no = await dockling(d.host, ['image', 'prune', '-a'], { input: Buffer.from('n\n') });
    expect(no.code).toBe(0);
    expect(no.stdout).toContain('WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ');
    expect((await api(d.sock, 'GET', v('/images/gc/cli:1/json'))).status).toBe(200);
    const yes = await dockling(d.host, ['image', 'prune', '-a', '-f']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/^Deleted Images:\nuntagged: gc\/cli:1\n/);
    expect(yes.stdout).toMatch(/deleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: [\d.]+k?B\n$/);
  });

  it('system df prints the TYPE TOTAL ACTIVE SIZE RECLAIMABLE table; -v the per-kind tables', async () => {
    await importTar(d.sock, 'gc/df:1', { 'd.txt': 'd\n' });
    const id = await create('gc/df:1');
    const r = await dockling(d.host, ['system', 'df']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    expect(lines[1]).toMatch(/^Images\s+\d+\s+1\s+\S+\s+\S+/);
    expect(lines[2]).toMatch(/^Containers\s+1\s+0\s+/);
    expect(lines[3]).toMatch(/^Local Volumes\s+0\s+0\s+0B\s+0B$/);
    expect(lines[4]).toMatch(/^Build Cache\s+0\s+0\s+0B\s+0B$/);
    const verbose = await dockling(d.host, ['system', 'df', '-v']);
    expect(verbose.stdout).toContain('Images space usage:');
    expect(verbose.stdout).toContain(id.slice(0, 12));
  });

  it('system prune -a -f: containers, networks, images; then nothing is left to take', async () => {
    const r = await dockling(d.host, ['system', 'prune', '-a', '-f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\n/);
    expect(r.stdout).toContain('untagged: gc/df:1');
    expect(r.stdout).toMatch(/Total reclaimed space: \S+\n$/);
    const again = await dockling(d.host, ['container', 'prune', '-f']);
    expect(again.stdout).toBe('Total reclaimed space: 0B\n');
    const check = await dockling(d.host, ['system', 'check']);
    expect(check.code).toBe(0);
  });

  it.skipIf(!existsSync(DOCKER))('the real docker CLI: image prune -f, container prune -f, system df', async () => {
    await importTar(d.sock, 'gc/docker:1', { 'x.txt': 'x\n' });
    await importTar(d.sock, 'gc/docker:1', { 'y.txt': 'y\n' }); // one dangling image
    const env = { DOCKER_HOST: d.host, DOCKER_CONFIG: d.dir };
    const images = await run(DOCKER, ['image', 'prune', '-f'], { env });
    expect(images.code).toBe(0);
    expect(images.stdout).toMatch(/Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: /);
    const containers = await run(DOCKER, ['container', 'prune', '-f'], { env });
    expect(containers.code).toBe(0);
    expect(containers.stdout).toContain('Total reclaimed space: 0B');
    const df = await run(DOCKER, ['system', 'df'], { env });
    expect(df.code).toBe(0);
    expect(df.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+1\s+0\s+/);
  });
});
