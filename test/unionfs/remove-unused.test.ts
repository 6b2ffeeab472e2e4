// After `rmi`, the unpacked layers no image names any more are removed (unionfs/unpack-image.ts
// removeUnusedLayers): top first, then what they stood on, never a layer another image's chain
// names, a container stands on, or a pull in progress holds before it has named its image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chainIDs, type Image } from '../../engine/layers/index.js';
import { OverlaySnapshotter, PullUnpacker, removeUnusedLayers, unpackImage } from '../../engine/unionfs/index.js';
import { cleanupEnv, makeEnv, skipUnless, type Env } from './helpers.js';

describe.skipIf(skipUnless({ root: true }))('removeUnusedLayers', () => {
  let env: Env;
  let a: Image;
  let b: Image;
  beforeAll(async () => {
    env = await makeEnv();
    const base = await env.layer({ 'etc/os': 'base' });
    a = await env.image([base, await env.layer({ 'a.txt': 'a' })], 'gc/a:v1');
    b = await env.image([base, await env.layer({ 'b.txt': 'b' })], 'gc/b:v1');
  });
  afterAll(() => cleanupEnv(env));

  const chain = (img: Image) => chainIDs(img.layers.map((l) => l.diffID));

  async function unpacked(name: string) {
    const snapshotter = new OverlaySnapshotter({ root: env.dir(name), tracer: env.tracer });
    for (const img of [a, b]) await unpackImage({ image: img, content: env.content, snapshotter });
    const keys = async () => (await snapshotter.list()).map((s) => s.key).sort();
    return { snapshotter, keys };
  }

  it('keeps what a remaining image names; removes the rest, top first, down to the shared base', async () => {
    const { snapshotter, keys } = await unpacked('s1');
    const [base, aTop] = chain(a);
    const bTop = chain(b)[1]!;
    // a removed: its top goes, the base stays for b
    expect(await removeUnusedLayers({ snapshotter, keep: new Set(chain(b)) })).toEqual([aTop]);
    expect(await keys()).toEqual([base, bTop].sort());
    // b removed too: both go, b's top before the base it stood on
    expect(await removeUnusedLayers({ snapshotter, keep: new Set() })).toEqual([bTop, base]);
    expect(await keys()).toEqual([]);
    expect(readdirSync(join(env.dir('s1'), 'snapshots'))).toEqual([]);
  });

  it('never removes a layer a container stands on, nor anything under it', async () => {
    const { snapshotter, keys } = await unpacked('s2');
    await snapshotter.prepare('container-1', chain(a)[1]);
    expect(await removeUnusedLayers({ snapshotter, keep: new Set() })).toEqual([chain(b)[1]]);
    expect(await keys()).toEqual([...chain(a), 'container-1'].sort());
    await snapshotter.remove('container-1');
    expect((await removeUnusedLayers({ snapshotter, keep: new Set() })).sort()).toEqual([...chain(a)].sort());
  });

  it('leaves the layers a pull holds until the pull has ended', async () => {
    const { snapshotter, keys } = await unpacked('s3');
    // a pull of b is under way: its layers are committed but its image not yet named
    const pulling = new PullUnpacker({ layers: b.layers, content: env.content, snapshotter });
    expect(await removeUnusedLayers({ snapshotter, keep: new Set() })).toEqual([chain(a)[1]]);
    expect(await keys()).toEqual([...chain(b)].sort());
    await pulling.end();
    expect(await removeUnusedLayers({ snapshotter, keep: new Set() })).toEqual([chain(b)[1], chain(b)[0]]);
  });
});
