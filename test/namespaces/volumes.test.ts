// Volumes and filesystem options (chapter 3). The VolumeStore on its own (Docker's shapes,
// idempotent create, names, in-use refusal, release, prune), then on the real kernel through
// runContainer: a bind shows host files, `:ro` refuses writes, a named volume outlives its
// container, --tmpfs is a tmpfs, --read-only leaves only the mounts writable — and nothing is
// left in the host's mount table. The kernel part needs root and the init helper.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore, ImageStore, makeBaseImage, unpackLayer, type ImageConfig } from '../../engine/layers/index.js';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { findInitHelper, resolveUser, runContainer, specFromContainer, writeBundle } from '../../engine/namespaces/index.js';
import { ANONYMOUS_LABEL, VolumeStore, anonymousVolumeName } from '../../engine/namespaces/volumes.js';
import { mountsFor } from '../../engine/namespaces/container-mounts.js';
import type { FilesystemHostConfig } from '../../engine/namespaces/mount-options.js';
import type { EngineError } from '../../engine/base/index.js';
import { tempDir } from '../tmp.js';

const codeOf = (p: Promise<unknown>) => p.then(() => undefined, (err: EngineError) => err.code);
const ID = 'c'.repeat(64);

describe('VolumeStore', () => {
  it("creates Docker's shape under <root>/<name>/_data, idempotently, and lists and inspects it", async () => {
    const root = await tempDir('dockling-vol-');
    const store = new VolumeStore(root);
    const v = await store.create({ name: 'v1', labels: { a: 'b' } });
    expect(v).toEqual({ Name: 'v1', Driver: 'local', Mountpoint: join(root, 'v1', '_data'), CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), Labels: { a: 'b' }, Options: {}, Scope: 'local' });
    expect(existsSync(v.Mountpoint)).toBe(true);
    expect(await store.create({ name: 'v1' })).toEqual(v);
    expect(await store.inspect('v1')).toEqual(v);
    const anon = await store.create();
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect((await store.list()).map((x) => x.Name).sort()).toEqual([anon.Name, 'v1'].sort());
  });

  it('refuses bad names and unknown volumes by code', async () => {
    const store = new VolumeStore(await tempDir('dockling-vol-'));
    for (const name of ['a', '../x', 'a/b', '-x', '.x']) expect(await codeOf(store.create({ name }))).toBe('INVALID_VOLUME_NAME');
    expect(await codeOf(store.inspect('nope'))).toBe('VOLUME_NOT_FOUND');
    expect(await codeOf(store.remove('nope'))).toBe('VOLUME_NOT_FOUND');
    await store.remove('nope', { force: true }); // force: a missing volume is not an error
    expect(await codeOf(store.create({ name: 'v1', options: { type: 'nfs' } }))).toBe('VOLUME_OPTIONS_UNSUPPORTED');
  });

  it('refuses to remove a volume in use, even with force, until the container is released', async () => {
    const store = new VolumeStore(await tempDir('dockling-vol-'));
    await store.create({ name: 'v1' });
    await store.use('v1', ID);
    await store.use('v1', ID);
    expect(await store.users('v1')).toEqual([ID]);
    const err = await store.remove('v1').catch((e: EngineError) => e);
    expect((err as EngineError).code).toBe('VOLUME_IN_USE');
    expect((err as EngineError).message).toBe(`remove v1: volume is in use - [${ID}]`);
    expect(await codeOf(store.remove('v1', { force: true }))).toBe('VOLUME_IN_USE');
    expect(await store.release({ containerId: ID })).toEqual([]);
    await store.remove('v1');
    expect(await store.list()).toEqual([]);
  });

  it('release with removeAnonymous (rm -v) drops anonymous volumes only; prune takes unused anonymous ones, or all', async () => {
    const store = new VolumeStore(await tempDir('dockling-vol-'));
    const anon = anonymousVolumeName(ID, '/data');
    await store.create({ name: anon, labels: { [ANONYMOUS_LABEL]: '' } });
    await store.create({ name: 'named' });
    await store.use(anon, ID);
    await store.use('named', ID);
    expect(await store.release({ containerId: ID, removeAnonymous: true })).toEqual([anon]);
    expect((await store.list()).map((v) => v.Name)).toEqual(['named']);
    await store.create({ name: 'other', labels: { [ANONYMOUS_LABEL]: '' } });
    expect(await store.prune()).toEqual({ VolumesDeleted: ['other'], SpaceReclaimed: 0 });
    expect(await store.prune({ all: true })).toEqual({ VolumesDeleted: ['named'], SpaceReclaimed: 0 });
  });
});

