// Chapter 3: the cgroup plan is data. These tables check, without root and without a kernel,
// what `-m`, `--memory-swap`, `--cpus`, `--cpu-shares` and `--pids-limit` turn into on v1 (one
// directory per controller) and on v2 (one directory, controllers enabled down the path).
import { describe, expect, it } from 'vitest';
import { cgroupName, planCgroup, type CgroupLimits, type DetectedCgroups } from '../../engine/namespaces/cgroup-plan.js';

const V1: DetectedCgroups = { version: 1, root: '/sys/fs/cgroup', controllers: ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'], swapAccounting: true };
const V2: DetectedCgroups = { version: 2, root: '/sys/fs/cgroup', controllers: ['cpu', 'cpuset', 'io', 'memory', 'pids'], swapAccounting: true };
const M = 1024 * 1024;
const name = 'dockling/c1';
const v1 = (c: string, file: string) => `/sys/fs/cgroup/${c}/dockling/c1/${file}`;
const v2 = (file: string) => `/sys/fs/cgroup/dockling/c1/${file}`;

describe('v1 plans', () => {
  it('a plan with no limits: every accounting hierarchy, no writes (cpuset left out)', () => {
    expect(planCgroup({ name, limits: {}, detected: V1 })).toEqual({
      version: 1,
      name,
      dirs: ['memory', 'cpu', 'cpuacct', 'pids', 'freezer'].map((c) => `/sys/fs/cgroup/${c}/dockling/c1`),
      procsFiles: ['memory', 'cpu', 'cpuacct', 'pids', 'freezer'].map((c) => v1(c, 'cgroup.procs')),
      writes: [],
    });
  });

  const table: Array<[string, CgroupLimits, Array<[string, string]>]> = [
    ['-m 32m: memsw twice the memory (Docker default)', { memoryBytes: 32 * M }, [[v1('memory', 'memory.limit_in_bytes'), String(32 * M)], [v1('memory', 'memory.memsw.limit_in_bytes'), String(64 * M)]]],
    ['-m 32m --memory-swap 32m: no swap', { memoryBytes: 32 * M, memorySwapBytes: 32 * M }, [[v1('memory', 'memory.limit_in_bytes'), String(32 * M)], [v1('memory', 'memory.memsw.limit_in_bytes'), String(32 * M)]]],
    ['-m 32m --memory-swap -1: unlimited swap', { memoryBytes: 32 * M, memorySwapBytes: -1 }, [[v1('memory', 'memory.limit_in_bytes'), String(32 * M)], [v1('memory', 'memory.memsw.limit_in_bytes'), '-1']]],
    ['--cpus 1.5: period then quota', { cpus: 1.5 }, [[v1('cpu', 'cpu.cfs_period_us'), '100000'], [v1('cpu', 'cpu.cfs_quota_us'), '150000']]],
    ['--cpus 0.5', { cpus: 0.5 }, [[v1('cpu', 'cpu.cfs_period_us'), '100000'], [v1('cpu', 'cpu.cfs_quota_us'), '50000']]],
    ['--cpu-shares 512', { cpuShares: 512 }, [[v1('cpu', 'cpu.shares'), '512']]],
    ['--cpu-shares 1 is clamped to the kernel minimum 2', { cpuShares: 1 }, [[v1('cpu', 'cpu.shares'), '2']]],
    ['--pids-limit 64', { pidsLimit: 64 }, [[v1('pids', 'pids.max'), '64']]],
    ['--pids-limit -1 and 0 are unlimited: nothing written', { pidsLimit: -1 }, []],
    ['all knobs, in the documented order', { memoryBytes: 64 * M, memorySwapBytes: 128 * M, cpus: 2, cpuShares: 2048, pidsLimit: 100 }, [
      [v1('memory', 'memory.limit_in_bytes'), String(64 * M)],
      [v1('memory', 'memory.memsw.limit_in_bytes'), String(128 * M)],
      [v1('cpu', 'cpu.cfs_period_us'), '100000'],
      [v1('cpu', 'cpu.cfs_quota_us'), '200000'],
      [v1('cpu', 'cpu.shares'), '2048'],
      [v1('pids', 'pids.max'), '100'],
    ]],
  ];
  it.each(table)('%s', (_, limits, writes) => {
    expect(planCgroup({ name, limits, detected: V1 }).writes).toEqual(writes.map(([file, value]) => ({ file, value })));
  });

  it('without swap accounting (swapaccount=0) memsw is not written', () => {
    const plan = planCgroup({ name, limits: { memoryBytes: 32 * M }, detected: { ...V1, swapAccounting: false } });
    expect(plan.writes.map((w) => w.file)).toEqual([v1('memory', 'memory.limit_in_bytes')]);
  });

  it('uses only the hierarchies the machine has', () => {
    const plan = planCgroup({ name, limits: {}, detected: { ...V1, controllers: ['memory', 'pids'] } });
    expect(plan.dirs).toEqual([`/sys/fs/cgroup/memory/${name}`, `/sys/fs/cgroup/pids/${name}`]);
  });
});

describe('v2 plans', () => {
  const enable = [
    { file: '/sys/fs/cgroup/cgroup.subtree_control', value: '+cpu +memory +pids' },
    { file: '/sys/fs/cgroup/dockling/cgroup.subtree_control', value: '+cpu +memory +pids' },
  ];

  it('a plan with no limits: one directory, controllers enabled from the root down', () => {
    expect(planCgroup({ name, limits: {}, detected: V2 })).toEqual({
      version: 2, name, dirs: ['/sys/fs/cgroup/dockling/c1'], procsFiles: [v2('cgroup.procs')], writes: enable,
    });
  });

  const table: Array<[string, CgroupLimits, Array<[string, string]>]> = [
    ['-m 32m: swap.max is the swap alone (memory-swap 64m minus memory 32m)', { memoryBytes: 32 * M }, [[v2('memory.max'), String(32 * M)], [v2('memory.swap.max'), String(32 * M)]]],
    ['-m 32m --memory-swap 32m: swap.max 0', { memoryBytes: 32 * M, memorySwapBytes: 32 * M }, [[v2('memory.max'), String(32 * M)], [v2('memory.swap.max'), '0']]],
    ['-m 32m --memory-swap -1: swap.max max', { memoryBytes: 32 * M, memorySwapBytes: -1 }, [[v2('memory.max'), String(32 * M)], [v2('memory.swap.max'), 'max']]],
    ['--cpus 1.5: cpu.max "150000 100000"', { cpus: 1.5 }, [[v2('cpu.max'), '150000 100000']]],
    ['--cpu-shares 1024 is the default weight 100', { cpuShares: 1024 }, [[v2('cpu.weight'), '100']]],
    ['--cpu-shares 2048 is weight 200', { cpuShares: 2048 }, [[v2('cpu.weight'), '200']]],
    ['--cpu-shares 2 is the minimum weight 1', { cpuShares: 2 }, [[v2('cpu.weight'), '1']]],
    ['--cpu-shares 262144 is the maximum weight 10000', { cpuShares: 262144 }, [[v2('cpu.weight'), '10000']]],
    ['--pids-limit 64', { pidsLimit: 64 }, [[v2('pids.max'), '64']]],
    ['all knobs, in the documented order', { memoryBytes: 64 * M, memorySwapBytes: 96 * M, cpus: 0.25, cpuShares: 512, pidsLimit: 10 }, [
      [v2('memory.max'), String(64 * M)],
      [v2('memory.swap.max'), String(32 * M)],
      [v2('cpu.max'), '25000 100000'],
      [v2('cpu.weight'), '50'],
      [v2('pids.max'), '10'],
    ]],
  ];
  it.each(table)('%s', (_, limits, writes) => {
    expect(planCgroup({ name, limits, detected: V2 }).writes).toEqual([...enable, ...writes.map(([file, value]) => ({ file, value }))]);
  });

  it('enables only the controllers the root offers, and none when it offers none', () => {
    const some = planCgroup({ name, limits: {}, detected: { ...V2, controllers: ['memory', 'io'] } });
    expect(some.writes.map((w) => w.value)).toEqual(['+memory', '+memory']);
    const none = planCgroup({ name, limits: {}, detected: { version: 2, root: '/sys/fs/cgroup/unified', controllers: [] } });
    expect(none).toEqual({
      version: 2, name, dirs: ['/sys/fs/cgroup/unified/dockling/c1'], procsFiles: ['/sys/fs/cgroup/unified/dockling/c1/cgroup.procs'], writes: [],
    });
  });

  it('a deeper name enables controllers in every ancestor', () => {
    const plan = planCgroup({ name: 'dockling/pods/c1', limits: {}, detected: { ...V2, controllers: ['pids'] } });
    expect(plan.writes.map((w) => w.file)).toEqual([
      '/sys/fs/cgroup/cgroup.subtree_control', '/sys/fs/cgroup/dockling/cgroup.subtree_control', '/sys/fs/cgroup/dockling/pods/cgroup.subtree_control',
    ]);
  });

  it('without swap accounting memory.swap.max is not written', () => {
    const plan = planCgroup({ name, limits: { memoryBytes: 32 * M }, detected: { ...V2, swapAccounting: false } });
    expect(plan.writes.slice(2)).toEqual([{ file: v2('memory.max'), value: String(32 * M) }]);
  });
});

describe('refused limits and names', () => {
  const bad: Array<[string, CgroupLimits, string]> = [
    ['memory below 6MB', { memoryBytes: 1024 }, 'CGROUP_BAD_LIMIT'],
    ['fractional memory', { memoryBytes: 32 * M + 0.5 }, 'CGROUP_BAD_LIMIT'],
    ['memory-swap below memory', { memoryBytes: 32 * M, memorySwapBytes: 16 * M }, 'CGROUP_BAD_LIMIT'],
    ['memory-swap without memory', { memorySwapBytes: 64 * M }, 'CGROUP_BAD_LIMIT'],
    ['negative cpus', { cpus: -1 }, 'CGROUP_BAD_LIMIT'],
    ['cpus under the 1ms quota minimum', { cpus: 0.001 }, 'CGROUP_BAD_LIMIT'],
    ['pids limit -5', { pidsLimit: -5 }, 'CGROUP_BAD_LIMIT'],
  ];
  it.each(bad)('%s', (_, limits, code) => {
    for (const detected of [V1, V2]) expect(() => planCgroup({ name, limits, detected })).toThrow(expect.objectContaining({ code }));
  });

  it.each(['', '../escape', 'dockling/../x', '/abs', 'a//b', 'sp ace'])('name %j → CGROUP_BAD_NAME', (bad) => {
    expect(() => planCgroup({ name: bad, limits: {}, detected: V1 })).toThrow(expect.objectContaining({ code: 'CGROUP_BAD_NAME' }));
  });

  it('a limit whose controller is missing → CGROUP_CONTROLLER_UNAVAILABLE', () => {
    const noMemory = { ...V2, root: '/sys/fs/cgroup/unified', controllers: [] };
    for (const limits of [{ memoryBytes: 32 * M }, { cpus: 1 }, { cpuShares: 512 }, { pidsLimit: 5 }])
      expect(() => planCgroup({ name, limits, detected: noMemory })).toThrow(expect.objectContaining({ code: 'CGROUP_CONTROLLER_UNAVAILABLE', kind: 'failed-precondition' }));
    expect(() => planCgroup({ name, limits: { pidsLimit: 5 }, detected: { ...V1, controllers: ['memory'] } })).toThrow(expect.objectContaining({ code: 'CGROUP_CONTROLLER_UNAVAILABLE' }));
  });

  it('names containers under one dockling parent', () => {
    expect(cgroupName('abc123')).toBe('dockling/abc123');
  });
});
