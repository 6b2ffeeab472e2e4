// Chapter 2: `docker diff` semantics, on hand-made directories (no mounts): an overlay upperdir
// over lower layers that have their own whiteouts and opaque dirs, and a copy compared with its
// parent by lstat fields. Parents of changed paths show as C; output is sorted by path.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changes, type Snapshotter } from '../../engine/unionfs/index.js';
import { cleanupEnv, makeEnv, skipUnless, writeTree, type Env } from './helpers.js';

/** A snapshotter that only knows where one snapshot's changes are. */
const fake = (source: Awaited<ReturnType<Snapshotter['changesSource']>>): Snapshotter =>
  ({ driver: source.form === 'overlay' ? 'overlay' : 'copy', changesSource: async () => source }) as unknown as Snapshotter;

const whiteout = (p: string) => execFileSync('mknod', [p, 'c', '0', '0']);
const opaque = (p: string) => execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', p]);

describe.skipIf(skipUnless({ root: true }))('changes', () => {
  let env: Env;
  beforeEach(async () => {
    env = await makeEnv();
  });
  afterEach(async () => cleanupEnv(env));

  it('reads an overlay upperdir against lowers with their own whiteouts and opaque dirs', async () => {
    const [l1, l2, up] = [env.dir('l1'), env.dir('l2'), env.dir('up')];
    writeTree(l1, { 'a/x': 'x', 'a/y': 'y', 'd/p': 'p', f: 'f', 'deep/1/2/file': 'old', keep: 'k' });
    writeTree(l2, { 'd/r': 'r', a: null });
    whiteout(join(l2, 'f'));
    opaque(join(l2, 'd'));
    writeTree(up, { a: null, 'd/s': 's', f: 'again', 'deep/1/2/file': 'new', 'n/m': 'm' });
    whiteout(join(up, 'a/y'));
    opaque(join(up, 'd'));
    const got = await changes({ snapshotter: fake({ form: 'overlay', upper: up, lowers: [l2, l1] }), key: 'k' });
    expect(got).toEqual([
      { kind: 'C', path: '/a' }, { kind: 'D', path: '/a/y' },
      { kind: 'C', path: '/d' }, { kind: 'D', path: '/d/r' }, { kind: 'A', path: '/d/s' },
      { kind: 'C', path: '/deep' }, { kind: 'C', path: '/deep/1' }, { kind: 'C', path: '/deep/1/2' }, { kind: 'C', path: '/deep/1/2/file' },
      { kind: 'A', path: '/f' }, // deleted by a lower layer, so new again
      { kind: 'A', path: '/n' }, { kind: 'A', path: '/n/m' },
    ]);
  });

  it('compares a copy with its parent by type, mode, owner, size, mtime and link target', async () => {
    const [parent, dir] = [env.dir('parent'), env.dir('copy')];
    writeTree(parent, {
      'etc/passwd': 'p', 'etc/mode': 'm', 'etc/owner': 'o', 'etc/touched': 't', 'etc/same': 's', link: { link: 'etc/passwd' },
      'gone/deep/file': 'g', 'was-file': 'f', quiet: null, 'quiet/file': 'q',
    });
    execFileSync('cp', ['-a', `${parent}/.`, dir]);
    writeFileSync(join(dir, 'etc/passwd'), 'p2');
    chmodSync(join(dir, 'etc/mode'), 0o600);
    chownSync(join(dir, 'etc/owner'), 1000, 1000);
    utimesSync(join(dir, 'etc/touched'), new Date('2001-01-01'), new Date('2001-01-01'));
    unlinkSync(join(dir, 'link'));
    symlinkSync('etc/same', join(dir, 'link'));
    rmSync(join(dir, 'gone'), { recursive: true });
    unlinkSync(join(dir, 'was-file'));
    mkdirSync(join(dir, 'was-file'));
    writeFileSync(join(dir, 'was-file/inside'), 'i');
    utimesSync(join(dir, 'quiet'), new Date('2001-01-01'), new Date('2001-01-01')); // a dir's mtime alone is no change
    mkdirSync(join(dir, 'new/sub'), { recursive: true });
    const got = await changes({ snapshotter: fake({ form: 'copy', dir, parentDir: parent }), key: 'k' });
    expect(got).toEqual([
      { kind: 'C', path: '/etc' }, { kind: 'C', path: '/etc/mode' }, { kind: 'C', path: '/etc/owner' },
      { kind: 'C', path: '/etc/passwd' }, { kind: 'C', path: '/etc/touched' },
      { kind: 'D', path: '/gone' }, { kind: 'C', path: '/link' },
      { kind: 'A', path: '/new' }, { kind: 'A', path: '/new/sub' },
      { kind: 'C', path: '/was-file' }, { kind: 'A', path: '/was-file/inside' },
    ]);
  });

  it('lists everything as added when there is no parent', async () => {
    const dir = env.dir('copy');
    writeTree(dir, { 'a/b': 'b', c: 'c' });
    expect(await changes({ snapshotter: fake({ form: 'copy', dir }), key: 'k' })).toEqual([
      { kind: 'A', path: '/a' }, { kind: 'A', path: '/a/b' }, { kind: 'A', path: '/c' },
    ]);
  });
});
