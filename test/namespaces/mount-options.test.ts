// mount-options.ts as tables: `-v` strings, `--mount` objects and `--tmpfs` entries to mount
// requests and spec mounts, and the hostile inputs named after the error code they produce.
import { describe, expect, it } from 'vitest';
import { mergeOptions, parseBind, planMounts, specMount } from '../../engine/namespaces/mount-options.js';
import type { EngineError } from '../../engine/base/index.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as EngineError).code;
  }
  return undefined;
};

describe('parseBind', () => {
  const table: Array<[string, { type: string; source: string; destination: string; readOnly: boolean; createHostPath: boolean }]> = [
    ['/host:/ctr', { type: 'bind', source: '/host', destination: '/ctr', readOnly: false, createHostPath: true }],
    ['/host/:/ctr/:ro', { type: 'bind', source: '/host/', destination: '/ctr', readOnly: true, createHostPath: true }],
    ['/a/../b:/x:rw', { type: 'bind', source: '/b', destination: '/x', readOnly: false, createHostPath: true }],
    ['data:/var/lib/data', { type: 'volume', source: 'data', destination: '/var/lib/data', readOnly: false, createHostPath: false }],
    ['my.vol_1:/d:ro', { type: 'volume', source: 'my.vol_1', destination: '/d', readOnly: true, createHostPath: false }],
    ['/anon', { type: 'volume', source: '', destination: '/anon', readOnly: false, createHostPath: false }],
  ];
  it.each(table)('%s', (spec, want) => expect(parseBind(spec)).toMatchObject(want));

  const hostile: Array<[code: string, spec: string]> = [
    ['RELATIVE_HOST_PATH', './data:/x'],
    ['RELATIVE_HOST_PATH', 'data/sub:/x'],
    ['CONTAINER_PATH_NOT_ABSOLUTE', '/host:ctr'],
    ['CONTAINER_PATH_NOT_ABSOLUTE', 'relative'],
    ['MOUNT_ON_ROOT', '/host:/'],
    ['INVALID_MOUNT_MODE', '/host:/x:rx'],
    ['INVALID_VOLUME_SPEC', '/a:/b:ro:extra'],
    ['INVALID_VOLUME_SPEC', ':/x'],
    ['INVALID_VOLUME_NAME', 'x:/x'],
    ['INVALID_VOLUME_NAME', '-v:/x'],
  ];
  it.each(hostile)('%s: %s', (code, spec) => expect(codeOf(() => parseBind(spec))).toBe(code));
});

describe('planMounts', () => {
  it('reads Binds, Mounts and Tmpfs, adds image volumes, and sorts parents first', () => {
    const plan = planMounts({
      hostConfig: {
        Binds: ['/srv/a/b:/a/b:ro', 'named:/data'],
        Mounts: [{ Type: 'bind', Source: '/srv/a', Target: '/a' }, { Type: 'tmpfs', Target: '/scratch', ReadOnly: false }],
        Tmpfs: { '/run': 'size=64m' },
      },
      imageVolumes: { '/var/lib/db': {}, '/data': {} },
    });
    expect(plan.map((r) => `${r.type} ${r.source || '-'} ${r.destination}${r.readOnly ? ' ro' : ''}`)).toEqual([
      'volume named /data', 'bind /srv/a /a', 'tmpfs - /scratch', 'tmpfs - /run', 'bind /srv/a/b /a/b ro', 'volume - /var/lib/db',
    ]);
    expect(plan.find((r) => r.destination === '/a')!.createHostPath).toBe(false); // --mount never creates
    expect(plan.find((r) => r.destination === '/run')!.options).toEqual(['size=64m']);
  });

  const hostile: Array<[code: string, hostConfig: Parameters<typeof planMounts>[0]['hostConfig']]> = [
    ['DUPLICATE_MOUNT_POINT', { Binds: ['/a:/x', 'v1:/x/'] }],
    ['DUPLICATE_MOUNT_POINT', { Binds: ['/a:/run'], Tmpfs: { '/run': '' } }],
    ['MOUNT_TYPE_UNSUPPORTED', { Mounts: [{ Type: 'npipe', Source: '/a', Target: '/x' }] }],
    ['RELATIVE_HOST_PATH', { Mounts: [{ Type: 'bind', Source: 'rel', Target: '/x' }] }],
    ['MOUNT_TARGET_MISSING', { Mounts: [{ Type: 'volume', Source: 'v1' }] }],
    ['TMPFS_SOURCE', { Mounts: [{ Type: 'tmpfs', Source: '/a', Target: '/x' }] }],
    ['CONTAINER_PATH_NOT_ABSOLUTE', { Tmpfs: { run: '' } }],
  ];
  it.each(hostile)('%s', (code, hostConfig) => expect(codeOf(() => planMounts({ hostConfig }))).toBe(code));
});

describe('specMount', () => {
  it('binds are rbind + rprivate, ro when asked; a volume binds its mountpoint', () => {
    expect(specMount(parseBind('/h:/c:ro'))).toEqual({ destination: '/c', type: 'bind', source: '/h', options: ['rbind', 'ro', 'rprivate'] });
    expect(specMount(parseBind('v1:/c'), '/root/volumes/v1/_data')).toEqual({ destination: '/c', type: 'bind', source: '/root/volumes/v1/_data', options: ['rbind', 'rprivate'] });
  });
  it("tmpfs gets Docker's noexec,nosuid,nodev, and the user's options win", () => {
    const [run, exec] = planMounts({ hostConfig: { Tmpfs: { '/run': 'size=64m', '/x': 'exec,mode=1777' } } });
    expect(specMount(run!)).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=64m'] });
    expect(specMount(exec!).options).toEqual(['nosuid', 'nodev', 'exec', 'mode=1777']);
  });
  it('mergeOptions: a flag replaces its opposite, key=value its key', () => {
    expect(mergeOptions(['noexec', 'size=1m', 'rw', 'exec', 'size=2m', 'ro'])).toEqual(['exec', 'size=2m', 'ro']);
  });
});
