// Chapter 2: the overlay snapshotter, through the shared suite, plus what only overlay has: plans
// with relative lowerdirs that fit 120 layers in one page, the driver check, and the same merged
// tree as the copy driver (the reference) for the same image.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createSnapshotter, overlaySupported, unpackImage, withMounted } from '../../engine/unionfs/index.js';
import { cleanupEnv, listing, makeEnv, skipUnless, type Env } from './helpers.js';
import { snapshotterSuite } from './snapshotter.suite.js';

describe.skipIf(skipUnless({ root: true, overlay: true }))('overlay driver', () => {
  snapshotterSuite({ name: 'overlay', factory: (a) => createSnapshotter({ ...a, driver: 'overlay' }), manyLayers: 120, sharesFiles: true });

  describe('overlay only', () => {
    let env: Env;
    beforeEach(async () => {
      env = await makeEnv();
    });
    afterEach(async () => cleanupEnv(env));

    it('is detected by a trial mount and chosen by default', async () => {
      expect(await overlaySupported({ tmpRoot: env.dir('check') })).toBe(true);
      const s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer });
      expect(s.driver).toBe('overlay');
      await expect(createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver: 'copy' })).rejects.toMatchObject({ code: 'SNAPSHOTTER_DRIVER_MISMATCH' });
    });

    it('plans short relative lowerdirs from the snapshots dir, top first', async () => {
      const s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver: 'overlay' });
      const image = await env.image([await env.layer({ a: '1' }), await env.layer({ b: '2' })]);
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      const plan = await s.prepare('c', top);
      expect(plan.cwd).toBe(join(env.dir('state'), 'snapshots'));
      expect(plan.mounts).toHaveLength(1);
      const [lower, upper, work] = plan.mounts[0]!.options;
      expect(lower).toBe('lowerdir=2/fs:1/fs');
      expect(upper).toBe(`upperdir=${plan.upper}`);
      expect(work).toBe(`workdir=${join(env.dir('state'), 'snapshots/3/work')}`);
      expect(plan.layers).toEqual([join(plan.cwd!, '2/fs'), join(plan.cwd!, '1/fs')]);
      const view = await s.view('v', top);
      expect(view.mounts[0]!.options).toEqual(['lowerdir=2/fs:1/fs']);
      expect(view.upper).toBeUndefined();
    });

    it('gives the same merged tree as the copy driver', async () => {
      const layers = [
        await env.layer({ 'etc/passwd': 'p', 'etc/group': 'g', usr: null, 'usr/bin/a': 'a', 'usr/lib/x': 'x', 'var/log/l': 'l', s: { link: 'usr/bin/a' } }),
        await env.layer({ 'etc/.wh.group': '', 'usr/.wh..wh..opq': '', 'usr/bin/b': 'b', 'var/.wh.log': '' }),
        await env.layer({ 'etc/group': 'g3', 'var/log/new': 'n', 'usr/lib/y': 'y', '.wh.s': '' }),
        await env.layer({ 'usr/bin/.wh.b': '', 'usr/bin/c': 'c' }),
      ];
      const image = await env.image(layers);
      const trees: string[][] = [];
      for (const driver of ['overlay', 'copy'] as const) {
        const s = await createSnapshotter({ root: env.dir(`state-${driver}`), tracer: env.tracer, driver });
        const top = await unpackImage({ image, content: env.content, snapshotter: s });
        trees.push(await withMounted({ plan: await s.view('v', top), tmpRoot: env.dir('mnt') }, async (root) => listing(root)));
      }
      expect(trees[0]).toEqual(trees[1]);
      expect(trees[0]!.map((l) => l.split(' ')[0])).toEqual(['etc/', 'etc/group', 'etc/passwd', 'usr/', 'usr/bin/', 'usr/bin/c', 'usr/lib/', 'usr/lib/y', 'var/', 'var/log/', 'var/log/new']);
    });
  });
});
