// Chapter 3, cgroups: the executor for a CgroupPlan and the facade over both kernel versions.
// detectCgroups says which hierarchy this machine gives us; apply/remove/freeze act on a plan;
// stats, oomKilled and pids read it back. Everything here is a mkdir, an rmdir, or a read or
// write of one small file under /sys/fs/cgroup — what a reader can do with `mkdir` and `echo`.
// The file knowledge is in cgroup-v1.ts and cgroup-v2.ts; the plan in cgroup-plan.ts.
import { access, mkdir, open, readdir, readFile, rmdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, conflict } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { CgroupPlan, CgroupStats, DetectedCgroups, KnobIO } from './cgroup-plan.js';
import { freezeV1, oomKilledV1, statsV1 } from './cgroup-v1.js';
import { freezeV2, oomKilledV2, statsV2 } from './cgroup-v2.js';

const DEFAULT_ROOT = '/sys/fs/cgroup';

// #region detect
/**
 * v2 when the root itself is a cgroup2 mount (it has cgroup.controllers). Otherwise v1: each
 * directory with a `tasks` file is a v1 hierarchy named after its controllers. A hybrid
 * machine (systemd's "unified" cgroup2 mount beside the v1 ones, with no controllers) is v1
 * for limits: a controller can be bound to only one hierarchy, and here they are on v1.
 */
export async function detectCgroups(root: string = DEFAULT_ROOT): Promise<DetectedCgroups> {
  if (await exists(`${root}/cgroup.controllers`)) return detectV2(root);
  const controllers: string[] = [];
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (entry.startsWith('name=') || !(await exists(`${root}/${entry}/tasks`))) continue;
    for (const c of entry.split(',')) if (!controllers.includes(c) && c !== 'systemd') controllers.push(c);
  }
  if (controllers.length > 0) {
    return { version: 1, root, controllers: controllers.sort(), swapAccounting: await exists(`${root}/memory/memory.memsw.limit_in_bytes`) };
  }
  // v1 mounts without controllers (name=systemd only) beside a unified mount that has them.
  if (await exists(`${root}/unified/cgroup.controllers`)) return detectV2(`${root}/unified`);
  throw new EngineError({
    code: 'CGROUP_UNAVAILABLE',
    kind: 'unavailable',
    message: `no cgroup hierarchy found under ${root} (neither cgroup.controllers nor v1 controller directories)`,
    data: { root },
  });
}

async function detectV2(root: string): Promise<DetectedCgroups> {
  const controllers = (await readFile(`${root}/cgroup.controllers`, 'utf8')).split(/\s+/).filter(Boolean).sort();
  // The root group has no memory.max or memory.swap.max; a child that has memory.max tells us
  // whether swap is accounted (swapaccount=0 removes memory.swap.max).
  let swapAccounting = true;
  for (const entry of await readdir(root)) {
    if (!(await exists(`${root}/${entry}/memory.max`))) continue;
    swapAccounting = await exists(`${root}/${entry}/memory.swap.max`);
    break;
  }
  return { version: 2, root, controllers, swapAccounting };
}
// #endregion detect

// #region apply
/** mkdir each directory, then each write in the plan's order (v2: subtree_control first). */
export async function applyCgroup(args: { plan: CgroupPlan; span?: Span }): Promise<void> {
  const { plan } = args;
  const span = args.span?.child('namespaces', 'cgroup.create', { version: plan.version, name: plan.name, dirs: plan.dirs });
  const made: string[] = [];
  try {
    for (const dir of plan.dirs) {
      if (!(await exists(dir))) made.push(dir);
      await mkdir(dir, { recursive: true }).catch((e) => { throw kernelError('mkdir', dir, e); });
    }
    for (const w of plan.writes) {
      span?.event('cgroup.set', { file: w.file, value: w.value });
      await writeKnob(w.file, w.value);
    }
    span?.end({ writes: plan.writes.length });
  } catch (err) {
    // Structural cleanup: a half-configured group must not be left for a process to join.
    for (const dir of made.reverse()) await rmdir(dir).catch(() => {});
    span?.fail(err);
    throw err;
  }
}
// #endregion apply

// #region remove
/**
 * rmdir each directory. The kernel refuses (EBUSY) while a task is inside; a task that was just
 * killed can take a moment to leave, so we wait briefly, then refuse with CGROUP_BUSY naming
 * the pids that remain. Nothing is removed unless every directory is empty.
 */
