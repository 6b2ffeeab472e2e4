// One suite for every snapshotter (STYLE.md habit 13): overlay.test.ts and copy.test.ts run it
// with their factory. Real images (layers packed with packLayer, added to an ImageStore), real
// mounts in a temp dir, and after each test a check that nothing was left mounted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { unpackLayer } from '../../engine/layers/index.js';
import { changes, mountPlan, packChanges, unmount, unpackImage, withMounted, type Snapshotter } from '../../engine/unionfs/index.js';
import { applyImage, cleanupEnv, listing, makeEnv, type Env, type SnapshotterFactory } from './helpers.js';

export interface SuiteOptions {
  name: string;
  factory: SnapshotterFactory;
  /** How many layers the "many layers" test stacks. */
  manyLayers: number;
  /** Whether containers of two images see the very same file (inode) of a shared layer. */
  sharesFiles: boolean;
}

export function snapshotterSuite(opts: SuiteOptions): void {
  describe(`${opts.name} snapshotter`, () => {
    let env: Env;
    let s: Snapshotter;
    const tmp = () => env.dir('mnt');

    beforeEach(async () => {
      env = await makeEnv();
      s = await opts.factory({ root: env.dir('state'), tracer: env.tracer });
    });
    afterEach(async () => cleanupEnv(env));

    /** Base, middle and top layers; the middle deletes and hides, the top re-adds. */
    async function threeLayers() {
      const base = await env.layer({
        'etc/passwd': 'root:x:0:0\n', 'etc/hostname': 'base\n', a: null, 'a/x': 'x1', 'a/y': 'y1',
        d: null, 'd/p': 'p', 'd/q': 'q', 'd/sub/deep': 'deep', f: 'f1', tmp: null, 'bin/sh': { link: 'busybox' }, 'bin/busybox': 'bb',
      });
      const middle = await env.layer({ '.wh.f': '', 'a/.wh.x': '', 'd/.wh..wh..opq': '', 'd/r': 'r2', 'etc/hostname': 'middle\n' });
      const top = await env.layer({ f: 'f3', 'a/x': 'x3', 'd/p': 'p3' });
      return env.image([base, middle, top], 'three:latest');
    }

    it('stacks three layers by chainID and mounts the merged tree', async () => {
      const image = await threeLayers();
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      expect((await s.stat(top!)).kind).toBe('committed');
      expect((await s.list()).filter((i) => i.kind === 'committed')).toHaveLength(3);
      const plan = await s.prepare('c1', top);
      const tree = await withMounted({ plan, tmpRoot: tmp() }, async (root) => ({
        list: listing(root),
        f: readFileSync(join(root, 'f'), 'utf8'),
        hostname: readFileSync(join(root, 'etc/hostname'), 'utf8'),
      }));
      expect(tree.f).toBe('f3');
      expect(tree.hostname).toBe('middle\n');
      const names = tree.list.map((l) => l.split(' ')[0]);
      expect(names).toEqual(['a/', 'a/x', 'a/y', 'bin/', 'bin/busybox', 'bin/sh', 'd/', 'd/p', 'd/r', 'etc/', 'etc/hostname', 'etc/passwd', 'f', 'tmp/']);
      const reference = env.dir('reference');
      await applyImage(env, image, reference);
      expect(tree.list).toEqual(listing(reference));
    });

    it(`stacks ${opts.manyLayers} layers`, async () => {
      const layers = [];
      for (let i = 0; i < opts.manyLayers; i++) layers.push(await env.layer({ [`l/${String(i).padStart(3, '0')}`]: `layer ${i}`, ...(i > 0 ? { [`l/.wh.${String(i - 1).padStart(3, '0')}`]: '' } : {}), [`keep/${i}`]: 'k' }));
      const image = await env.image(layers);
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      const plan = await s.prepare('many', top);
      for (const m of plan.mounts) expect(m.options.join(',').length).toBeLessThan(4096);
      const list = await withMounted({ plan, tmpRoot: tmp() }, async (root) => listing(root));
      const last = String(opts.manyLayers - 1).padStart(3, '0');
      expect(list.filter((l) => l.startsWith('l/')).map((l) => l.split(' ')[0])).toEqual(['l/', `l/${last}`]);
      expect(list.filter((l) => l.startsWith('keep/'))).toHaveLength(opts.manyLayers + 1);
    });

    it('mounts a view read-only (EROFS), for one layer and for several', async () => {
      const one = await env.image([await env.layer({ file: 'one' })]);
      const three = await threeLayers();
      for (const image of [one, three]) {
        const top = await unpackImage({ image, content: env.content, snapshotter: s });
        const plan = await s.view(`view-${image.layers.length}`, top);
        expect(plan.readonly).toBe(true);
        await withMounted({ plan, tmpRoot: tmp() }, async (root) => {
          expect(readFileSync(join(root, image === one ? 'file' : 'f'), 'utf8')).toBe(image === one ? 'one' : 'f3');
          await expect(writeFile(join(root, 'new'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
        });
      }
    });

    it('refuses to remove a parent in use, or a mounted snapshot', async () => {
      const top = await unpackImage({ image: await threeLayers(), content: env.content, snapshotter: s });
      const plan = await s.prepare('c1', top);
      await expect(s.remove(top!)).rejects.toMatchObject({ code: 'SNAPSHOT_IN_USE', kind: 'conflict' });
      const target = env.dir('target');
      mkdirSync(target);
      await mountPlan({ plan, target });
      try {
        await expect(s.remove('c1')).rejects.toMatchObject({ code: 'SNAPSHOT_MOUNTED', kind: 'conflict' });
      } finally {
        await unmount({ target });
      }
      await s.remove('c1');
      await s.remove(top!);
      await expect(s.stat(top!)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
      await expect(s.prepare('c2', 'sha256:nope')).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
    });

    it('records writes and deletes as changes, packs them, and the layer reproduces the tree', async () => {
      const image = await threeLayers();
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      const plan = await s.prepare('c1', top);
      const mounted = await withMounted({ plan, tmpRoot: tmp() }, async (root) => {
        writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0\nme:x:1000:1000\n');
        rmSync(join(root, 'a/y'));
        writeFileSync(join(root, 'tmp/x'), '');
        mkdirSync(join(root, 'new/sub'), { recursive: true });
        writeFileSync(join(root, 'new/sub/file'), 'n');
        rmSync(join(root, 'd'), { recursive: true });
        mkdirSync(join(root, 'd'));
        writeFileSync(join(root, 'd/z'), 'z');
        rmSync(join(root, 'bin'), { recursive: true });
        return listing(root);
      });
      expect(await changes({ snapshotter: s, key: 'c1' })).toEqual([
        { kind: 'C', path: '/a' }, { kind: 'D', path: '/a/y' }, { kind: 'D', path: '/bin' },
        { kind: 'C', path: '/d' }, { kind: 'D', path: '/d/p' }, { kind: 'D', path: '/d/r' }, { kind: 'A', path: '/d/z' },
        { kind: 'C', path: '/etc' }, { kind: 'C', path: '/etc/passwd' },
        { kind: 'A', path: '/new' }, { kind: 'A', path: '/new/sub' }, { kind: 'A', path: '/new/sub/file' },
        { kind: 'C', path: '/tmp' }, { kind: 'A', path: '/tmp/x' },
      ]);
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const packed = await packChanges({ snapshotter: s, key: 'c1', out, compression: 'gzip' });
      expect(packed.diffID).toMatch(/^sha256:/);
      // overlayfs's own bookkeeping (trusted.overlay.uuid, .origin, .opaque) never travels as an xattr.
      expect(gunzipSync(Buffer.concat(chunks)).includes('SCHILY.xattr.trusted.overlay')).toBe(false);
      const reference = env.dir('reference');
      await applyImage(env, image, reference);
      await unpackLayer({ source: Readable.from([Buffer.concat(chunks)]), target: reference, whiteouts: 'apply', expected: { digest: packed.digest } });
      expect(listing(reference)).toEqual(mounted);
    });

    it('shares a base layer between two images: one snapshot, one directory', async () => {
      const base = await env.layer({ 'lib/libc.so': 'libc', etc: null });
      const one = await env.image([base, await env.layer({ app: 'one' })], 'one:1');
      const two = await env.image([base, await env.layer({ app: 'two' })], 'two:1');
      const [top1, top2] = await Promise.all([
        unpackImage({ image: one, content: env.content, snapshotter: s, span: env.tracer.start('unionfs', 'test') }),
        unpackImage({ image: two, content: env.content, snapshotter: s, span: env.tracer.start('unionfs', 'test') }),
      ]);
      const committed = (await s.list()).filter((i) => i.kind === 'committed');
      expect(committed).toHaveLength(3);
      expect(committed.map((c) => c.key)).toContain(base.diffID); // a base layer's chainID is its diffID
      expect((await s.stat(top1!)).parent).toBe(base.diffID);
      expect((await s.stat(top2!)).parent).toBe(base.diffID);
      const skipped = env.sink.events.filter((e) => e.op === 'snapshot.unpack' && e.phase === 'end' && e.data.skipped === true);
      expect(skipped).toHaveLength(1);
      const p1 = await s.prepare('c1', top1);
      const p2 = await s.prepare('c2', top2);
      const ino = (plan: typeof p1) => withMounted({ plan, tmpRoot: tmp() }, async (root) => ({ ino: lstatSync(join(root, 'lib/libc.so')).ino, app: readFileSync(join(root, 'app'), 'utf8') }));
      const [a, b] = [await ino(p1), await ino(p2)];
      expect([a.app, b.app]).toEqual(['one', 'two']);
      if (opts.sharesFiles) expect(a.ino).toBe(b.ino);
      const v1 = await s.view('v1', top1);
      const v2 = await s.view('v2', top2);
      // overlay stacks the shared directory itself; copy views each bind their own full copy.
      if (opts.sharesFiles) expect(v1.layers.at(-1)).toBe(v2.layers.at(-1));
    });

    it('leaves nothing half-unpacked when a layer is corrupt', async () => {
      const good = await env.layer({ ok: 'ok' });
      const bad = await env.layer({ bad: 'bad' });
      writeFileSync(env.content.path(bad.digest), readFileSync(env.content.path(good.digest)));
      const image = await env.image([good, bad]);
      await expect(unpackImage({ image, content: env.content, snapshotter: s })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      const left = await s.list();
      expect(left.map((i) => i.kind)).toEqual(['committed']);
      expect(left[0]!.key).toBe(good.diffID);
    });

    it('prepares a container from an image with no layers', async () => {
      const image = await env.image([]);
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      expect(top).toBeUndefined();
      const plan = await s.prepare('empty', top);
      await withMounted({ plan, tmpRoot: tmp() }, async (root) => writeFileSync(join(root, 'hello'), 'hi'));
      expect(await changes({ snapshotter: s, key: 'empty' })).toEqual([{ kind: 'A', path: '/hello' }]);
    });
  });
}
