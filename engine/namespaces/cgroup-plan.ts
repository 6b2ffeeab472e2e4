// Chapter 3, cgroups as data: what `docker run -m 32m --cpus 1.5 --pids-limit 64` turns into
// before anything touches the kernel — the directories of a control group and the list of
// files to write. Pure (STYLE habit 5): the plan is unit-tested without root, recorded in the
// trace, and drawn by the site. cgroups.ts executes it; the per-version knowledge (file names,
// units) lives in cgroup-v1.ts (Documentation/admin-guide/cgroup-v1/) and cgroup-v2.ts
// (Documentation/admin-guide/cgroup-v2.rst).
import { EngineError, invalid } from '../base/index.js';
import { planV1 } from './cgroup-v1.js';
import { planV2 } from './cgroup-v2.js';

export type CgroupVersion = 1 | 2;

/** The limits `docker run` takes, in Docker's units and Docker's meaning. */
export interface CgroupLimits {
  /** `-m`: bytes of memory. */
  memoryBytes?: number;
  /**
   * `--memory-swap`: memory *plus* swap, in bytes (Docker's meaning, not the kernel's v2 one);
   * -1 for unlimited swap. Unset with `-m` set: twice the memory, as Docker does.
   */
  memorySwapBytes?: number;
  /** `--cpus 1.5`: CPUs worth of time per period. */
  cpus?: number;
  /** `--cpu-shares`: relative weight, 1024 is the default. */
  cpuShares?: number;
  /** `--pids-limit`: most tasks at once; 0 or -1 means unlimited. */
  pidsLimit?: number;
}

/** What detectCgroups found: which hierarchy to use, where it is mounted, which controllers. */
export interface DetectedCgroups {
  version: CgroupVersion;
  root: string;
  controllers: string[];
  /**
   * Whether the kernel accounts swap per cgroup (v1: memory.memsw.limit_in_bytes exists; it
   * does not when the kernel was booted with swapaccount=0). Unset means yes.
   */
  swapAccounting?: boolean;
}

export interface CgroupWrite {
  file: string;
  value: string;
}

/**
 * A control group to create. A lifecycle, on this v1 machine, for `-m 32m --pids-limit 64`:
 *   plan   { version: 1, name: 'dockling/c1',
 *            dirs: ['/sys/fs/cgroup/memory/dockling/c1', …/cpu/…, …/cpuacct/…, …/pids/…, …/freezer/…],
 *            procsFiles: [<each dir>/cgroup.procs],
 *            writes: [{ file: '…/memory/dockling/c1/memory.limit_in_bytes', value: '33554432' },
 *                     { file: '…/memory/dockling/c1/memory.memsw.limit_in_bytes', value: '67108864' },
 *                     { file: '…/pids/dockling/c1/pids.max', value: '64' }] }
 *   apply  mkdir each dir, write each file                      (trace: cgroup.create, cgroup.set …)
 *   join   the runtime's shell does `echo $$ > f` for each procsFile, before unshare
 *   pause  freezer.state FROZEN (v2: cgroup.freeze 1), unpause THAWED (0)
 *   exit   oomKilled(plan) tells a kill by the OOM killer from any other SIGKILL
 *   remove rmdir each dir, once no process is left in it
 */
export interface CgroupPlan {
  version: CgroupVersion;
  /** The path below each hierarchy's root, e.g. 'dockling/<container id>'. */
  name: string;
  /** v1: one per controller used; v2: one. */
  dirs: string[];
  /** Write a pid to each of these files to move that process (and its future children) in. */
  procsFiles: string[];
  /**
   * Every file write, in order. v2 plans start with the ancestors' cgroup.subtree_control
   * writes that give the new group its controllers; then come the limits.
   */
  writes: CgroupWrite[];
}

/** What `stats` reads from a group; memoryLimit is the host's memory when the group has none. */
export interface CgroupStats {
  memoryUsage: number;
  memoryLimit: number;
  cpuUsageNs: number;
  pids: number;
  pidsLimit: number | null;
}

/**
 * The file operations the per-version readers need, injected by cgroups.ts so that
 * cgroup-v1.ts and cgroup-v2.ts hold only knowledge of the files, not I/O.
 */
export interface KnobIO {
  /** A file's text, or null when it does not exist (a controller not enabled, an old kernel). */
  read(file: string): Promise<string | null>;
  /** A file holding one number, or null when it does not exist. */
  readNumber(file: string): Promise<number | null>;
  /** A flat keyed file (`oom_kill 1`, `usage_usec 1234`) as a map; empty when it does not exist. */
  readKeyed(file: string): Promise<Map<string, number>>;
  write(file: string, value: string): Promise<void>;
  /** Polls `file` until `done` accepts its text; fails with CGROUP_TIMEOUT after a few seconds. */
  waitFor(file: string, done: (text: string) => boolean): Promise<void>;
  /** The pids in the group. */
  procs(plan: CgroupPlan): Promise<number[]>;
}

/** Docker's default CFS period: 100ms, so `--cpus 1.5` is 150ms of CPU time every 100ms. */
export const CPU_PERIOD_US = 100_000;

/** Docker refuses less memory than this: below it a container cannot even start a shell. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/**
 * The limits normalised once for both versions: swap resolved to Docker's defaults, CPUs to a
 * quota, "unlimited" spellings to undefined. Each field unset means "do not write this knob".
 */
export interface ResolvedLimits {
  memoryBytes?: number;
  /** memory + swap in bytes, or 'max' for unlimited swap. */
  memorySwapBytes?: number | 'max';
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  cpuShares?: number;
  pidsMax?: number;
}

