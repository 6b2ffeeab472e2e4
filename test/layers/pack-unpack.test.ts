// Chapter 1: layers as tar change sets. Round trips through our pack and unpack, and through
// GNU tar both ways, must keep every attribute; both digests come out of one pass.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { packLayer, type Change } from '../../engine/layers/pack.js';
import { unpackLayer } from '../../engine/layers/unpack.js';
import { ParallelGzip } from '../../engine/layers/gzip.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { collector, isRoot, listing, makeSampleTree, missing, sh, tempDirs, xattrDump } from './fixtures/tree.js';
import { buildTar } from './fixtures/tar.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function packTo(root: string, opts: { compression?: 'gzip' | 'none'; changes?: Change[]; mtime?: Date } = {}) {
  const c = collector();
  const result = await packLayer({ root, out: c.out, compression: opts.compression ?? 'gzip', changes: opts.changes, mtime: opts.mtime });
  return { result, bytes: c.bytes() };
}

async function entryNames(tar: Buffer): Promise<string[]> {
  const names: string[] = [];
  const x = extract();
  const done = (async () => {
    for await (const e of x) {
      names.push(e.header.type === 'link' ? `${e.header.name} => ${e.header.linkname}` : e.header.name);
      e.resume();
    }
  })();
  x.end(tar);
  await done;
  return names;
}

