// Chapter 3, cgroup v1 (Documentation/admin-guide/cgroup-v1/): one hierarchy per controller,
// each mounted at /sys/fs/cgroup/<controller>, so one container is one directory in *each*
// hierarchy it uses, and a process must be written into every one of them. This file knows the
// v1 file names and units: the plan's writes (one small function per knob) and the readers for
// stats, OOM and the freezer. The reads and writes themselves are injected (cgroups.ts does I/O).
import { totalmem } from 'node:os';
import type { CgroupPlan, CgroupStats, CgroupWrite, DetectedCgroups, KnobIO, ResolvedLimits } from './cgroup-plan.js';
import { EngineError } from '../base/index.js';

/**
 * The hierarchies a container joins, limits or not: memory and cpuacct for `stats`, pids for
 * `top` and the pids limit, cpu for CPU limits, freezer for `pause`. cpuset is left out on
 * purpose: a new cpuset group starts with empty cpuset.cpus/mems and refuses every process
 * (ENOSPC) until both are copied down from the parent.
 */
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer'] as const;

export function planV1(args: { name: string; limits: ResolvedLimits; detected: DetectedCgroups }): CgroupPlan {
  const { name, limits: l, detected } = args;
  const controllers = V1_CONTROLLERS.filter((c) => detected.controllers.includes(c));
  const dir = (c: string) => `${detected.root}/${c}/${name}`;
  const writes: CgroupWrite[] = [];
  if (l.memoryBytes !== undefined) {
    writes.push(memoryLimit(dir('memory'), l.memoryBytes));
    // memsw is memory+swap and must never be below memory.limit_in_bytes, so it comes second.
    // Without swap accounting (swapaccount=0) the file does not exist and swap is not limited.
    if (l.memorySwapBytes !== undefined && detected.swapAccounting !== false) writes.push(memswLimit(dir('memory'), l.memorySwapBytes));
  }
  if (l.cpuQuotaUs !== undefined && l.cpuPeriodUs !== undefined) writes.push(...cfsBandwidth(dir('cpu'), l.cpuQuotaUs, l.cpuPeriodUs));
  if (l.cpuShares !== undefined) writes.push(cpuShares(dir('cpu'), l.cpuShares));
  if (l.pidsMax !== undefined) writes.push(pidsMax(dir('pids'), l.pidsMax));
  const dirs = controllers.map(dir);
  return { version: 1, name, dirs, procsFiles: dirs.map((d) => `${d}/cgroup.procs`), writes };
}

// ── one function per knob ────────────────────────────────────────────────────────────────────
// #region v1-knobs

/** memory.limit_in_bytes: the most RAM (page cache included) the group may charge. */
const memoryLimit = (dir: string, bytes: number): CgroupWrite => ({ file: `${dir}/memory.limit_in_bytes`, value: String(bytes) });

/** memory.memsw.limit_in_bytes: memory plus swap; -1 is unlimited. */
const memswLimit = (dir: string, bytes: number | 'max'): CgroupWrite => ({ file: `${dir}/memory.memsw.limit_in_bytes`, value: bytes === 'max' ? '-1' : String(bytes) });

/**
 * cpu.cfs_period_us then cpu.cfs_quota_us (cgroup-v1 points to scheduler/sched-bwc.rst): the
 * group may run `quota` microseconds every `period`. The period goes first so the quota is
 * never read against a period it was not meant for.
 */
const cfsBandwidth = (dir: string, quotaUs: number, periodUs: number): CgroupWrite[] => [
  { file: `${dir}/cpu.cfs_period_us`, value: String(periodUs) },
  { file: `${dir}/cpu.cfs_quota_us`, value: String(quotaUs) },
];

/** cpu.shares: the group's weight when CPUs are contended (1024 is everyone's default). */
const cpuShares = (dir: string, shares: number): CgroupWrite => ({ file: `${dir}/cpu.shares`, value: String(shares) });

/** pids.max: fork() and clone() fail with EAGAIN once this many tasks are in the group. */
const pidsMax = (dir: string, max: number): CgroupWrite => ({ file: `${dir}/pids.max`, value: String(max) });
// #endregion v1-knobs

// ── readers ──────────────────────────────────────────────────────────────────────────────────

/** The plan's directory in one controller's hierarchy, or undefined when it does not use it. */
export function v1Dir(plan: CgroupPlan, controller: string): string | undefined {
  return plan.dirs.find((d) => d.endsWith(`/${controller}/${plan.name}`));
}

/** v1 writes "unlimited" as the largest page-aligned 64-bit value (9223372036854771712). */
const V1_UNLIMITED = 2 ** 62;

export async function statsV1(plan: CgroupPlan, io: KnobIO): Promise<CgroupStats> {
  const mem = v1Dir(plan, 'memory');
  const acct = v1Dir(plan, 'cpuacct');
  const pids = v1Dir(plan, 'pids');
  const num = (dir: string | undefined, file: string) => (dir ? io.readNumber(`${dir}/${file}`) : Promise.resolve(null));
  const limit = await num(mem, 'memory.limit_in_bytes');
  const pidsMax = pids ? await io.read(`${pids}/pids.max`) : null;
  return {
    memoryUsage: (await num(mem, 'memory.usage_in_bytes')) ?? 0,
    memoryLimit: limit !== null && limit < V1_UNLIMITED ? limit : totalmem(),
    // cpuacct.usage: nanoseconds of CPU time used by the group's tasks (cgroup-v1/cpuacct.rst).
    cpuUsageNs: (await num(acct, 'cpuacct.usage')) ?? 0,
    pids: (await num(pids, 'pids.current')) ?? (await io.procs(plan)).length,
    pidsLimit: pidsMax === null || pidsMax.trim() === 'max' ? null : Number(pidsMax),
  };
}

/**
 * An OOM *kill*, not just the limit being hit: memory.failcnt counts every time a charge hit
 * the limit (reclaim usually succeeds), while memory.oom_control's `oom_kill` (kernels ≥ 4.13)
 * counts tasks the OOM killer killed in this group.
 */
export async function oomKilledV1(plan: CgroupPlan, io: KnobIO): Promise<boolean> {
  const mem = v1Dir(plan, 'memory');
  if (!mem) return false;
  const fields = await io.readKeyed(`${mem}/memory.oom_control`);
  return (fields.get('oom_kill') ?? 0) > 0;
}

/**
 * freezer.state (cgroup-v1/freezer-subsystem.rst): write FROZEN or THAWED; reading it says
 * FREEZING until every task has stopped, so we poll until it reads what we asked for.
 */
export async function freezeV1(plan: CgroupPlan, frozen: boolean, io: KnobIO): Promise<CgroupWrite> {
  const dir = v1Dir(plan, 'freezer');
  if (!dir) throw noFreezer(plan);
  const write = { file: `${dir}/freezer.state`, value: frozen ? 'FROZEN' : 'THAWED' };
  await io.write(write.file, write.value);
  await io.waitFor(write.file, (s) => s.trim() === write.value);
  return write;
}

function noFreezer(plan: CgroupPlan): EngineError {
  return new EngineError({
    code: 'CGROUP_CONTROLLER_UNAVAILABLE',
    kind: 'failed-precondition',
    message: `cgroup ${plan.name} has no freezer hierarchy on this machine, so it cannot be paused`,
    data: { controller: 'freezer', name: plan.name, version: plan.version, dirs: plan.dirs },
  });
}
