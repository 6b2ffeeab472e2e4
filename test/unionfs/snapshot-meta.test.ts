// Chapter 2's snapshot records (unionfs/snapshot-meta.ts) at scale: the file is read once and
// then kept in memory, so a lookup costs no read and no parse of a file that grows with every
// container (2000 records at 1000 containers); every change still lands in the file, and a
// second reader of the root (what `system check` does) sees it. Returned records are copies.
import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotMeta } from '../../engine/unionfs/snapshot-meta.js';
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
});
