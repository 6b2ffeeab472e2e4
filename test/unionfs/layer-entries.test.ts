// Reading layer entries without extracting (engine/unionfs/layer-entries.ts): real tars from
// packLayer, gzip and plain, with whiteouts; hand-made tars for the marker forms packLayer never
// writes (opaque, AUFS bookkeeping, `./` names); hostile inputs by error code.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';
import { packLayer, type Change } from '../../engine/layers/index.js';
import { readLayerEntries } from '../../engine/unionfs/layer-entries.js';
import { planUnionView } from '../../engine/unionfs/union-view.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dkl-entries-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function packed(dir: string, compression: 'gzip' | 'none', changes?: Change[]): Promise<{ bytes: Buffer; uncompressedSize: number }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await packLayer({ root: dir, out, compression, mtime: new Date(0), ...(changes ? { changes } : {}) });
  return { bytes: Buffer.concat(chunks), uncompressedSize: r.uncompressedSize };
}

async function handTar(entries: Array<[Headers, string?]>): Promise<Buffer> {
  const p = pack();
  for (const [h, body] of entries) p.entry({ mode: 0o644, mtime: new Date(0), ...h }, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tree(): string {
  const dir = join(root, 'tree');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/hostname'), 'dockling\n');
  writeFileSync(join(dir, 'etc/big'), Buffer.alloc(70_000, 7));
  linkSync(join(dir, 'etc/big'), join(dir, 'etc/big-too'));
  symlinkSync('hostname', join(dir, 'etc/name'));
  return dir;
}

describe('readLayerEntries', () => {
  for (const compression of ['gzip', 'none'] as const) {
    it(`lists a packLayer tar (${compression}) with types, sizes and modes, hardlink bytes at the target`, async () => {
      const { bytes, uncompressedSize } = await packed(tree(), compression);
      const r = await readLayerEntries(Readable.from([bytes]));
      expect(r.compression).toBe(compression);
      expect(r.tarSize).toBe(uncompressedSize);
      expect(r.entries).toEqual([
        { path: 'etc', type: 'directory', size: 0, mode: expect.any(Number) },
        { path: 'etc/big', type: 'file', size: 70_000, mode: 0o644 },
        { path: 'etc/big-too', type: 'hardlink', size: 0, mode: 0o644, linkTarget: 'etc/big' },
        { path: 'etc/hostname', type: 'file', size: 9, mode: 0o644 },
        { path: 'etc/name', type: 'symlink', size: 0, mode: expect.any(Number), linkTarget: 'hostname' },
      ]);
    });
  }

  it('reads whiteouts packed from changes as whiteout entries naming their target', async () => {
    const dir = tree();
    const { bytes } = await packed(dir, 'gzip', [{ kind: 'D', path: '/etc/gone' }, { kind: 'A', path: '/etc/hostname' }]);
    const r = await readLayerEntries(Readable.from([bytes]));
    expect(r.entries.map((e) => [e.path, e.type, e.target])).toEqual([
      ['etc', 'directory', undefined],
      ['etc/.wh.gone', 'whiteout', 'etc/gone'],
      ['etc/hostname', 'file', undefined],
    ]);
  });

  it('cleans names, skips the root and AUFS bookkeeping, reads opaque markers', async () => {
    const tar = await handTar([
      [{ name: './', type: 'directory', mode: 0o755 }],
      [{ name: './d/', type: 'directory', mode: 0o755 }],
      [{ name: './d/.wh..wh..opq' }],
      [{ name: './d//x', type: 'file' }, 'abc'],
      [{ name: '.wh..wh.plnk/', type: 'directory' }],
      [{ name: '.wh..wh.plnk/1234.5' }, 'zz'],
      [{ name: 'd/.wh.y' }],
    ]);
    const r = await readLayerEntries(Readable.from([gzipSync(tar)]));
    expect(r.entries.map((e) => [e.path, e.type, e.target ?? null, e.size])).toEqual([
      ['d', 'directory', null, 0],
      ['d/.wh..wh..opq', 'opaque', 'd', 0],
      ['d/x', 'file', null, 3],
      ['d/.wh.y', 'whiteout', 'd/y', 0],
    ]);
  });

  it('feeds the planner: three packed layers merge as overlayfs would show them', async () => {
    const dir = tree();
    const l0 = await readLayerEntries(Readable.from([(await packed(dir, 'gzip')).bytes]));
    writeFileSync(join(dir, 'etc/hostname'), 'other-name\n');
    const l1 = await readLayerEntries(Readable.from([(await packed(dir, 'none', [{ kind: 'C', path: '/etc/hostname' }, { kind: 'D', path: '/etc/big' }])).bytes]));
    const v = planUnionView({ image: 't', layers: [l0, l1] });
    expect(v.layers[1]).toMatchObject({ modified: 1, removed: 1, bytes: 11 });
    // etc/big's bytes stay reachable through etc/big-too: not wasted; the old hostname is.
    expect(v.wastedBytes).toBe(9);
    expect(v.totalBytes).toBe(70_000 + 9 + 11);
  });

  const hostile: Array<[string, () => Promise<Buffer>]> = [
    ['LAYER_NOT_TAR', async () => Buffer.from('this is not a tar at all')],
    ['LAYER_CORRUPT_GZIP', async () => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 0xff)])],
    ['LAYER_TRUNCATED', async () => (await handTar([[{ name: 'a' }, 'x'.repeat(5000)]])).subarray(0, 2048)],
    ['LAYER_PATH_TRAVERSAL', async () => handTar([[{ name: '../escape' }, 'x']])],
    ['LAYER_ABSOLUTE_PATH', async () => handTar([[{ name: '/etc/passwd' }, 'x']])],
    ['LAYER_UNSUPPORTED_COMPRESSION', async () => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0])],
  ];
  for (const [code, make] of hostile) {
    it(`refuses ${code}`, async () => {
      await expect(readLayerEntries(Readable.from([await make()]))).rejects.toMatchObject({ code });
    });
  }

  it('reads an empty tar, and an empty stream (as unpackLayer does), as no entries', async () => {
    expect((await readLayerEntries(Readable.from([]))).entries).toEqual([]);
    expect((await readLayerEntries(Readable.from([await handTar([])]))).entries).toEqual([]);
  });
});
