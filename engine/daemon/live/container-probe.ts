// What the kernel says about a running container right now, for the live container-state
// diagram (chapter 3's facts, read from /proc and the cgroup, never changed): its processes with
// their host and container pids, its namespaces' inode numbers beside the host's (equal inodes:
// the same namespace, shared), its mounts as its pid 1 sees them, and its cgroup's usage. The
// readers are chapter 3's (namespaces/container-facts.ts), the ones its trace events use too.
import { EngineError } from '../../base/index.js';
import { cgroupStats, mountsOf, namespacesOf, processesOf, type CgroupStats, type NamespaceView, type ProcessView } from '../../namespaces/index.js';
import type { ContainerRecord, MountInfo } from '../../unionfs/index.js';
import type { DaemonEngine } from '../engine.js';

export type { NamespaceView, ProcessView };

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
    const [processes, namespaces, mounts, usage] = await Promise.all([processesOf(pid, cgroup), namespacesOf(pid), mountsOf(pid), cgroupStats(cgroup)]);
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
