// How many containers this machine can hold at once (issue 9, the scale test): each running
// container costs processes (its shim and its pid 1), memory (theirs, and the kernel's for its
// mounts and cgroups), and file descriptors in the daemon. Measured on a few containers first,
// then divided into what is free: the smallest quotient is the limit here.
import { readFileSync, readdirSync } from 'node:fs';

export interface HostFacts {
  /** Processes (and threads) that may still be made: pid_max and threads-max less those running. */
  pidsFree: number;
  /** MemAvailable, bytes. */
  memAvailable: number;
  /** The daemon's open files and its soft RLIMIT_NOFILE. */
  daemonFds: number;
  daemonFdLimit: number;
}

function tasksRunning(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      n += readdirSync(`/proc/${p}/task`).length;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

export function hostFacts(daemonPid: number): HostFacts {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const threadsMax = Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8'));
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const limits = readFileSync(`/proc/${daemonPid}/limits`, 'utf8');
  return {
    pidsFree: Math.min(pidMax, threadsMax) - tasksRunning(),
    memAvailable: Number(/MemAvailable:\s+(\d+) kB/.exec(meminfo)![1]) * 1024,
    daemonFds: readdirSync(`/proc/${daemonPid}/fd`).length,
    daemonFdLimit: Number(/Max open files\s+(\d+)/.exec(limits)![1]),
  };
}

export interface PerContainer {
  /** Its processes (the shim and pid 1). */
  tasks: number;
  /** Their RSS and the daemon's growth, bytes (the kernel's own share — mounts, cgroups — is not counted). */
  bytes: number;
  /** The daemon's file descriptors. */
  fds: number;
}

export interface Capacity { limit: number; by: 'pids' | 'memory' | 'daemon fds'; perContainer: PerContainer }

/**
 * The containers that fit in what is free, given what one costs (measured on a pilot of a few:
 * counted per container, not as the machine's free totals shrinking, which other work on the
 * machine would blur).
 */
export function capacityFrom(free: HostFacts, perContainer: PerContainer): Capacity {
  const fits = {
    pids: free.pidsFree / Math.max(1, perContainer.tasks),
    memory: free.memAvailable / Math.max(1, perContainer.bytes),
    'daemon fds': (free.daemonFdLimit - free.daemonFds) / Math.max(0.1, perContainer.fds),
  };
  const [by, limit] = Object.entries(fits).sort((a, b) => a[1] - b[1])[0]! as [Capacity['by'], number];
  return { limit: Math.floor(limit), by, perContainer };
}

/** VmRSS of a process, bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