describe('pack then unpack', () => {
  it.each(['gzip', 'none'] as const)('keeps every attribute (%s)', async (compression) => {
    const src = await dirs.make();
    const dst = await dirs.make();
    makeSampleTree(src);
    const sink = new MemorySink();
    const span = new Tracer([sink]).start('layers', 'test');
    const { result, bytes } = await packTo(src, { compression });
    const unpacked = await unpackLayer({ source: Readable.from([bytes]), target: dst, span });
    expect(listing(dst)).toEqual(listing(src));
    expect(xattrDump(dst)).toEqual(xattrDump(src));
    expect(unpacked.digest).toBe(result.digest);
    expect(unpacked.diffID).toBe(result.diffID);
    expect(unpacked.files).toBe(result.files);
    const end = sink.events.find((e) => e.op === 'layer.unpack' && e.phase === 'end');
    expect(end?.data).toMatchObject({ digest: result.digest, diffID: result.diffID, files: result.files });
  });

  it('computes digest, diffID and sizes of what it wrote, in one pass', async () => {
    const src = await dirs.make();
    makeSampleTree(src);
    const { result, bytes } = await packTo(src);
    const tar = gunzipSync(bytes);
    expect(result).toMatchObject({ digest: sha(bytes), diffID: sha(tar), size: bytes.length, uncompressedSize: tar.length });
    const plain = await packTo(src, { compression: 'none' });
    expect(plain.result).toMatchObject({ digest: sha(plain.bytes), diffID: sha(plain.bytes), size: plain.bytes.length });
    expect(plain.result.diffID).toBe(result.diffID);
  });

  it('writes relative sorted names, dirs with a slash, a hardlinked file once', async () => {
    const src = await dirs.make();
    makeSampleTree(src);
    const names = await entryNames((await packTo(src, { compression: 'none' })).bytes);
    expect(names.every((n) => !n.startsWith('/') && !n.startsWith('./'))).toBe(true);
    expect(names).toContain('etc/');
    expect(names).toContain('bin/tool-hardlink => bin/tool');
    expect(names.indexOf('bin/')).toBeLessThan(names.indexOf('bin/rel-link'));
    expect(names.filter((n) => n.startsWith('bin/tool')).length).toBe(2);
  });

  it('is reproducible with a fixed mtime, and gzip -t accepts it', async () => {
    const src = await dirs.make();
    makeSampleTree(src);
    const mtime = new Date('2000-01-01T00:00:00Z');
    const a = await packTo(src, { mtime });
    const b = await packTo(src, { mtime });
    expect(a.result.digest).toBe(b.result.digest);
    const f = join(await dirs.make(), 'layer.tar.gz');
    writeFileSync(f, a.bytes);
    sh(['gzip', '-t', f]);
  });

  it.skipIf(missing({ commands: ['tar'] }))('GNU tar extracts our tar to the same tree', async () => {
    const src = await dirs.make();
    const dst = await dirs.make();
    makeSampleTree(src);
    const { bytes } = await packTo(src, { compression: 'none' });
    sh(['tar', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-p', '-x', '-C', dst], { input: bytes });
    expect(listing(dst)).toEqual(listing(src));
    expect(xattrDump(dst)).toEqual(xattrDump(src));
  });

  it.skipIf(missing({ commands: ['tar'] }))('our unpack of a GNU tar gives the same tree', async () => {
    const src = await dirs.make();
    makeSampleTree(src);
    for (const flags of [[], ['--xattrs', '--xattrs-include=*', '--format=posix']]) {
      const dst = await dirs.make();
      const tar = sh(['tar', ...flags, '--numeric-owner', '-c', '-f', '-', '-C', src, '.']);
      await unpackLayer({ source: Readable.from([tar]), target: dst });
      // GNU tar's "./" entry carries the source root's mode and time onto the target.
      expect(listing(dst)).toEqual(listing(src));
      if (flags.length) expect(xattrDump(dst)).toEqual(xattrDump(src));
      const gz = sh(['gzip', '-c'], { input: tar });
      const dst2 = await dirs.make();
      const r = await unpackLayer({ source: Readable.from([gz]), target: dst2 });
      expect(r).toMatchObject({ digest: sha(gz), diffID: sha(tar), size: gz.length, uncompressedSize: tar.length });
      expect(listing(dst2)).toEqual(listing(src));
    }
  });

  it('packs only the changes with their parent directories; D becomes a whiteout', async () => {
    const src = await dirs.make();
    makeSampleTree(src);
    const changes: Change[] = [
      { kind: 'C', path: '/etc/passwd' },
      { kind: 'A', path: '/home/user/notes' },
      { kind: 'D', path: '/etc/shadow' },
      { kind: 'D', path: '/gone' },
    ].filter((c) => isRoot || !c.path.startsWith('/home')) as Change[];
    const names = await entryNames((await packTo(src, { compression: 'none', changes })).bytes);
    expect(names).toEqual(isRoot ? ['.wh.gone', 'etc/', 'etc/.wh.shadow', 'etc/passwd', 'home/', 'home/user/', 'home/user/notes'] : ['.wh.gone', 'etc/', 'etc/.wh.shadow', 'etc/passwd']);
  });

  it('replaces what was there: dir over dir merges, anything else is removed first', async () => {
    const dst = await dirs.make();
    mkdirSync(join(dst, 'merge'));
    writeFileSync(join(dst, 'merge/lower'), 'lower');
    mkdirSync(join(dst, 'dir-becomes-file'));
    writeFileSync(join(dst, 'dir-becomes-file/x'), 'x');
    writeFileSync(join(dst, 'file-becomes-link'), 'f');
    symlinkSync('/etc', join(dst, 'link-becomes-dir'));
    const tar = await buildTar([
      { name: 'merge/', type: 'directory', mode: 0o711 },
      { name: 'merge/upper', data: 'upper' },
      { name: 'dir-becomes-file', data: 'now a file' },
      { name: 'file-becomes-link', type: 'symlink', linkname: 'merge' },
      { name: 'link-becomes-dir/', type: 'directory' },
      { name: 'link-becomes-dir/inside', data: 'safe' },
    ]);
    await unpackLayer({ source: Readable.from([tar]), target: dst });
    expect(readdirSync(join(dst, 'merge')).sort()).toEqual(['lower', 'upper']);
    expect(statSync(join(dst, 'merge')).mode & 0o7777).toBe(0o711);
    expect(readFileSync(join(dst, 'dir-becomes-file'), 'utf8')).toBe('now a file');
    expect(lstatSync(join(dst, 'file-becomes-link')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dst, 'link-becomes-dir')).isDirectory()).toBe(true);
    expect(readFileSync(join(dst, 'link-becomes-dir/inside'), 'utf8')).toBe('safe');
    expect(() => lstatSync('/etc/inside')).toThrow();
  });

  it('restores directory mtimes after their contents', async () => {
    const dst = await dirs.make();
    const tar = await buildTar([
      { name: 'd/', type: 'directory', mtime: new Date('2001-01-01T00:00:00Z') },
      { name: 'd/f', data: 'f', mtime: new Date('2002-01-01T00:00:00Z') },
    ]);
    await unpackLayer({ source: Readable.from([tar]), target: dst });
    expect(statSync(join(dst, 'd')).mtime.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    expect(statSync(join(dst, 'd/f')).mtime.toISOString()).toBe('2002-01-01T00:00:00.000Z');
  });
});

describe('parallel gzip', () => {
  it('makes one gzip member gzip -d reads back, across many blocks', async () => {
    const random = Buffer.from(Array.from({ length: 700_000 }, (_, i) => (i * 7919) % 251));
    const text = Buffer.from('the same words again and again '.repeat(40_000));
    for (const input of [Buffer.alloc(0), Buffer.from('x'), Buffer.concat([random, text, random])]) {
      const gz = new ParallelGzip({ level: 6, blockSize: 64 * 1024 });
      const out: Buffer[] = [];
      gz.on('data', (c: Buffer) => out.push(c));
      const done = new Promise((r) => gz.on('end', r));
      for (let i = 0; i < input.length; i += 10_000) gz.write(input.subarray(i, i + 10_000));
      gz.end();
      await done;
      const bytes = Buffer.concat(out);
      expect(sh(['gzip', '-dc'], { input: bytes }).equals(input)).toBe(true);
      expect(gunzipSync(bytes).equals(input)).toBe(true);
    }
  });
});