export async function removeCgroup(args: { plan: CgroupPlan; span?: Span }): Promise<void> {
  const { plan } = args;
  const span = args.span?.child('namespaces', 'cgroup.remove', { name: plan.name, dirs: plan.dirs });
  try {
    const left = await waitEmpty(plan, 1000);
    if (left.length > 0) throw busy(plan, plan.dirs[0]!, left);
    for (const dir of [...plan.dirs].reverse()) await rmdirRetry(plan, dir);
    span?.end();
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}

async function waitEmpty(plan: CgroupPlan, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const pids = await cgroupPids(plan);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await sleep(25);
  }
}

async function rmdirRetry(plan: CgroupPlan, dir: string): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // already gone (or the same directory under a co-mounted name)
      if (code !== 'EBUSY' || Date.now() > deadline) throw code === 'EBUSY' ? busy(plan, dir, await procsIn(dir)) : kernelError('rmdir', dir, e);
      await sleep(25);
    }
  }
}

function busy(plan: CgroupPlan, dir: string, pids: number[]): EngineError {
  return conflict('CGROUP_BUSY', `cgroup ${plan.name} still has processes (${pids.join(' ') || 'exiting'}); stop them before removing it`, { name: plan.name, dir, pids });
}
// #endregion remove

// #region freeze
/** `pause` and `unpause`: v1 freezer.state FROZEN/THAWED, v2 cgroup.freeze 1/0, then wait. */
export async function freezeCgroup(args: { plan: CgroupPlan; frozen: boolean; span?: Span }): Promise<void> {
  const { plan, frozen } = args;
  const span = args.span?.child('namespaces', 'cgroup.freeze', { name: plan.name, frozen });
  try {
    const w = plan.version === 1 ? await freezeV1(plan, frozen, io) : await freezeV2(plan, frozen, io);
    span?.event('cgroup.set', { file: w.file, value: w.value });
    span?.end();
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}
// #endregion freeze

/** Usage and limits for `stats`. */
export function cgroupStats(plan: CgroupPlan): Promise<CgroupStats> {
  return plan.version === 1 ? statsV1(plan, io) : statsV2(plan, io);
}

/** Whether the OOM killer killed a task in the group (not merely: the limit was reached). */
export function oomKilled(plan: CgroupPlan): Promise<boolean> {
  return plan.version === 1 ? oomKilledV1(plan, io) : oomKilledV2(plan, io);
}

/** The pids in the group, for `top`: every directory's cgroup.procs, merged (v1 has several). */
export async function cgroupPids(plan: CgroupPlan): Promise<number[]> {
  const all = new Set<number>();
  for (const dir of plan.dirs) for (const pid of await procsIn(dir)) all.add(pid);
  return [...all].sort((a, b) => a - b);
}

async function procsIn(dir: string): Promise<number[]> {
  const text = await readKnob(`${dir}/cgroup.procs`);
  return (text ?? '').split('\n').filter(Boolean).map(Number);
}

// ── file I/O: one write(2) per value, as cgroupfs parses each write on its own ──────────────

async function writeKnob(file: string, value: string): Promise<void> {
  // O_WRONLY without O_CREAT: a missing knob is an error to report, not a file to create.
  const fh = await open(file, constants.O_WRONLY).catch((e) => { throw kernelError('open', file, e, value); });
  try {
    await fh.write(value).catch((e) => { throw kernelError('write', file, e, value); });
  } finally {
    await fh.close();
  }
}

async function readKnob(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw kernelError('read', file, e);
  }
}

function kernelError(op: string, path: string, e: unknown, value?: string): EngineError {
  const errno = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const what = value === undefined ? path : `${JSON.stringify(value)} to ${path}`;
  return new EngineError({
    code: 'CGROUP_FILE_FAILED',
    kind: errno === 'ENOENT' ? 'not-found' : 'internal',
    message: `cgroup ${op} ${what}: ${errno} (${(e as Error).message})`,
    data: { op, path, value, errno },
    cause: e,
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

const io: KnobIO = {
  read: readKnob,
  async readNumber(file) {
    const text = await readKnob(file);
    return text === null ? null : Number(text.trim());
  },
  async readKeyed(file) {
    const out = new Map<string, number>();
    for (const line of ((await readKnob(file)) ?? '').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value !== undefined && /^-?\d+$/.test(value)) out.set(key, Number(value));
    }
    return out;
  },
  write: writeKnob,
  async waitFor(file, done) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const text = (await readKnob(file)) ?? '';
      if (done(text)) return;
      if (Date.now() > deadline)
        throw new EngineError({ code: 'CGROUP_TIMEOUT', kind: 'unavailable', message: `${file} did not reach the asked state in 5s (reads ${JSON.stringify(text.trim())})`, data: { path: file, text } });
      await sleep(10);
    }
  },
  procs: cgroupPids,
};