describe('mountsFor', () => {
  it('creates named and anonymous volumes (the same ones on every call), makes -v host dirs, refuses a missing --mount source', async () => {
    const dir = await tempDir('dockling-vol-');
    const volumes = new VolumeStore(join(dir, 'volumes'));
    const hostConfig: FilesystemHostConfig = { Binds: [`${dir}/made/by/v:/h`, 'named:/n:ro'], Tmpfs: { '/run': 'size=1m' } };
    const first = await mountsFor({ containerId: ID, hostConfig, imageVolumes: { '/data': {} }, volumes });
    const again = await mountsFor({ containerId: ID, hostConfig, imageVolumes: { '/data': {} }, volumes });
    expect(again).toEqual(first);
    const anon = anonymousVolumeName(ID, '/data');
    expect(first).toEqual([
      { destination: '/h', type: 'bind', source: `${dir}/made/by/v`, options: ['rbind', 'rprivate'] },
      { destination: '/n', type: 'bind', source: join(dir, 'volumes', 'named', '_data'), options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=1m'] },
      { destination: '/data', type: 'bind', source: join(dir, 'volumes', anon, '_data'), options: ['rbind', 'rprivate'] },
    ]);
    expect(existsSync(`${dir}/made/by/v`)).toBe(true);
    expect(await volumes.users('named')).toEqual([ID]);
    expect((await volumes.inspect(anon)).Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    const missing = mountsFor({ containerId: ID, hostConfig: { Mounts: [{ Type: 'bind', Source: `${dir}/missing`, Target: '/x' }] }, volumes });
    expect(await codeOf(missing)).toBe('BIND_SOURCE_MISSING');
    expect(existsSync(`${dir}/missing`)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// On the real kernel.

const isRoot = process.getuid?.() === 0;
const helper = (() => {
  try {
    return findInitHelper();
  } catch {
    return undefined;
  }
})();
const skip = !isRoot || !helper;
if (skip) console.warn('skipping the kernel part: needs root and the init helper (npm run build)');

let dir = '';
let rootfs = '';
let image: ImageConfig;
let volumes: VolumeStore;
let n = 0;

beforeAll(async () => {
  if (skip) return;
  dir = await tempDir('dockling-vols-');
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(dir, 'content'), tracer });
  await content.init();
  const base = await makeBaseImage({ store: new ImageStore({ content, tracer }), tmpRoot: join(dir, 'tmp') });
  image = base.config;
  rootfs = join(dir, 'rootfs');
  await mkdir(rootfs);
  for (const layer of base.layers) await unpackLayer({ source: content.createReadStream(layer.digest), target: rootfs });
  volumes = new VolumeStore(join(dir, 'volumes'));
});

afterEach(() => {
  if (!dir) return;
  const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
  expect(left).toEqual([]);
});

function record(id: string, cmd: string[], hostConfig: FilesystemHostConfig): ContainerRecord {
  return {
    Id: id, Created: new Date().toISOString(), Path: cmd[0]!, Args: cmd.slice(1),
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Image: 'sha256:0', Name: `/v${n}`, Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: 'box', Domainname: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Image: 'busybox', Env: image.config?.Env ?? [], Cmd: cmd },
    HostConfig: { ...hostConfig }, SnapshotKey: id,
  };
}

/** Runs `sh -c script` in a container with these filesystem options; stdout, stderr and the code. */
async function runWith(script: string, hostConfig: FilesystemHostConfig): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const id = `${(++n).toString(16).padStart(4, '0')}${'cd'.repeat(30)}`;
  const bundle = join(dir, `bundle-${n}`);
  await mkdir(bundle);
  const mounts = await mountsFor({ containerId: id, hostConfig, volumes });
  const spec = specFromContainer({ record: record(id, ['sh', '-c', script], hostConfig), image, rootfs, user: await resolveUser({ rootfs }), mounts });
  await writeBundle({ dir: bundle, spec, resolvConf: 'nameserver 192.0.2.53\n' });
  const c = runContainer({ bundle, spec, initPath: helper!, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  c.child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const { code } = await c.exit;
  await new Promise((r) => setImmediate(r));
  await volumes.release({ containerId: id });
  return { code, stdout, stderr };
}

describe.skipIf(skip)('filesystem options in a running container', () => {
  it('a bind mount shows host files, and the container writes back to the host', async () => {
    const host = join(dir, 'host-share');
    await mkdir(host);
    await writeFile(join(host, 'hello.txt'), 'from the host\n');
    const r = await runWith('cat /share/hello.txt && echo back > /share/reply.txt', { Binds: [`${host}:/share`] });
    expect(r).toMatchObject({ code: 0, stdout: 'from the host\n' });
    expect(await readFile(join(host, 'reply.txt'), 'utf8')).toBe('back\n');
  });

  it(':ro makes writes fail (EROFS) while reads work', async () => {
    const host = join(dir, 'host-ro');
    await mkdir(host);
    await writeFile(join(host, 'f'), 'x\n');
    const r = await runWith('cat /ro/f; touch /ro/new 2>&1 && echo wrote || echo refused', { Binds: [`${host}:/ro:ro`] });
    expect(r.stdout).toMatch(/^x\n.*Read-only file system\nrefused\n$/s);
    expect(existsSync(join(host, 'new'))).toBe(false);
  });

  it("a named volume's data survives from one container to the next", async () => {
    const first = await runWith('echo kept > /data/file', { Binds: ['keep:/data'] });
    expect(first.code).toBe(0);
    const second = await runWith('cat /data/file', { Binds: ['keep:/data'] });
    expect(second).toMatchObject({ code: 0, stdout: 'kept\n' });
    expect(await readFile(join((await volumes.inspect('keep')).Mountpoint, 'file'), 'utf8')).toBe('kept\n');
  });

  it('--tmpfs is a tmpfs with its options, and --read-only refuses the root but not the mounts', async () => {
    const volume = join(dir, 'host-rw');
    await mkdir(volume);
    const r = await runWith(
      'grep " /run " /proc/mounts; touch /x 2>/dev/null && echo root=rw || echo root=ro; touch /run/y && echo run=rw; touch /rw/z && echo bind=rw',
      { Tmpfs: { '/run': 'size=64m' }, ReadonlyRootfs: true, Binds: [`${volume}:/rw`] },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k/);
    expect(r.stdout).toContain('root=ro\nrun=rw\nbind=rw\n');
  });
});
