// What the kernel says about a running container right now, for the live container-state
// diagram (chapter 3's facts, read from /proc and the cgroup, never changed): its processes with
// their host and container pids, its namespaces' inode numbers beside the host's (equal inodes:
// the same namespace, shared), its mounts as its pid 1 sees them, and its cgroup's usage.
import { readFile, readlink } from 'node:fs/promises';
import { EngineError } from '../../base/index.js';
import { cgroupPids, cgroupStats, type CgroupPlan, type CgroupStats } from '../../namespaces/index.js';
import { readMountInfo, type ContainerRecord, type MountInfo } from '../../unionfs/index.js';
import type { DaemonEngine } from '../engine.js';

/** The kinds /proc/<pid>/ns/ shows, in the order the diagram lists them. */
const NAMESPACE_TYPES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup'] as const;

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

export interface ContainerProbe {
  /** The container's pid 1, seen from the host. */
  Pid: number;
  Processes: ProcessView[];
  Namespaces: Record<string, NamespaceView>;
  Mounts: MountInfo[];
  Cgroup: CgroupStats;
}

/** Null for a container that is not running (or stops while it is looked at). */
export async function probeContainer(engine: DaemonEngine, c: ContainerRecord): Promise<ContainerProbe | null> {
  if (!c.State.Running) return null;
  try {
    const { pid, cgroup } = await engine.runtime.target(c);
    const [processes, namespaces, mounts, usage] = await Promise.all([
      processesOf(pid, cgroup), namespacesOf(pid), readMountInfo(`/proc/${pid}/mountinfo`), cgroupStats(cgroup),
    ]);
    return { Pid: pid, Processes: processes, Namespaces: namespaces, Mounts: mounts, Cgroup: usage };
  } catch (err) {
    if (gone(err)) return null;
    throw err;
  }
}

/** The container exited between the record and /proc: not a failure, just no longer running. */
function gone(err: unknown): boolean {
  if (err instanceof EngineError) return err.code === 'CONTAINER_NOT_RUNNING';
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

const inodeOf = (link: string) => Number(/\[(\d+)\]/.exec(link)?.[1] ?? NaN);

async function namespacesOf(pid: number): Promise<Record<string, NamespaceView>> {
  const out: Record<string, NamespaceView> = {};
  for (const type of NAMESPACE_TYPES) {
    const [theirs, ours] = await Promise.all([readlink(`/proc/${pid}/ns/${type}`), readlink(`/proc/self/ns/${type}`).catch(() => '')]);
    out[type] = { Inode: inodeOf(theirs), SharedWithHost: theirs === ours };
  }
  return out;
}

/** Every process in the container's cgroup — the kernel's own list — with both of its pids. */
async function processesOf(pid1: number, cgroup: CgroupPlan): Promise<ProcessView[]> {
  const pidns = await readlink(`/proc/${pid1}/ns/pid`);
  const rows = await Promise.all((await cgroupPids(cgroup)).map((pid) => processOf(pid, pidns).catch(() => null)));
  return rows.filter((r) => r !== null);
}

async function processOf(pid: number, containerPidns: string): Promise<ProcessView> {
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
