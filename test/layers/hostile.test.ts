// Chapter 1: hostile layers. Each fixture is a tar built here, byte by byte, named after the
// error code it must produce. Besides the code, every case checks that nothing appeared
// outside the target: a sentinel directory beside it stays exactly as it was, and the absolute
// paths a fixture aims at do not exist.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { unpackLayer } from '../../engine/layers/unpack.js';
import { listing, tempDirs, xattrDump, missing } from './fixtures/tree.js';
import { buildTar, gnuLongNameTar, type FixtureEntry } from './fixtures/tar.js';

const dirs = tempDirs('dockling-hostile-');
let base: string;
let target: string;
let sentinel: string;
/** An absolute path outside everything, unique per run, that no fixture may create. */
let outside: string;

beforeEach(async () => {
  base = await dirs.make();
  target = join(base, 'target');
  sentinel = join(base, 'sentinel');
  mkdirSync(target);
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'file'), 'precious');
  outside = join(base, `outside-${randomBytes(4).toString('hex')}`);
});
afterEach(() => dirs.cleanup());

interface Fixture {
  what: string;
  /** Layers applied first, which must succeed (a lower layer setting a trap). */
  lower?: () => Promise<Buffer>;
  layer: () => Promise<Buffer>;
  expected?: { digest?: `sha256:${string}`; diffID?: `sha256:${string}` };
  /** The unpack's limit on uncompressed bytes, for the bombs. */
  maxBytes?: number;
}

const tar = (entries: FixtureEntry[]) => () => buildTar(entries);
const sentinelPath = () => sentinel;
const long = (n: number) => 'x/'.repeat(n);

const fixtures: Record<string, Fixture[]> = {
  LAYER_ABSOLUTE_PATH: [
    { what: 'an absolute name', layer: () => buildTar([{ name: `${outside}/pwned`, data: 'x' }]) },
    { what: 'an absolute directory', layer: () => buildTar([{ name: `${outside}/`, type: 'directory' }]) },
  ],
  LAYER_PATH_TRAVERSAL: [
    { what: '../x', layer: tar([{ name: '../sentinel/pwned', data: 'x' }]) },
    { what: 'a/../../x', layer: tar([{ name: 'a/../../sentinel/pwned', data: 'x' }]) },
    { what: 'a long PAX path climbing out', layer: tar([{ name: long(70) + '../'.repeat(71) + 'sentinel/pwned', data: 'x' }]) },
    { what: 'a PAX path record overriding a harmless name', layer: tar([{ name: 'harmless', pax: { path: '../sentinel/pwned' }, data: 'x' }]) },
    { what: 'a GNU long name climbing out', layer: async () => gnuLongNameTar(long(60) + '../'.repeat(61) + 'sentinel/pwned') },
    { what: 'a whiteout pointing outside', layer: tar([{ name: '../sentinel/.wh.file' }]) },
    { what: 'a symlink named outside', layer: tar([{ name: '../sentinel/link', type: 'symlink', linkname: '/etc/passwd' }]) },
  ],
  LAYER_BAD_NAME: [
    { what: 'a NUL in a PAX path', layer: tar([{ name: 'ok', pax: { path: 'evil\0/../x' }, data: 'x' }]) },
    { what: 'a name empty once cleaned', layer: tar([{ name: 'a/..', data: 'x' }]) },
  ],
  LAYER_SYMLINK_ESCAPE: [
    { what: 'a relative symlink to ../', layer: tar([{ name: 'link', type: 'symlink', linkname: '../sentinel' }]) },
    { what: 'a nested symlink climbing past the root', layer: tar([{ name: 'a/b/link', type: 'symlink', linkname: '../../../sentinel/file' }]) },
  ],
  LAYER_PATH_THROUGH_SYMLINK: [
    { what: 'd -> /outside, then d/x', layer: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'd/pwned', data: 'x' }]) },
    { what: 'd -> ../../.. (inside), then d/x', layer: tar([{ name: 'a/b/c/d', type: 'symlink', linkname: '../../..' }, { name: 'a/b/c/d/pwned', data: 'x' }]) },
    {
      what: 'a dir replaced by a symlink in the same layer',
      layer: () => buildTar([{ name: 'd/', type: 'directory' }, { name: 'd/ok', data: 'ok' }, { name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'd/pwned', data: 'x' }]),
    },
    { what: 'a symlink from a lower layer', lower: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }]), layer: tar([{ name: 'd/pwned', data: 'x' }]) },
    { what: 'a chain a -> b -> outside', layer: () => buildTar([{ name: 'b', type: 'symlink', linkname: sentinelPath() }, { name: 'a', type: 'symlink', linkname: 'b' }, { name: 'a/pwned', data: 'x' }]) },
    { what: 'a directory entry through a symlink', layer: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'd/sub/', type: 'directory' }]) },
    { what: 'a symlink entry through a symlink', layer: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'd/l', type: 'symlink', linkname: '/' }]) },
    { what: 'a whiteout through a lower symlink', lower: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }]), layer: tar([{ name: 'd/.wh.file' }]) },
    { what: 'an opaque marker through a lower symlink', lower: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }]), layer: tar([{ name: 'd/.wh..wh..opq' }]) },
    { what: 'a hardlink placed through a symlink', layer: () => buildTar([{ name: 'f', data: 'f' }, { name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'd/h', type: 'link', linkname: 'f' }]) },
  ],
  LAYER_HARDLINK_ESCAPE: [
    { what: 'a hardlink to ../', layer: tar([{ name: 'h', type: 'link', linkname: '../sentinel/file' }]) },
    { what: 'a hardlink to an absolute path', layer: tar([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]) },
    { what: 'a hardlink through a symlink', layer: () => buildTar([{ name: 'd', type: 'symlink', linkname: sentinelPath() }, { name: 'h', type: 'link', linkname: 'd/file' }]) },
  ],
  LAYER_BAD_HARDLINK: [
    { what: 'a hardlink to a missing file', layer: tar([{ name: 'h', type: 'link', linkname: 'missing' }]) },
    { what: 'a hardlink to a directory', layer: tar([{ name: 'dir/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'dir' }]) },
    { what: 'a hardlink to an entry that comes later', layer: tar([{ name: 'h', type: 'link', linkname: 'later' }, { name: 'later', data: 'x' }]) },
  ],
  LAYER_TRUNCATED: [
    { what: 'a tar cut mid-file', layer: async () => (await buildTar([{ name: 'big', data: randomBytes(100_000) }])).subarray(0, 50_000) },
    { what: 'a gzip cut mid-stream', layer: async () => gzipSync(await buildTar([{ name: 'big', data: randomBytes(100_000) }])).subarray(0, 50_000) },
  ],
  LAYER_NOT_TAR: [
    { what: 'random bytes', layer: async () => randomBytes(8192) },
    { what: 'a few random bytes', layer: async () => Buffer.from('definitely not a tar') },
  ],
  LAYER_CORRUPT_GZIP: [
    { what: 'a gzip header then garbage', layer: async () => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), randomBytes(4096)]) },
    {
      what: 'a gzip with a flipped byte',
      layer: async () => {
        const gz = gzipSync(await buildTar([{ name: 'f', data: 'hello '.repeat(10_000) }]));
        gz[gz.length - 6] ^= 0xff; // inside the CRC-32 trailer
        return gz;
      },
    },
  ],
  LAYER_UNSUPPORTED_COMPRESSION: [{ what: 'zstd', layer: async () => Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), randomBytes(64)]) }],
  // Issue 9: what the layer chapter's categories add at scale.
  LAYER_TOO_LARGE: [
    { what: 'a gzip bomb: 64 MiB of zeros in ~64 KiB, past an 8 MiB limit', layer: async () => gzipSync(await buildTar([{ name: 'zeros', data: Buffer.alloc(64 << 20) }]), { level: 9 }), maxBytes: 8 << 20 },
    { what: 'many small members adding up past the limit', layer: async () => gzipSync(await buildTar(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(1 << 20) })))), maxBytes: 8 << 20 },
  ],
  LAYER_PATH_TOO_LONG: [
    { what: 'a path of 3000 levels (PATH_MAX and beyond)', layer: tar([{ name: 'd/'.repeat(3000) + 'f', data: 'x' }]) },
    { what: 'a 4096-byte name component', layer: tar([{ name: 'x'.repeat(4096), data: 'x' }]) },
  ],
  DIGEST_MISMATCH: [{ what: 'a wrong digest', layer: tar([{ name: 'f', data: 'f' }]), expected: { digest: `sha256:${'0'.repeat(64)}` } }],
  DIFFID_MISMATCH: [{ what: 'a wrong diffID', layer: tar([{ name: 'f', data: 'f' }]), expected: { diffID: `sha256:${'1'.repeat(64)}` } }],
};

