// Chapter 3: what the kernel says about a running container, read from /proc and its cgroup and
// never changed — its processes with their pid on the host and in the container (NSpid), its
// namespaces' inode numbers beside the host's (the same inode: the same namespace, shared), its
// mounts as its pid 1 sees them, and its cgroup's usage. One copy for both readers: the runtime
// traces these facts at start, exec, pause and exit, and the daemon's live /state/containers
// route (daemon/live/container-probe.ts) answers them for whatever runs when a page asks.
import { readFile, readlink } from 'node:fs/promises';
import type { Span, Tracer } from '../trace/index.js';
import { readMountInfo, type MountInfo } from '../unionfs/index.js';
import type { CgroupPlan } from './cgroup-plan.js';
import { cgroupPids, cgroupStats } from './cgroups.js';

/** The kinds /proc/<pid>/ns/ shows, in the order the diagram lists them. */
export const NAMESPACE_TYPES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup'] as const;

export interface ProcessView {
  /** The pid on the host. */
  Pid: number;
  /** The pid inside the container's pid namespace; null for the runtime's helpers outside it. */
  ContainerPid: number | null;
  PPid: number;
  Command: string;
}

export interface NamespaceView {
  /** `readlink /proc/<pid>/ns/pid` → `pid:[4026532561]` → 4026532561. */
  Inode: number;
  /** The daemon's own namespace of that kind has the same inode: not isolated. */
  SharedWithHost: boolean;
}

const inodeOf = (link: string) => Number(/\[(\d+)\]/.exec(link)?.[1] ?? NaN);

/** Each namespace of `pid`, its inode and whether it is ours (the daemon's, i.e. the host's). */
export async function namespacesOf(pid: number): Promise<Record<string, NamespaceView>> {
  const out: Record<string, NamespaceView> = {};
  for (const type of NAMESPACE_TYPES) {
    const [theirs, ours] = await Promise.all([readlink(`/proc/${pid}/ns/${type}`), readlink(`/proc/self/ns/${type}`).catch(() => '')]);
    out[type] = { Inode: inodeOf(theirs), SharedWithHost: theirs === ours };
  }
  return out;
}

/** Every process in the container's cgroup — the kernel's own list — with both of its pids. */
export async function processesOf(pid1: number, cgroup: CgroupPlan): Promise<ProcessView[]> {
  const pidns = await readlink(`/proc/${pid1}/ns/pid`);
  const rows = await Promise.all((await cgroupPids(cgroup)).map((pid) => processOf(pid, pidns).catch(() => null)));
  return rows.filter((r) => r !== null);
}

/** One process: its pids, its parent, its command line. `containerPidns`: the pid namespace's link. */
export async function processOf(pid: number, containerPidns: string): Promise<ProcessView> {
  const [status, cmdline, pidns] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8'), readlink(`/proc/${pid}/ns/pid`),
  ]);
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  // NSpid lists the pid in each pid namespace it belongs to, outermost first: the last is the container's.
  const nspids = field('NSpid').split(/\s+/).filter(Boolean).map(Number);
  const args = cmdline.split('\0').filter(Boolean);
  return {
    Pid: pid,
    ContainerPid: pidns === containerPidns ? (nspids.at(-1) ?? null) : null,
    PPid: Number(field('PPid')),
    Command: args.length ? args.join(' ') : `[${field('Name')}]`,
  };
}

/** The pid `pid` has in the innermost pid namespace it is in (its own pid on the host if none). */
export async function containerPidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const nspids = (/^NSpid:\s*(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  return nspids.at(-1) ?? pid;
}

/** The mounts `pid` sees (its mount namespace's /proc/<pid>/mountinfo). */
export function mountsOf(pid: number): Promise<MountInfo[]> {
  return readMountInfo(`/proc/${pid}/mountinfo`);
}

// #region trace-facts
/** How many of pid 1's mounts a trace event lists (a container has ~20; the rest are counted). */
export const TRACED_MOUNTS = 16;

/**
 * `container.init`, traced once the container's pid 1 runs its command: the command, pid 1 on
 * the host and as the container sees it (1), each namespace's inode and whether it is the
 * host's, and the first mounts of its mount table. Best effort: a command that has already
 * exited (`echo hi`) has no /proc left to read, and then there is no event — never a guess.
 */
export async function traceInit(a: { span: Span; id: string; pid: number; argv: readonly string[] }): Promise<void> {
  try {
    const [containerPid, namespaces, mounts] = await Promise.all([containerPidOf(a.pid), namespacesOf(a.pid), mountsOf(a.pid)]);
    a.span.event('container.init', {
      id: a.id, argv: [...a.argv], pid: a.pid, containerPid, namespaces,
      mounts: mounts.slice(0, TRACED_MOUNTS).map((m) => ({ target: m.mountPoint, type: m.fsType, source: m.source })),
      mountsLeft: Math.max(0, mounts.length - TRACED_MOUNTS),
    });
  } catch {
    // gone already: nothing to say
  }
}

/**
 * `cgroup.usage`: a span around one read of the cgroup's counters, its end carrying them.
 * Sampled at moments that matter (an exec, a pause, the exit before the cgroup is removed),
 * never on a timer: a trace is a story, not a monitoring feed.
 */
export async function traceUsage(a: { cgroup: CgroupPlan; id: string; parent?: Span; tracer?: Tracer }): Promise<void> {
  const data = { id: a.id, name: a.cgroup.name };
  const span = a.parent ? a.parent.child('namespaces', 'cgroup.usage', data) : a.tracer?.start('namespaces', 'cgroup.usage', data);
  if (!span) return;
  try {
    const s = await cgroupStats(a.cgroup);
    span.end({ memory: s.memoryUsage, memoryLimit: s.memoryLimit, cpuNs: s.cpuUsageNs, pids: s.pids, pidsLimit: s.pidsLimit });
  } catch (err) {
    span.fail(err);
  }
}
// #endregion trace-facts
