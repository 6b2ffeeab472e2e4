// Containers as filesystem objects (chapter 2), run for each snapshotter: create on a two-layer
// image, write through the mounted root, then diff, commit (the new image's tree equals the
// container's merged tree), export (likewise), cp both ways with hostile symlinks and tars, rm.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { unpackLayer, type Image } from '../../engine/layers/index.js';
import { createSnapshotter, overlaySupported, withMounted, type Snapshotter } from '../../engine/unionfs/index.js';
import { ContainerFs } from '../../engine/unionfs/container-fs.js';
import { applyImage, cleanupEnv, leftoverMounts, listing, makeEnv, skipUnless, type Env } from './helpers.js';

const skip = skipUnless({ root: true });
const overlayOk = !skip && (await overlaySupported({ tmpRoot: tmpdir() }));
if (!skip && !overlayOk) console.warn('skipping the overlay variant: this kernel cannot mount overlay here');

/** A tar made in memory from [name, kind, body] rows. */
async function tarOf(rows: Array<{ name: string; type?: 'file' | 'directory' | 'symlink'; body?: string; linkname?: string }>): Promise<Buffer> {
  const p = pack();
  for (const r of rows) p.entry({ name: r.name, type: r.type ?? 'file', mode: r.type === 'directory' ? 0o755 : 0o644, linkname: r.linkname, mtime: new Date(0) }, r.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect(fn: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fn(out);
  return Buffer.concat(chunks);
}

for (const driver of ['overlay', 'copy'] as const) {
  describe.skipIf(skip || (driver === 'overlay' && !overlayOk))(`containers on the ${driver} snapshotter`, () => {
    let env: Env;
    let snapshotter: Snapshotter;
    let fs: ContainerFs;
    let image: Image;
    let host: string; // a directory outside every root: nothing may ever be written here

    beforeAll(async () => {
      env = await makeEnv();
      host = await mkdtemp(join(tmpdir(), 'dkl-host-'));
      writeFileSync(join(host, 'secret'), 'host secret\n');
      const base = await env.layer({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'etc/group': 'root:x:0:\n', 'tmp': null, 'bin/sh': '#!fake\n', 'old/a': 'a\n', 'old/b': 'b\n' });
      const top = await env.layer({ 'etc/motd': 'hello\n', 'old/.wh.b': '' });
      image = await env.image([base, top], 'ctest:1');
      await env.images.addImage({ config: { ...image.config, config: { Cmd: ['sh'], Env: ['PATH=/bin'] } }, layers: image.layers, names: ['ctest:1'] });
      image = await env.images.resolve('ctest:1');
      snapshotter = await createSnapshotter({ root: env.dir('snapshots-root'), tracer: env.tracer, driver });
      mkdirSync(env.dir('tmp'));
      fs = new ContainerFs({ root: env.dir('containers'), snapshotter, images: env.images, content: env.content, tracer: env.tracer, tmpRoot: env.dir('tmp') });
    });
    afterEach(() => {
      expect(leftoverMounts(env.root)).toEqual([]);
    });
    afterAll(async () => {
      rmSync(host, { recursive: true, force: true });
      await cleanupEnv(env);
    });

    const mounted = <T>(id: string, fn: (root: string) => Promise<T>) =>
      fs.get(id).then(async (c) => withMounted({ plan: await snapshotter.mounts(c.SnapshotKey), tmpRoot: env.dir('tmp') }, fn));

    it('create merges the image config and records the container', async () => {
      const c = await fs.create({ name: 'first', request: { Image: 'ctest:1', Env: ['A=1'], Labels: { x: 'y' } } });
      expect(c.Id).toMatch(/^[0-9a-f]{64}$/);
      expect(c).toMatchObject({ Name: '/first', Path: 'sh', Args: [], Image: image.id, Driver: driver, State: { Status: 'created', Running: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z' } });
      expect(c.Config).toMatchObject({ Image: 'ctest:1', Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Hostname: c.Id.slice(0, 12), Labels: { x: 'y' } });
      expect((await fs.get('first')).Id).toBe(c.Id);
      expect((await fs.get(c.Id.slice(0, 10))).Id).toBe(c.Id);
      expect(await fs.usersOf(image.id)).toContain(c.Id);
    });

    it('refuses a name in use (CONTAINER_NAME_IN_USE), a bad name, an unknown image, no command', async () => {
      await expect(fs.create({ name: 'first', request: { Image: 'ctest:1' } })).rejects.toMatchObject({ code: 'CONTAINER_NAME_IN_USE', kind: 'conflict' });
      await expect(fs.create({ name: 'x', request: { Image: 'ctest:1' } })).rejects.toMatchObject({ code: 'INVALID_CONTAINER_NAME' });
      await expect(fs.create({ name: 'a/b', request: { Image: 'ctest:1' } })).rejects.toMatchObject({ code: 'INVALID_CONTAINER_NAME' });
      await expect(fs.create({ request: { Image: 'nosuch' } })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', message: 'No such image: nosuch:latest' });
      await expect(fs.create({ request: { Image: 'ctest:1', Entrypoint: [], Cmd: [] } })).resolves.toBeTruthy();
    });

    it('a fresh container shows no changes; writes show as A/C/D', async () => {
      expect(await fs.diff('first')).toEqual([]);
      await mounted('first', async (root) => {
        writeFileSync(join(root, 'tmp/new.txt'), 'new\n');
        writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n');
        unlinkSync(join(root, 'etc/group'));
        mkdirSync(join(root, 'data/sub'), { recursive: true });
        writeFileSync(join(root, 'data/sub/f'), 'f\n');
        symlinkSync('/etc/passwd', join(root, 'ln'));
      });
      const diff = await fs.diff('first');
      for (const want of [
        { Path: '/tmp', Kind: 0 }, { Path: '/tmp/new.txt', Kind: 1 }, { Path: '/etc', Kind: 0 }, { Path: '/etc/passwd', Kind: 0 },
        { Path: '/etc/group', Kind: 2 }, { Path: '/data', Kind: 1 }, { Path: '/data/sub', Kind: 1 }, { Path: '/data/sub/f', Kind: 1 }, { Path: '/ln', Kind: 1 },
      ]) expect(diff).toContainEqual(want);
      expect(diff.map((d) => d.Path)).toEqual([...diff.map((d) => d.Path)].sort());
    });

    it('commit: the new image, applied layer by layer, equals the merged root less the init layer', async () => {
      const committed = await fs.commit({ container: 'first', repo: 'committed', tag: 'v1', author: 'me', comment: 'snap', changes: ['ENV B=2', 'CMD ["echo","hi"]'] });
      expect(committed.names).toEqual(['docker.io/library/committed:v1']);
      expect(committed.layers.length).toBe(image.layers.length + 1);
      expect(committed.config.rootfs.diff_ids.slice(0, -1)).toEqual(image.config.rootfs.diff_ids);
      expect(committed.config.config).toMatchObject({ Cmd: ['echo', 'hi'], Env: ['PATH=/bin', 'A=1', 'B=2'] });
      expect(committed.config.history!.at(-1)).toMatchObject({ created_by: 'sh', author: 'me', comment: 'snap' });
      const applied = env.dir(`applied-${driver}`);
      await applyImage(env, committed, applied);
      const merged = await mounted('first', async (root) => listing(root));
      // The runtime's mount points the image lacked are the init layer's, not the container's: not committed.
      const initOnly = ['dev/', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'proc/', 'sys/'];
      const isInit = (l: string) => initOnly.includes(l.split(' ')[0]!);
      expect(merged.filter(isInit).map((l) => l.split(' ')[0])).toEqual(initOnly);
      expect(listing(applied)).toEqual(merged.filter((l) => !isInit(l)));
      expect(merged.some((l) => l.startsWith('etc/group'))).toBe(false);
      await expect(fs.commit({ container: 'first', changes: ['RUN rm -rf /'] })).rejects.toMatchObject({ code: 'INVALID_CHANGE' });
    });

    it('commit of an unchanged container adds an empty history step, no layer', async () => {
      await fs.create({ name: 'blank', request: { Image: 'ctest:1' } });
      const img = await fs.commit({ container: 'blank' });
      expect(img.layers.length).toBe(image.layers.length);
      expect(img.config.history!.at(-1)).toMatchObject({ empty_layer: true });
      expect(img.names).toEqual([]);
    });

    it('export is the merged root as one tar', async () => {
      const tar = await collect((out) => fs.export({ container: 'first', out }));
      const target = env.dir(`exported-${driver}`);
      mkdirSync(target);
      await unpackLayer({ source: Readable.from([tar]), target });
      expect(listing(target)).toEqual(await mounted('first', async (root) => listing(root)));
    });

    it('cp out: a file, a directory, its contents, with the stat header fields', async () => {
      let stat: unknown;
      const tar = await collect((out) => fs.archive({ container: 'first', path: '/etc/passwd', out, onStat: (s) => (stat = s) }));
      expect(stat).toMatchObject({ name: 'passwd', mode: 0o644, linkTarget: '' });
      const dir = env.dir(`cpout-${driver}`);
      mkdirSync(dir);
      await unpackLayer({ source: Readable.from([tar]), target: dir });
      expect(readFileSync(join(dir, 'passwd'), 'utf8')).toContain('bob:x:1000');
      const st = await fs.statPath({ container: 'first', path: '/data' });
      expect(st.mode).toBe(2 ** 31 + 0o755); // Go's os.ModeDir | 0755
      const dtar = await collect((out) => fs.archive({ container: 'first', path: '/data', out, onStat: () => {} }));
      await unpackLayer({ source: Readable.from([dtar]), target: dir });
      expect(readFileSync(join(dir, 'data/sub/f'), 'utf8')).toBe('f\n');
      const ln = await fs.statPath({ container: 'first', path: '/ln' });
      expect(ln).toMatchObject({ name: 'ln', linkTarget: '/etc/passwd' });
      expect(ln.mode & 2 ** 27).toBeTruthy(); // os.ModeSymlink
      await expect(fs.statPath({ container: 'first', path: '/nope' })).rejects.toMatchObject({ code: 'CP_PATH_NOT_FOUND', message: 'Could not find the file /nope in container first' });
      await expect(fs.statPath({ container: 'first', path: '/etc/passwd/' })).rejects.toMatchObject({ code: 'CP_NOT_A_DIRECTORY' });
    });

    it('two cp/export of one container at once both work (issue 9: the second mount failed with EBUSY, a 500)', async () => {
      const stats = await Promise.all([1, 2, 3].map(() => fs.statPath({ container: 'first', path: '/etc/passwd' })));
      expect(stats.map((st) => st.name)).toEqual(['passwd', 'passwd', 'passwd']);
      const [a, b] = await Promise.all([1, 2].map(() => collect((out) => fs.archive({ container: 'first', path: '/data', out, onStat: () => {} }))));
      expect(a!.length).toBeGreaterThan(0);
      expect(b!.equals(a!)).toBe(true);
    });

    it('cp in: a tar lands in the named directory, through the union', async () => {
      await fs.extract({ container: 'first', path: '/tmp', input: Readable.from([await tarOf([{ name: 'in.txt', body: 'in\n' }, { name: 'd/', type: 'directory' }, { name: 'd/x', body: 'x\n' }])]), noOverwriteDirNonDir: true });
      const diff = await fs.diff('first');
      expect(diff).toContainEqual({ Path: '/tmp/in.txt', Kind: 1 });
      expect(diff).toContainEqual({ Path: '/tmp/d/x', Kind: 1 });
      await expect(fs.extract({ container: 'first', path: '/etc/passwd', input: Readable.from([await tarOf([{ name: 'a' }])]), noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'CP_NOT_A_DIRECTORY' });
      await expect(fs.extract({ container: 'first', path: '/nowhere', input: Readable.from([await tarOf([{ name: 'a' }])]), noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'CP_PATH_NOT_FOUND' });
      // noOverwriteDirNonDir: a file over the directory /tmp/d is refused, and nothing is written
      await expect(fs.extract({ container: 'first', path: '/tmp', input: Readable.from([await tarOf([{ name: 'zz', body: 'z' }, { name: 'd', body: 'not a dir' }])]), noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'CP_OVERWRITE_KIND' });
      expect(await fs.diff('first')).not.toContainEqual({ Path: '/tmp/zz', Kind: 1 });
    });

    describe('hostile paths never leave the container root', () => {
      beforeAll(async () => {
        await mounted('first', async (root) => {
          symlinkSync('/', join(root, 'escape'));
          symlinkSync('../../../../../../../..', join(root, 'tmp/climb'));
          symlinkSync(host, join(root, 'hostdir'));
          symlinkSync('../../..', join(root, 'etc/mid'));
          writeFileSync(join(root, 'marker'), 'inside\n');
        });
      });

      const readOut = async (path: string) => {
        const dir = await mkdtemp(join(env.root, 'read-'));
        await unpackLayer({ source: Readable.from([await collect((out) => fs.archive({ container: 'first', path, out, onStat: () => {} }))]), target: dir });
        return dir;
      };

      it('a symlink to / resolves to the container root', async () => {
        expect(readFileSync(join(await readOut('/escape/marker'), 'marker'), 'utf8')).toBe('inside\n');
        expect(readFileSync(join(await readOut('/escape/etc/passwd'), 'passwd'), 'utf8')).toContain('bob:x:1000');
      });

      it('relative climbs stop at the root, also in the middle of a path', async () => {
        expect(readFileSync(join(await readOut('/tmp/climb/marker'), 'marker'), 'utf8')).toBe('inside\n');
        expect(readFileSync(join(await readOut('/etc/mid/etc/mid/marker'), 'marker'), 'utf8')).toBe('inside\n');
      });

      it('an absolute link to a host directory means that path inside the container (missing → 404)', async () => {
        await expect(fs.statPath({ container: 'first', path: `/hostdir/secret` })).rejects.toMatchObject({ code: 'CP_PATH_NOT_FOUND' });
        await expect(fs.extract({ container: 'first', path: '/hostdir', input: Readable.from([await tarOf([{ name: 'pwned', body: 'x' }])]), noOverwriteDirNonDir: false })).rejects.toMatchObject({ code: 'CP_PATH_NOT_FOUND' });
        expect(existsSync(join(host, 'pwned'))).toBe(false);
      });

      it('cp in through a symlink to / writes into the container root, not the host', async () => {
        const name = `dkl-cp-probe-${process.pid}-${driver}`;
        await fs.extract({ container: 'first', path: '/escape/tmp', input: Readable.from([await tarOf([{ name, body: 'probe' }])]), noOverwriteDirNonDir: true });
        expect(existsSync(join('/tmp', name))).toBe(false);
        expect(await fs.diff('first')).toContainEqual({ Path: `/tmp/${name}`, Kind: 1 });
      });

      const refused: Array<[string, Array<{ name: string; type?: 'file' | 'directory' | 'symlink'; body?: string; linkname?: string }>, string]> = [
        ['a ../ entry', [{ name: '../../../../pwned', body: 'x' }], 'LAYER_PATH_TRAVERSAL'],
        ['an absolute entry', [{ name: '/pwned', body: 'x' }], 'LAYER_ABSOLUTE_PATH'],
        ['an entry through a symlink already in the container', [{ name: 'climb/pwned', body: 'x' }], 'LAYER_PATH_THROUGH_SYMLINK'],
        ['a symlink entry then a file through it', [{ name: 'door', type: 'symlink', linkname: '/' }, { name: 'door/pwned', body: 'x' }], 'LAYER_PATH_THROUGH_SYMLINK'],
      ];
      for (const [what, rows, code] of refused) {
        it(`cp in refuses ${what} (${code})`, async () => {
          await expect(fs.extract({ container: 'first', path: '/tmp', input: Readable.from([await tarOf(rows)]), noOverwriteDirNonDir: false })).rejects.toMatchObject({ code });
          expect(existsSync('/pwned')).toBe(false);
          expect(existsSync(join(host, 'pwned'))).toBe(false);
        });
      }
    });

    it('rm removes the read-write snapshot and the record; the image layers stay', async () => {
      const c = await fs.get('first');
      const plan = await snapshotter.mounts(c.SnapshotKey);
      const upper = plan.upper && !isAbsolute(plan.upper) && plan.cwd ? join(plan.cwd, plan.upper) : plan.upper;
      expect(upper && existsSync(upper)).toBe(true);
      await fs.remove({ container: 'first' });
      expect(existsSync(upper!)).toBe(false);
      await expect(fs.get('first')).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND', message: 'No such container: first' });
      await expect(snapshotter.stat(c.SnapshotKey)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
      await expect(snapshotter.stat(c.SnapshotParent!)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
      expect((await snapshotter.list()).some((s) => s.kind === 'committed')).toBe(true);
    });

    it('rmi refuses an image a container uses (through the usage check)', async () => {
      env.images.setUsageCheck((id) => fs.usersOf(id));
      await expect(env.images.remove('ctest:1')).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
      for (const c of await fs.list()) await fs.remove({ container: c.Id });
      expect(await fs.list()).toEqual([]);
    });
  });
}