const cases = Object.entries(fixtures).flatMap(([code, list]) => list.map((f) => ({ code, ...f })));

describe('hostile layers', () => {
  it.each(cases)('$code: $what', async ({ code, lower, layer, expected, maxBytes }) => {
    const before = { list: listing(sentinel), xattrs: xattrDump(sentinel), entries: readdirSync(base).sort() };
    if (lower) await unpackLayer({ source: Readable.from([await lower()]), target });
    const err = await unpackLayer({ source: Readable.from([await layer()]), target, expected, maxBytes }).then(
      () => null,
      (e: unknown) => e as { code?: string; data?: Record<string, unknown> },
    );
    expect(err?.code).toBe(code);
    expect(listing(sentinel)).toEqual(before.list);
    expect(xattrDump(sentinel)).toEqual(before.xattrs);
    expect(readdirSync(base).sort()).toEqual(before.entries);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync('/etc/pwned') || existsSync('/pwned')).toBe(false);
    if (code === 'DIGEST_MISMATCH' || code === 'DIFFID_MISMATCH') expect(err?.data).toMatchObject({ expected: expect.any(String), actual: expect.any(String) });
  });

  // Duplicate names are tar's own semantics, not an attack: the later entry wins, as in Docker
  // and containerd. What matters is that the replacement happens inside the target.
  it.each([
    { what: 'a file, then a directory of the same name', entries: [{ name: 'same', data: 'x' }, { name: 'same/', type: 'directory' as const }, { name: 'same/in', data: 'y' }], dir: true },
    { what: 'a directory, then a file of the same name', entries: [{ name: 'same/', type: 'directory' as const }, { name: 'same/in', data: 'y' }, { name: 'same', data: 'x' }], dir: false },
  ])('duplicate entries: $what — the later wins, inside the target', async ({ entries, dir }) => {
    const before = listing(sentinel);
    await unpackLayer({ source: Readable.from([await buildTar(entries)]), target });
    expect(statSync(join(target, 'same')).isDirectory()).toBe(dir);
    expect(listing(sentinel)).toEqual(before);
  });

  it.skipIf(missing({ root: true }))('never applies trusted.overlay.* or security.capability from a layer', async () => {
    const layer = await buildTar([
      { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.fine': 'ok' } },
      { name: 'bin', data: 'x', pax: { 'SCHILY.xattr.security.capability': 'x', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]);
    await unpackLayer({ source: Readable.from([layer]), target });
    const dump = xattrDump(target);
    expect(dump).toContain('user.fine');
    expect(dump).not.toContain('trusted.overlay');
    expect(dump).not.toContain('security.capability');
  });
});
