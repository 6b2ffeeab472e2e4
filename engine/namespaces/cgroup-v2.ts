// Chapter 3, cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): one unified hierarchy, so a
// container is one directory and a process joins by one write to its cgroup.procs. A group only
// has a controller's files when its parent lists that controller in cgroup.subtree_control
// ("Enabling and Disabling"), so the plan first enables them down the path from the root.
// This file knows the v2 file names and units: the plan's writes (one small function per knob)
// and the readers for stats, OOM and the freezer; the I/O is injected by cgroups.ts.
import { totalmem } from 'node:os';
import type { CgroupPlan, CgroupStats, CgroupWrite, DetectedCgroups, KnobIO, ResolvedLimits } from './cgroup-plan.js';

/** The controllers a container's group gets when the machine has them (freezing is core). */
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

export function planV2(args: { name: string; limits: ResolvedLimits; detected: DetectedCgroups }): CgroupPlan {
  const { name, limits: l, detected } = args;
  const dir = `${detected.root}/${name}`;
  const writes: CgroupWrite[] = [];
  const enable = V2_CONTROLLERS.filter((c) => detected.controllers.includes(c));
  // Top-down: a group can only pass on controllers its own parent passed to it. The root is
  // exempt from the "no internal processes" rule; `dockling` itself never holds a process.
  if (enable.length > 0) for (const parent of ancestors(detected.root, name)) writes.push(subtreeControl(parent, enable));
  if (l.memoryBytes !== undefined) {
    writes.push(memoryMax(dir, l.memoryBytes));
    if (l.memorySwapBytes !== undefined && detected.swapAccounting !== false) writes.push(swapMax(dir, l.memoryBytes, l.memorySwapBytes));
  }
  if (l.cpuQuotaUs !== undefined && l.cpuPeriodUs !== undefined) writes.push(cpuMax(dir, l.cpuQuotaUs, l.cpuPeriodUs));
  if (l.cpuShares !== undefined) writes.push(cpuWeight(dir, l.cpuShares));
  if (l.pidsMax !== undefined) writes.push(pidsMax(dir, l.pidsMax));
  return { version: 2, name, dirs: [dir], procsFiles: [`${dir}/cgroup.procs`], writes };
}

/** The root and every group between it and the leaf: 'dockling/c1' → [root, root/dockling]. */
function ancestors(root: string, name: string): string[] {
  const parts = name.split('/');
  return parts.map((_, i) => [root, ...parts.slice(0, i)].join('/'));
}

// ── one function per knob ────────────────────────────────────────────────────────────────────
// #region v2-knobs

/** cgroup.subtree_control: "+memory +pids" gives the children those controllers. */
const subtreeControl = (dir: string, controllers: readonly string[]): CgroupWrite => ({
  file: `${dir}/cgroup.subtree_control`,
  value: controllers.map((c) => `+${c}`).join(' '),
});

/** memory.max: the hard limit; past it the group reclaims, then the OOM killer picks a task. */
const memoryMax = (dir: string, bytes: number): CgroupWrite => ({ file: `${dir}/memory.max`, value: String(bytes) });

/**
 * memory.swap.max counts swap alone, where Docker's --memory-swap counts memory plus swap:
 * `-m 32m` (memory-swap 64m by default) is memory.max 32m and memory.swap.max 32m.
 */
const swapMax = (dir: string, memory: number, memoryAndSwap: number | 'max'): CgroupWrite => ({
  file: `${dir}/memory.swap.max`,
  value: memoryAndSwap === 'max' ? 'max' : String(memoryAndSwap - memory),
});

/** cpu.max: "$MAX $PERIOD" in microseconds, v1's quota and period in one file. */
const cpuMax = (dir: string, quotaUs: number, periodUs: number): CgroupWrite => ({ file: `${dir}/cpu.max`, value: `${quotaUs} ${periodUs}` });

/**
 * cpu.weight from Docker's shares. v1's default share is 1024 and v2's default weight is 100,
 * so we keep the ratio to the default — a group with 2048 shares gets twice a default group's
 * time in both versions — clamped to v2's range [1, 10000].
 */
const cpuWeight = (dir: string, shares: number): CgroupWrite => ({
  file: `${dir}/cpu.weight`,
  value: String(Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)))),
});

/** pids.max: the same file and meaning as in v1. */
const pidsMax = (dir: string, max: number): CgroupWrite => ({ file: `${dir}/pids.max`, value: String(max) });
// #endregion v2-knobs

// ── readers ──────────────────────────────────────────────────────────────────────────────────

export async function statsV2(plan: CgroupPlan, io: KnobIO): Promise<CgroupStats> {
  const dir = plan.dirs[0]!;
  const max = await io.read(`${dir}/memory.max`);
  const pidsMax = await io.read(`${dir}/pids.max`);
  // cpu.stat's usage_usec is there even without the cpu controller (it is core accounting).
  const cpu = await io.readKeyed(`${dir}/cpu.stat`);
  return {
    // Without the memory controller (as in the hybrid hierarchy) there is no memory.current.
    memoryUsage: (await io.readNumber(`${dir}/memory.current`)) ?? 0,
    memoryLimit: max === null || max.trim() === 'max' ? totalmem() : Number(max),
    cpuUsageNs: (cpu.get('usage_usec') ?? 0) * 1000,
    pids: (await io.readNumber(`${dir}/pids.current`)) ?? (await io.procs(plan)).length,
    pidsLimit: pidsMax === null || pidsMax.trim() === 'max' ? null : Number(pidsMax),
  };
}

/**
 * memory.events' `oom_kill` counts tasks the OOM killer killed in the group (and below it);
 * `max` and `oom` count hitting the limit and running out, which are not kills.
 */
export async function oomKilledV2(plan: CgroupPlan, io: KnobIO): Promise<boolean> {
  const events = await io.readKeyed(`${plan.dirs[0]}/memory.events`);
  return (events.get('oom_kill') ?? 0) > 0;
}

/**
 * cgroup.freeze (kernel ≥ 5.2): write 1 or 0; the group is frozen once cgroup.events says
 * `frozen 1`, which can take a moment while tasks reach a safe point.
 */
export async function freezeV2(plan: CgroupPlan, frozen: boolean, io: KnobIO): Promise<CgroupWrite> {
  const dir = plan.dirs[0]!;
  const write = { file: `${dir}/cgroup.freeze`, value: frozen ? '1' : '0' };
  await io.write(write.file, write.value);
  await io.waitFor(`${dir}/cgroup.events`, (s) => new RegExp(`^frozen ${write.value}$`, 'm').test(s));
  return write;
}
