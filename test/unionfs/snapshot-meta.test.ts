// Chapter 2's snapshot records (unionfs/snapshot-meta.ts) at scale: the file is read once and
// then kept in memory, so a lookup costs no read and no parse of a file that grows with every
// container (2000 records at 1000 containers); every change still lands in the file, and a
// second reader of the root (what `system check` does) sees it. Returned records are copies.
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotMeta, snapshotDir } from '../../engine/unionfs/snapshot-meta.js';
import { tempDir } from '../tmp.js';

describe('SnapshotMeta', () => {
  it('reads its file once: lookups answer from memory, changes are written through', async () => {
    const root = await tempDir('dkl-snapmeta-');
    const meta = new SnapshotMeta(root);
    await meta.create({ key: 'a', kind: 'active' });
    await meta.commit('L', 'a');
    for (let i = 0; i < 200; i++) await meta.create({ key: `c${i}`, kind: 'active', parent: 'L' });
    // Garbage in the file now: a lookup that read it again would fail to parse it.
    const written = await readFile(join(root, 'metadata.json'), 'utf8');
    await writeFile(join(root, 'metadata.json'), 'not json');
    expect((await meta.get('c199')).parent).toBe('L');
    expect(await meta.list()).toHaveLength(201);
    expect((await meta.chain('L')).map((s) => s.key)).toEqual(['L']);
    // A change writes the whole state (from memory) back: the file is whole again, and holds it.
    await writeFile(join(root, 'metadata.json'), written);
    await meta.remove('c0', async () => {});
    const fresh = new SnapshotMeta(root);
    expect(await fresh.has('c0')).toBe(false);
    expect(await fresh.list()).toHaveLength(200);
  });

  it('hands out copies: changing a returned record changes nothing kept', async () => {
    const meta = new SnapshotMeta(await tempDir('dkl-snapmeta-'));
    await meta.create({ key: 'x', kind: 'active', labels: { a: '1' } });
    const got = await meta.get('x');
    got.kind = 'committed';
    got.labels!.a = '2';
    (await meta.list())[0]!.parent = 'nowhere';
    expect(await meta.get('x')).toMatchObject({ kind: 'active', labels: { a: '1' } });
    expect((await meta.get('x')).parent).toBeUndefined();
  });

  it('a failed change leaves the records as they were', async () => {
    const meta = new SnapshotMeta(await tempDir('dkl-snapmeta-'));
    await meta.create({ key: 'x', kind: 'active' });
    await expect(meta.remove('x', async () => {
      throw new Error('still mounted');
    })).rejects.toThrow('still mounted');
    expect(await meta.has('x')).toBe(true);
  });

  // Found by the crash tests: the record was written before the directory was made, so a daemon
  // killed in between left a record naming nothing, which `system check` rightly failed.
  it('writes a new record only once its directory is made; a failed make leaves no record and no directory', async () => {
    const root = await tempDir('dkl-snapmeta-');
    const meta = new SnapshotMeta(root);
    let seenWhileMaking: boolean | undefined;
    const made = await meta.create({ key: 'a', kind: 'active' }, async (info) => {
      seenWhileMaking = await new SnapshotMeta(root).has('a'); // what a crash now would leave on disk
      await mkdir(snapshotDir(root, info.id), { recursive: true });
    });
    expect(seenWhileMaking).toBe(false);
    expect(await new SnapshotMeta(root).has('a')).toBe(true);
    await expect(meta.create({ key: 'b', kind: 'active' }, async (info) => {
      await mkdir(join(snapshotDir(root, info.id), 'fs'), { recursive: true });
      throw new Error('cp failed');
    })).rejects.toThrow('cp failed');
    expect(await meta.has('b')).toBe(false);
    expect(await readdir(join(root, 'snapshots'))).toEqual([made.id]);
    // Ids are never handed out twice, even after a failed make: a stray directory is never reused.
    expect(Number((await meta.create({ key: 'c', kind: 'active' })).id)).toBe(Number(made.id) + 2);
  });

  it('two creates of one key: one record, and the loser leaves no directory', async () => {
    const root = await tempDir('dkl-snapmeta-');
    const meta = new SnapshotMeta(root);
    const make = (info: { id: string }) => mkdir(snapshotDir(root, info.id), { recursive: true }).then(() => {});
    const results = await Promise.allSettled([meta.create({ key: 'k', kind: 'active' }, make), meta.create({ key: 'k', kind: 'active' }, make)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error).message).toBe('snapshot k already exists');
    expect(await readdir(join(root, 'snapshots'))).toEqual([(await meta.get('k')).id]);
  });
});
