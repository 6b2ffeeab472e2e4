// Chapter 2's store check (unionfs/snapshot-check.ts, `dockling system check`): snapshot records
// and container records over a snapshot root laid out by hand (no mounts, no root needed).
import { describe, expect, it } from 'vitest';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotMeta } from '../../engine/unionfs/snapshot-meta.js';
import { checkSnapshots } from '../../engine/unionfs/snapshot-check.js';
import type { ContainerRecord } from '../../engine/unionfs/container-store.js';
import { tempDir } from '../tmp.js';

/** A root holding layer L (committed), the init layer I on it, and container c's active snapshot on I. */
async function rootWithContainer(): Promise<{ root: string; meta: SnapshotMeta; container: ContainerRecord; dirOf: (key: string) => Promise<string> }> {
  const root = await tempDir('dkl-snapcheck-');
  const meta = new SnapshotMeta(root);
  const dirOf = async (key: string) => join(root, 'snapshots', (await meta.get(key)).id, 'fs');
  const make = async (key: string, parent?: string, commitAs?: string) => {
    await meta.create({ key, kind: 'active', ...(parent ? { parent } : {}) });
    await mkdir(await dirOf(key), { recursive: true });
    if (commitAs) await meta.commit(commitAs, key);
  };
  await make('extract-1', undefined, 'L');
  await make('I-active', 'L', 'I');
  await make('c-rw', 'I');
  const container = { Id: 'c'.repeat(64), Name: '/c', SnapshotKey: 'c-rw', SnapshotParent: 'I' } as ContainerRecord;
  return { root, meta, container, dirOf };
}

describe('checkSnapshots', () => {
  it('finds whole chains and owned snapshots clean, and counts them', async () => {
    const { root, container } = await rootWithContainer();
    const r = await checkSnapshots({ root, containers: [container] });
    expect(r).toEqual({ snapshots: 3, committed: 2, unowned: 0, containers: 1, problems: [] });
  });

  it('counts an active snapshot no container owns (a killed unpack) without failing', async () => {
    const { root, meta, dirOf } = await rootWithContainer();
    await meta.create({ key: 'extract-2', kind: 'active', parent: 'L' });
    await mkdir(await dirOf('extract-2'), { recursive: true });
    const r = await checkSnapshots({ root, containers: [] });
    expect(r.unowned).toBe(2); // c-rw has no record now, and extract-2
    expect(r.problems).toEqual([]);
  });

  it("names a snapshot whose directory is missing", async () => {
    const { root, container, dirOf } = await rootWithContainer();
    await rm(await dirOf('L'), { recursive: true });
    const r = await checkSnapshots({ root, containers: [container] });
    expect(r.problems.map((p) => p.object)).toEqual([expect.stringMatching(/^snapshot L \(committed, id \d+\)$/)]);
  });

  it("names a container whose snapshot or init snapshot is gone", async () => {
    const { root, container } = await rootWithContainer();
    const r = await checkSnapshots({ root, containers: [{ ...container, SnapshotKey: 'nope', SnapshotParent: 'c-rw' }] });
    expect(r.problems.map((p) => p.problem)).toEqual(['its snapshot nope does not exist', 'its init snapshot c-rw is active, not committed']);
  });
});
