// The pure half of --runtime runc|crun (oci-runtime.ts), without root: which name a HostConfig
// asks for, the spec adjustments (runc's own cgroup path, the prepared network namespace by
// path, none for --network host) and the command the shim supervises. And the tests' own pure
// half of running crun on a hybrid cgroup machine (hybrid-cgroups.ts): when hugetlb is moved out
// of cgroup2, and when that is impossible.
import { describe, expect, it } from 'vitest';
import { ociCgroupName, ociRunArgv, ociSpec, runtimeOf } from '../../engine/namespaces/oci-runtime.js';
import type { Spec } from '../../engine/namespaces/index.js';
import { HUGETLB_V1, crunMayRefuse, decideHugetlb, hugetlbInProcCgroups, v1MountOptions, type HybridLayout } from './hybrid-cgroups.js';

const spec = {
  ociVersion: '1.0.2',
  linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }], cgroupsPath: '/dockling/abc', maskedPaths: [], readonlyPaths: [] },
} as unknown as Spec;

describe('oci-runtime', () => {
  it('runtimeOf: "" and absent are dockling; runc and crun by name; others UNKNOWN_RUNTIME', () => {
    expect(runtimeOf({})).toBe('dockling');
    expect(runtimeOf({ Runtime: '' })).toBe('dockling');
    expect(runtimeOf({ Runtime: 'runc' })).toBe('runc');
    expect(runtimeOf({ Runtime: 'crun' })).toBe('crun');
    expect(() => runtimeOf({ Runtime: 'kata' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_RUNTIME', kind: 'invalid-argument' }));
  });

  it('ociSpec: runc\'s own cgroup path, the prepared netns joined by path', () => {
    const out = ociSpec(spec, { id: 'abc', runtime: 'runc', netnsPath: '/data/network/netns/abc' });
    expect(out.linux.cgroupsPath).toBe('/dockling-runc/abc');
    expect(out.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'network', path: '/data/network/netns/abc' }, { type: 'mount' }]);
    expect(spec.linux.cgroupsPath).toBe('/dockling/abc'); // the input is not changed
    expect(ociCgroupName({ name: 'crun' }, 'abc')).toBe('dockling-crun/abc');
  });

  it('ociSpec: no prepared netns (--network none) leaves the runtime to make a new one', () => {
    // (--network host has no network namespace in the spec at all: the engine leaves it out.)
    expect(ociSpec(spec, { id: 'abc', runtime: 'crun', netnsPath: null }).linux.namespaces).toEqual([{ type: 'pid' }, { type: 'network' }, { type: 'mount' }]);
  });

  it('ociRunArgv: runc --root R run --bundle B ID, in the foreground', () => {
    expect(ociRunArgv({ name: 'runc', binary: '/usr/sbin/runc', root: '/data/oci' }, { bundle: '/data/run/abc/bundle', id: 'abc' }))
      .toEqual(['/usr/sbin/runc', '--root', '/data/oci', 'run', '--bundle', '/data/run/abc/bundle', 'abc']);
  });
});

describe('crun on a hybrid cgroup machine (hybrid-cgroups.ts)', () => {
  // this machine: v1 hierarchies on a tmpfs, cgroup2 at /sys/fs/cgroup/unified holding hugetlb
  const hybrid: HybridLayout = { pureV2: false, unifiedControllers: ['hugetlb'], unifiedSubtreeControl: [], target: { kind: 'absent' } };

  it('moves hugetlb only when crun really refuses; makes the mount point only if it is not there', () => {
    expect(crunMayRefuse(hybrid)).toBe(true);
    expect(decideHugetlb(hybrid, true)).toEqual({ kind: 'move', makeDir: true });
    expect(decideHugetlb({ ...hybrid, target: { kind: 'empty-dir' } }, true)).toEqual({ kind: 'move', makeDir: false });
    expect(decideHugetlb(hybrid, false)).toEqual({ kind: 'as-is', why: 'crun accepts this machine as it is' });
    const noControllers = { ...hybrid, unifiedControllers: [] };
    expect(crunMayRefuse(noControllers)).toBe(false);
    expect(decideHugetlb(noControllers, true)).toMatchObject({ kind: 'as-is' });
    expect(crunMayRefuse({ ...hybrid, pureV2: true, unifiedControllers: null })).toBe(false);
  });

  it('impossible: hugetlb used by cgroup2 groups, another controller in cgroup2, something at the mount point', () => {
    expect(decideHugetlb({ ...hybrid, unifiedSubtreeControl: ['hugetlb'] }, true)).toMatchObject({ kind: 'impossible', reason: expect.stringContaining('cgroup.subtree_control lists it') });
    expect(decideHugetlb({ ...hybrid, unifiedControllers: ['hugetlb', 'misc'] }, true)).toMatchObject({ kind: 'impossible', reason: expect.stringContaining('cgroup2 holds misc') });
    const mounted = { ...hybrid, target: { kind: 'other' as const, what: 'a mount point (tmpfs …)' } };
    expect(decideHugetlb(mounted, true)).toEqual({ kind: 'impossible', reason: `crun refuses this hybrid machine, and hugetlb cannot be moved to cgroup v1: ${HUGETLB_V1} is already a mount point (tmpfs …); not touching it` });
  });

  it('reads the neighbours\' mount options and /proc/cgroups', () => {
    const mountinfo = [
      '31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    expect(v1MountOptions(mountinfo)).toBe('rw,nosuid,nodev,noexec,relatime');
    const procCgroups = '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\nhugetlb\t14\t3\t1\n';
    expect(hugetlbInProcCgroups(procCgroups)).toEqual({ hierarchy: 14, groups: 3 });
    expect(hugetlbInProcCgroups('#subsys_name\thierarchy\tnum_cgroups\tenabled\n')).toBeUndefined();
  });
});
