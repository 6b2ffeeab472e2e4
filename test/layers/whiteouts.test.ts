// Chapter 1 (and 2): whiteouts. A layer deletes lower paths with `.wh.` entries and hides a
// lower directory's contents with `.wh..wh..opq`; for overlayfs the same facts become a 0/0
// character device and the trusted.overlay.opaque xattr.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { unpackLayer } from '../../engine/layers/unpack.js';
import { packLayer } from '../../engine/layers/pack.js';
import { classifyWhiteout, opaqueEntryName, whiteoutEntryName } from '../../engine/layers/whiteouts.js';
import { collector, missing, sh, tempDirs } from './fixtures/tree.js';
import { buildTar, type FixtureEntry } from './fixtures/tar.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const apply = async (target: string, entries: FixtureEntry[], whiteouts: 'apply' | 'overlay' = 'apply') =>
  unpackLayer({ source: Readable.from([await buildTar(entries)]), target, whiteouts });

const lower: FixtureEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', data: 'lower passwd' },
  { name: 'etc/shadow', data: 'lower shadow' },
  { name: 'opt/', type: 'directory' },
  { name: 'opt/old/', type: 'directory' },
  { name: 'opt/old/file', data: 'lower' },
  { name: 'opt/keep-name', data: 'lower version' },
  { name: 'var/', type: 'directory' },
  { name: 'var/cache/', type: 'directory' },
  { name: 'var/cache/junk', data: 'junk' },
];

describe('whiteout names', () => {
  it('classifies entries', () => {
    expect(classifyWhiteout('etc/.wh.shadow')).toEqual({ kind: 'whiteout', target: 'etc/shadow' });
    expect(classifyWhiteout('.wh.top')).toEqual({ kind: 'whiteout', target: 'top' });
    expect(classifyWhiteout('opt/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'opt' });
    expect(classifyWhiteout('.wh..wh..opq')).toEqual({ kind: 'opaque', dir: '' });
    expect(classifyWhiteout('a/.wh..wh.plnk')).toEqual({ kind: 'meta' });
    expect(classifyWhiteout('a/.wh..wh.aufs')).toEqual({ kind: 'meta' });
    expect(classifyWhiteout('a/.whatever')).toBeNull();
    expect(classifyWhiteout('a/b')).toBeNull();
    expect(whiteoutEntryName('etc/shadow')).toBe('etc/.wh.shadow');
    expect(whiteoutEntryName('top')).toBe('.wh.top');
    expect(opaqueEntryName('opt')).toBe('opt/.wh..wh..opq');
  });
});

describe("whiteouts: 'apply'", () => {
  it('a whiteout in an upper layer hides the lower file', async () => {
    const root = await dirs.make();
    await apply(root, lower);
    const r = await apply(root, [{ name: 'etc/.wh.shadow' }, { name: '.wh.var' }]);
    expect(r.whiteouts).toBe(2);
    expect(existsSync(join(root, 'etc/shadow'))).toBe(false);
    expect(existsSync(join(root, 'var'))).toBe(false);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe('lower passwd');
    expect(existsSync(join(root, 'etc/.wh.shadow'))).toBe(false);
  });

  it("an opaque dir hides lower contents but keeps the same layer's new files, in any order", async () => {
    const root = await dirs.make();
    await apply(root, lower);
    await apply(root, [
      { name: 'opt/', type: 'directory' },
      { name: 'opt/new-before', data: 'upper' },
      { name: 'opt/keep-name', data: 'upper version' },
      { name: 'opt/.wh..wh..opq' },
      { name: 'opt/new-after', data: 'upper' },
    ]);
    expect(readdirSync(join(root, 'opt')).sort()).toEqual(['keep-name', 'new-after', 'new-before']);
    expect(readFileSync(join(root, 'opt/keep-name'), 'utf8')).toBe('upper version');
  });

  it("a whiteout never hides what the same layer adds", async () => {
    const root = await dirs.make();
    await apply(root, lower);
    await apply(root, [
      { name: 'etc/shadow', data: 'new shadow' },
      { name: 'etc/.wh.shadow' },
      { name: 'opt/old/', type: 'directory' },
      { name: 'opt/old/fresh', data: 'x' },
      { name: 'opt/.wh.old' },
    ]);
    expect(readFileSync(join(root, 'etc/shadow'), 'utf8')).toBe('new shadow');
    expect(readdirSync(join(root, 'opt/old'))).toEqual(['fresh']);
  });

  it('ignores other .wh..wh. metadata entries and whiteouts of missing paths', async () => {
    const root = await dirs.make();
    await apply(root, lower);
    const r = await apply(root, [{ name: '.wh..wh.plnk/', type: 'directory' }, { name: '.wh..wh.plnk/123.456', data: 'x' }, { name: 'nowhere/.wh.thing' }, { name: 'etc/.wh.nothing' }]);
    expect(existsSync(join(root, '.wh..wh.plnk'))).toBe(false);
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
    expect(r.whiteouts).toBe(2);
  });

  it("pack with a change of kind 'D' writes .wh.name, which unpack then applies", async () => {
    const upper = await dirs.make();
    mkdirSync(join(upper, 'etc'));
    writeFileSync(join(upper, 'etc/passwd'), 'upper passwd');
    const c = collector();
    await packLayer({ root: upper, out: c.out, compression: 'gzip', changes: [{ kind: 'D', path: '/etc/shadow' }, { kind: 'C', path: '/etc/passwd' }] });
    const names: string[] = [];
    const x = extract();
    const done = (async () => {
      for await (const e of x) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    x.end((await import('node:zlib')).gunzipSync(c.bytes()));
    await done;
    expect(names).toEqual(['etc/', 'etc/.wh.shadow', 'etc/passwd']);
    const root = await dirs.make();
    await apply(root, lower);
    await unpackLayer({ source: Readable.from([c.bytes()]), target: root });
    expect(existsSync(join(root, 'etc/shadow'))).toBe(false);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe('upper passwd');
  });
});

describe("whiteouts: 'overlay'", () => {
  it.skipIf(missing({ root: true, commands: ['getfattr', 'mknod'] }))('writes a 0/0 char device and the opaque xattr', async () => {
    const layer = await dirs.make();
    const r = await apply(layer, [{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.shadow' }, { name: 'opt/', type: 'directory' }, { name: 'opt/.wh..wh..opq' }, { name: 'opt/new', data: 'n' }], 'overlay');
    expect(r.whiteouts).toBe(2);
    const st = lstatSync(join(layer, 'etc/shadow'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
    const attr = sh(['getfattr', '--only-values', '-n', 'trusted.overlay.opaque', join(layer, 'opt')]).toString();
    expect(attr).toBe('y');
    expect(readdirSync(join(layer, 'opt'))).toEqual(['new']);
  });

  it.skipIf(missing({ root: true, commands: ['getfattr', 'mknod'] }))('packs an overlay upperdir back into OCI whiteouts', async () => {
    const layer = await dirs.make();
    const entries: FixtureEntry[] = [{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.shadow' }, { name: 'opt/', type: 'directory' }, { name: 'opt/.wh..wh..opq' }, { name: 'opt/new', data: 'n' }];
    await apply(layer, entries, 'overlay');
    const c = collector();
    await packLayer({ root: layer, out: c.out, compression: 'none', whiteouts: 'overlay' });
    const names: string[] = [];
    const x = extract();
    const done = (async () => {
      for await (const e of x) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    x.end(c.bytes());
    await done;
    expect(names).toEqual(['etc/', 'etc/.wh.shadow', 'opt/', 'opt/.wh..wh..opq', 'opt/new']);
  });
});
