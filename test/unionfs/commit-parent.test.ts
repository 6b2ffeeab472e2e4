// A layer unpacked before the layers below it (a pull on overlay) is prepared with no parent and
// named its parent at commit. The rules: only a snapshot without one, only a committed parent,
// and only on a driver whose layers stand alone — the copy driver's tree starts as its parent's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CopySnapshotter, OverlaySnapshotter } from '../../engine/unionfs/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

let dir: string;
beforeAll(async () => (dir = await tempDir('dockling-commit-parent-')));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('commit with a parent', () => {
  it('overlay: a parentless snapshot gets its parent at commit, and its mounts stack on it', async () => {
    const s = new OverlaySnapshotter({ root: join(dir, 'ovl'), tracer: new Tracer([]) });
    expect(s.unpacksAlone).toBe(true);
    await s.prepare('top-extract');  // unpacked first
    await s.prepare('base-extract');
    await expect(s.commit('top', 'top-extract', { parent: 'base' })).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
    await expect(s.commit('top', 'top-extract', { parent: 'base-extract' })).rejects.toMatchObject({ code: 'SNAPSHOT_PARENT_NOT_COMMITTED' });
    await s.commit('base', 'base-extract');
    await s.commit('top', 'top-extract', { parent: 'base' });
    expect((await s.stat('top')).parent).toBe('base');
    const plan = await s.view('v', 'top');
    expect(plan.layers).toHaveLength(2); // top, then base: the chain the parent makes
    // a parent cannot be given to a snapshot that has one
    await s.prepare('child', 'top');
    await expect(s.commit('child2', 'child', { parent: 'base' })).rejects.toMatchObject({ code: 'SNAPSHOT_HAS_PARENT' });
    // and a snapshot with children stays while they do
    await expect(s.remove('base')).rejects.toMatchObject({ code: 'SNAPSHOT_IN_USE' });
  });

  it('copy: refused, naming why', async () => {
    const s = new CopySnapshotter({ root: join(dir, 'copy'), tracer: new Tracer([]) });
    expect(s.unpacksAlone).toBe(false);
    await s.prepare('base-extract');
    await s.commit('base', 'base-extract');
    await s.prepare('top-extract');
    await expect(s.commit('top', 'top-extract', { parent: 'base' })).rejects.toMatchObject({ code: 'SNAPSHOT_PARENT_TOO_LATE', message: expect.stringContaining('copy of the parent') });
    await expect(s.stat('top')).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
  });
});
