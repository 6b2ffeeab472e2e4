// Chapter 2: images into snapshots. Each layer lands once in the snapshot named by its chainID,
// the trace says what was unpacked and what was shared, concurrent unpacks of images sharing
// layers wait for each other instead of racing, and an image with no layers has no top.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainIDs } from '../../engine/layers/index.js';
import { createSnapshotter, unpackImage, type Snapshotter } from '../../engine/unionfs/index.js';
import { cleanupEnv, hasOverlay, makeEnv, skipUnless, type Env } from './helpers.js';

const drivers = hasOverlay ? (['overlay', 'copy'] as const) : (['copy'] as const);

describe.skipIf(skipUnless({ root: true }))('unpackImage', () => {
  for (const driver of drivers) {
    describe(driver, () => {
      let env: Env;
      let s: Snapshotter;
      beforeEach(async () => {
        env = await makeEnv();
        s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver });
      });
      afterEach(async () => cleanupEnv(env));

      it('names each layer snapshot by its chainID and traces every layer', async () => {
        const layers = [await env.layer({ a: '1', 'dir/b': '22' }), await env.layer({ c: '333' })];
        const image = await env.image(layers, 'img:1');
        const span = env.tracer.start('unionfs', 'test');
        const top = await unpackImage({ image, content: env.content, snapshotter: s, span });
        const ids = chainIDs(layers.map((l) => l.diffID));
        expect(top).toBe(ids[1]);
        expect((await s.stat(ids[1]!)).parent).toBe(ids[0]);
        const ends = env.sink.events.filter((e) => e.op === 'snapshot.unpack' && e.phase === 'end');
        expect(ends.map((e) => e.data)).toEqual([
          expect.objectContaining({ chainID: ids[0], digest: layers[0]!.digest, diffID: layers[0]!.diffID, files: 3, bytes: layers[0]!.uncompressedSize, skipped: false }),
          expect.objectContaining({ chainID: ids[1], digest: layers[1]!.digest, files: 1, skipped: false }),
        ]);
        await unpackImage({ image, content: env.content, snapshotter: s, span });
        expect(env.sink.events.filter((e) => e.op === 'snapshot.unpack' && e.phase === 'end' && e.data.skipped === true)).toHaveLength(2);
      });

      it('unpacks images sharing layers concurrently, each chainID once', async () => {
        const base = await env.layer({ base: 'b' });
        const mid = await env.layer({ mid: 'm' });
        const images = [];
        for (let i = 0; i < 6; i++) images.push(await env.image([base, mid, await env.layer({ [`top${i}`]: String(i) })], `img${i}:1`));
        const tops = await Promise.all(images.map((image) => unpackImage({ image, content: env.content, snapshotter: s })));
        expect(new Set(tops).size).toBe(6);
        const list = await s.list();
        expect(list.every((i) => i.kind === 'committed')).toBe(true);
        expect(list).toHaveLength(8);
      });

      it('returns undefined for an image with no layers', async () => {
        expect(await unpackImage({ image: await env.image([]), content: env.content, snapshotter: s })).toBeUndefined();
        expect(await s.list()).toEqual([]);
      });
    });
  }
});