/** The conventional name of a container's cgroup: every container under one `dockling` parent. */
export function cgroupName(containerId: string): string {
  return `dockling/${containerId}`;
}

// #region plan
export function planCgroup(args: { name: string; limits: CgroupLimits; detected: DetectedCgroups }): CgroupPlan {
  checkName(args.name);
  const limits = resolveLimits(args.limits);
  if (limits.memoryBytes !== undefined) needController(args.detected, 'memory', 'memory');
  if (limits.cpuQuotaUs !== undefined) needController(args.detected, 'cpu', 'cpus');
  if (limits.cpuShares !== undefined) needController(args.detected, 'cpu', 'cpu-shares');
  if (limits.pidsMax !== undefined) needController(args.detected, 'pids', 'pids');
  return args.detected.version === 1
    ? planV1({ name: args.name, limits, detected: args.detected })
    : planV2({ name: args.name, limits, detected: args.detected });
}

// #endregion plan

function checkName(name: string): void {
  const parts = name.split('/');
  if (!name || parts.some((p) => p === '' || p === '.' || p === '..' || !/^[A-Za-z0-9_.-]+$/.test(p)))
    throw invalid('CGROUP_BAD_NAME', `cgroup name ${JSON.stringify(name)} must be relative path parts of letters, digits, '_', '.' and '-'`, { name });
}

export function resolveLimits(l: CgroupLimits): ResolvedLimits {
  // #region exercise-3-limits
  const out: ResolvedLimits = {};
  if (l.memoryBytes !== undefined) {
    wholeNumber('memoryBytes', l.memoryBytes);
    if (l.memoryBytes < MIN_MEMORY_BYTES)
      throw invalid('CGROUP_BAD_LIMIT', `memory limit ${l.memoryBytes} is below the minimum of ${MIN_MEMORY_BYTES} bytes (6MB)`, { memoryBytes: l.memoryBytes });
    out.memoryBytes = l.memoryBytes;
  }
  if (l.memorySwapBytes !== undefined && l.memorySwapBytes !== 0) {
    if (out.memoryBytes === undefined)
      throw invalid('CGROUP_BAD_LIMIT', 'a memory-swap limit needs a memory limit too (-m)', { memorySwapBytes: l.memorySwapBytes });
    if (l.memorySwapBytes === -1) out.memorySwapBytes = 'max';
    else {
      wholeNumber('memorySwapBytes', l.memorySwapBytes);
      if (l.memorySwapBytes < out.memoryBytes)
        throw invalid('CGROUP_BAD_LIMIT', `memory-swap ${l.memorySwapBytes} is memory plus swap, so it cannot be below memory ${out.memoryBytes}`, { ...l });
      out.memorySwapBytes = l.memorySwapBytes;
    }
  } else if (out.memoryBytes !== undefined) {
    // Docker: with -m alone, the container may use as much swap as memory.
    out.memorySwapBytes = 2 * out.memoryBytes;
  }
  if (l.cpus !== undefined && l.cpus !== 0) {
    if (!(l.cpus > 0) || !Number.isFinite(l.cpus))
      throw invalid('CGROUP_BAD_LIMIT', `cpus ${l.cpus} must be a positive number`, { cpus: l.cpus });
    out.cpuPeriodUs = CPU_PERIOD_US;
    out.cpuQuotaUs = Math.round(l.cpus * CPU_PERIOD_US);
    // The kernel refuses a quota under 1ms (cgroup-v1/cfs: "the minimum quota is 1ms").
    if (out.cpuQuotaUs < 1000)
      throw invalid('CGROUP_BAD_LIMIT', `cpus ${l.cpus} is below the kernel's minimum of 0.01`, { cpus: l.cpus });
  }
  if (l.cpuShares !== undefined && l.cpuShares !== 0) {
    wholeNumber('cpuShares', l.cpuShares);
    // v1's range for cpu.shares; Docker clamps the same way.
    out.cpuShares = Math.min(262_144, Math.max(2, l.cpuShares));
  }
  if (l.pidsLimit !== undefined && l.pidsLimit > 0) {
    wholeNumber('pidsLimit', l.pidsLimit);
    out.pidsMax = l.pidsLimit;
  } else if (l.pidsLimit !== undefined && l.pidsLimit !== 0 && l.pidsLimit !== -1) {
    throw invalid('CGROUP_BAD_LIMIT', `pids limit ${l.pidsLimit} must be positive, or 0 or -1 for unlimited`, { pidsLimit: l.pidsLimit });
  }
  return out;
  // #endregion exercise-3-limits
}

function wholeNumber(field: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0)
    throw invalid('CGROUP_BAD_LIMIT', `${field} ${n} must be a positive whole number`, { [field]: n });
}

/** Throws when a limit needs a controller this machine does not give us (Docker would drop the
 * limit with a warning; a limit silently dropped is a surprise, so we refuse instead). */
function needController(detected: DetectedCgroups, controller: string, limit: string): void {
  if (detected.controllers.includes(controller)) return;
  throw new EngineError({
    code: 'CGROUP_CONTROLLER_UNAVAILABLE',
    kind: 'failed-precondition',
    message: `the ${limit} limit needs the cgroup v${detected.version} ${controller} controller, which ${detected.root} does not offer (found: ${detected.controllers.join(' ') || 'none'})`,
    data: { controller, limit, version: detected.version, root: detected.root, controllers: detected.controllers },
  });
}
