// Chapter 2: the mount executor. Plans are data (their argv is checked without mounting); the
// executor always cleans up: withMounted unmounts when its function throws, falls back to a lazy
// unmount when the mount is busy, and a failed mount names the command and what it printed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { mountArgv, mountPlan, mountsUsing, readOnlyBind, unmount, withMounted, type MountPlan } from '../../engine/unionfs/index.js';
import { cleanupEnv, leftoverMounts, makeEnv, skipUnless, type Env } from './helpers.js';

const bindPlan = (source: string, readonly = false): MountPlan => ({
  driver: 'copy', key: 'k', layers: [source], readonly,
  mounts: readonly ? readOnlyBind(source) : [{ type: 'bind', source, options: ['bind'] }],
});

describe('mount argv (no root needed)', () => {
  it('spells each described mount as one mount(8) command', () => {
    expect(mountArgv({ type: 'overlay', source: 'overlay', options: ['lowerdir=2/fs:1/fs', 'upperdir=/s/3/fs', 'workdir=/s/3/work'] }, '/m'))
      .toEqual(['mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir=2/fs:1/fs,upperdir=/s/3/fs,workdir=/s/3/work', '/m']);
    expect(readOnlyBind('/src').map((m) => mountArgv(m, '/m'))).toEqual([
      ['mount', '-o', 'bind', '/src', '/m'],
      ['mount', '-o', 'remount,bind,ro', '/m'],
    ]);
  });
});

describe.skipIf(skipUnless({ root: true }))('mount executor', () => {
  let env: Env;
  beforeEach(async () => {
    env = await makeEnv();
    mkdirSync(env.dir('src'));
    writeFileSync(join(env.dir('src'), 'file'), 'content');
  });
  afterEach(async () => cleanupEnv(env));

  it('mounts, traces and unmounts a bind plan', async () => {
    const span = env.tracer.start('unionfs', 'test');
    const seen = await withMounted({ plan: bindPlan(env.dir('src')), tmpRoot: env.dir('tmp'), span }, async (root) => {
      expect(await mountsUsing(env.dir('src'))).toEqual([root]);
      return readFileSync(join(root, 'file'), 'utf8');
    });
    expect(seen).toBe('content');
    expect(leftoverMounts(env.root)).toEqual([]);
    expect(env.sink.ops()).toEqual(expect.arrayContaining(['bind.mount:start', 'bind.mount:end', 'unmount:end']));
  });

  it('unmounts and removes the dir even when the function throws', async () => {
    let where = '';
    await expect(withMounted({ plan: bindPlan(env.dir('src')), tmpRoot: env.dir('tmp') }, async (root) => {
      where = root;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(leftoverMounts(env.root)).toEqual([]);
    expect(existsSync(where)).toBe(false);
    expect(existsSync(join(env.dir('src'), 'file'))).toBe(true);
  });

  it('falls back to a lazy unmount when the mount is busy', async () => {
    const fh = await withMounted({ plan: bindPlan(env.dir('src')), tmpRoot: env.dir('tmp') }, async (root) => open(join(root, 'file'), 'r'));
    try {
      expect(leftoverMounts(env.root)).toEqual([]);
      expect((await fh.readFile('utf8'))).toBe('content');
    } finally {
      await fh.close();
    }
  });

  it('names the command, target and stderr when a mount fails', async () => {
    const plan: MountPlan = { driver: 'overlay', key: 'k', layers: [], readonly: true, cwd: env.root, mounts: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=missing1:missing2'] }] };
    const target = env.dir('target');
    mkdirSync(target);
    const err = await mountPlan({ plan, target }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MOUNT_FAILED', data: { target, argv: expect.arrayContaining(['mount', '-t', 'overlay']) } });
    expect((err as Error).message).toContain(target);
    await expect(unmount({ target })).rejects.toMatchObject({ code: 'UNMOUNT_FAILED' });
  });

  it('makes a read-only bind with a remount step', async () => {
    await withMounted({ plan: bindPlan(env.dir('src'), true), tmpRoot: env.dir('tmp') }, async (root) => {
      expect(() => writeFileSync(join(root, 'x'), 'x')).toThrow(/EROFS/);
    });
    writeFileSync(join(env.dir('src'), 'x'), 'still writable here');
  });
});
