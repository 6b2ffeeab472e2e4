// Chapter 2: `rm` in an order a crash cannot tear (container-fs.ts, remove and finishRemovals).
// Found by the crash tests (test/reliability/crash.test.ts, a build killed while it removed a
// step's container): the snapshots went first and the record after, so a daemon killed in
// between left a container in `ps -a` whose snapshot no longer existed. Now the record is marked
// 'removing' first, and the next start finishes what a killed daemon left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createSnapshotter, type Snapshotter } from '../../engine/unionfs/index.js';
import { ContainerFs } from '../../engine/unionfs/container-fs.js';
import { initSnapshotName } from '../../engine/unionfs/init-layer.js';
import { cleanupEnv, makeEnv, skipUnless, type Env } from './helpers.js';

describe.skipIf(skipUnless({ root: true }))('container removal and a crash', () => {
  let env: Env;
  let snapshotter: Snapshotter;
  const containerFs = () => new ContainerFs({ root: env.dir('containers'), snapshotter, images: env.images, content: env.content, tracer: env.tracer, tmpRoot: env.dir('tmp') });

  beforeAll(async () => {
    env = await makeEnv();
    const base = await env.layer({ 'bin/sh': '#!fake\n', 'etc/passwd': 'root:x:0:0::/:/bin/sh\n' });
    await env.image([base], 'rmtest:1');
    snapshotter = await createSnapshotter({ root: env.dir('snapshots-root'), tracer: env.tracer, driver: 'copy' });
    mkdirSync(env.dir('tmp'));
  });
  afterAll(async () => cleanupEnv(env));

  it("a daemon killed between the snapshots and the record: the next start finishes the rm", async () => {
    const fs = containerFs();
    const c = await fs.create({ name: 'halfgone', request: { Image: 'rmtest:1', Cmd: ['sh'] } });
    // What remove() had done when the daemon was killed: the record marked, the snapshots gone.
    await fs.store.save({ ...c, State: { ...c.State, Status: 'removing' } });
    await snapshotter.remove(c.SnapshotKey);
    await snapshotter.remove(initSnapshotName(c.Id));
    const restarted = containerFs();
    expect(await restarted.finishRemovals()).toEqual([c.Id]);
    expect(await restarted.list()).toEqual([]);
    expect((await snapshotter.list()).map((s) => s.key)).not.toContain(c.SnapshotKey);
  });

  it('a record not marked removing is left alone; a finished rm leaves neither record nor snapshots', async () => {
    const fs = containerFs();
    const kept = await fs.create({ name: 'kept', request: { Image: 'rmtest:1', Cmd: ['sh'] } });
    const gone = await fs.create({ name: 'gone', request: { Image: 'rmtest:1', Cmd: ['sh'] } });
    await fs.remove({ container: 'gone' });
    expect(await containerFs().finishRemovals()).toEqual([]);
    expect((await fs.list()).map((c) => c.Id)).toEqual([kept.Id]);
    const keys = (await snapshotter.list()).map((s) => s.key);
    expect(keys).toContain(kept.SnapshotKey);
    expect(keys).not.toContain(gone.SnapshotKey);
    expect(keys).not.toContain(initSnapshotName(gone.Id));
  });

  // Issue 9: what killed operations leave, reclaimed when the daemon starts (reclaim.ts).
  it('reclaims what no container owns: a killed create, a killed unpack, a stray directory; keeps containers and layers', async () => {
    const fs = containerFs();
    const kept = await fs.create({ name: 'owner', request: { Image: 'rmtest:1', Cmd: ['sh'] } });
    const before = (await snapshotter.list()).map((s) => s.key).sort();
    const layer = (await snapshotter.list()).find((s) => s.kind === 'committed' && !s.labels)!.key;
    // A create killed after its snapshots were made, before its record was: both snapshots, no record.
    const lost = await fs.create({ name: 'lost', request: { Image: 'rmtest:1', Cmd: ['sh'] } });
    await rm(join(env.dir('containers'), lost.Id), { recursive: true });
    // An unpack killed midway, and a directory whose record never got written.
    await snapshotter.prepare('extract-killed', layer);
    mkdirSync(join(env.dir('snapshots-root'), 'snapshots', '9999', 'fs'), { recursive: true });
    const r = await containerFs().reclaimSnapshots(env.dir('snapshots-root'));
    expect(r.snapshots.sort()).toEqual([lost.SnapshotKey, initSnapshotName(lost.Id), 'extract-killed'].sort());
    expect(r.directories).toEqual(['9999']);
    expect(r.kept).toEqual([]);
    const after = await snapshotter.list();
    expect(after.map((s) => s.key).sort()).toEqual(before);
    expect(before).toEqual(expect.arrayContaining([kept.SnapshotKey, initSnapshotName(kept.Id), layer]));
    expect(readdirSync(join(env.dir('snapshots-root'), 'snapshots')).sort()).toEqual(after.map((s) => s.id).sort());
    // Nothing left to reclaim the second time.
    expect(await containerFs().reclaimSnapshots(env.dir('snapshots-root'))).toEqual({ snapshots: [], directories: [], kept: [] });
  });
});
