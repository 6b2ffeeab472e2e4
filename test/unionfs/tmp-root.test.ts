// Chapter 2: clearing the daemon's scratch directory at start (mount.ts, clearTmpRoot). Found
// while writing the crash tests (test/reliability/crash.test.ts): a daemon SIGKILLed inside
// withMounted leaves the mount behind, and the next start's `rm -r tmp/` walked into it — deleting
// a read-write mounted snapshot's files, failing the start (EROFS) on a read-only one. Now every
// mount under the directory is detached before anything is removed.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearTmpRoot, mountPlan, readOnlyBind } from '../../engine/unionfs/index.js';
import { leftoverMounts, skipUnless } from './helpers.js';
import { tempDir } from '../tmp.js';

let base = '';
afterEach(() => {
  if (base) expect(leftoverMounts(base)).toEqual([]);
});

describe.skipIf(skipUnless({ root: true }))('clearTmpRoot', () => {
  it('detaches the mounts a killed daemon left, read-write and read-only, and keeps the files behind them', async () => {
    base = await tempDir('dkl-tmproot-');
    const snapshot = join(base, 'snapshot');
    const layer = join(base, 'layer');
    mkdirSync(join(snapshot, 'etc'), { recursive: true });
    mkdirSync(layer);
    writeFileSync(join(snapshot, 'etc', 'hostname'), 'kept\n');
    writeFileSync(join(layer, 'file'), 'kept\n');
    const tmp = join(base, 'tmp');
    for (const d of ['mnt-rw', 'mnt-ro']) mkdirSync(join(tmp, d), { recursive: true });
    // What withMounted had mounted when the daemon was killed: a container's root, and a view.
    await mountPlan({ plan: { driver: 'copy', key: 'rw', layers: [], readonly: false, mounts: [{ type: 'bind', source: snapshot, options: ['bind'] }] }, target: join(tmp, 'mnt-rw') });
    await mountPlan({ plan: { driver: 'copy', key: 'ro', layers: [], readonly: true, mounts: readOnlyBind(layer) }, target: join(tmp, 'mnt-ro') });

    await clearTmpRoot(tmp);

    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(join(snapshot, 'etc', 'hostname'))).toBe(true);
    expect(existsSync(join(layer, 'file'))).toBe(true);
  });

  it('makes the directory when it is not there', async () => {
    base = await tempDir('dkl-tmproot-');
    await clearTmpRoot(join(base, 'tmp'));
    expect(readdirSync(join(base, 'tmp'))).toEqual([]);
  });
});
