// The live container-state diagram's starting point (issue 7, live mode): the containers of the
// daemon's GET /state/containers snapshot (live-state.ts, answered by
// engine/daemon/live/state-routes.ts) as container-state.ts's views. A container that ran
// before the page connected has no events in the live trace; the snapshot gives what the kernel
// said when it was read — its state, its processes with both pids, its namespaces' inodes, its
// mounts and its cgroup's usage — and the events after it are folded on top.
import { blankContainer, withUsage, type ContainerProcess, type ContainerView, type LifecycleState } from './container-view.js';
import type { StateContainer } from './live-state.js';

/** How many of pid 1's mounts are listed (the rest counted), as the engine's trace does. */
export const SEEN_MOUNTS = 16;

/** Docker's State.Status → the diagram's lifecycle (restarting is running; dead and removing have exited). */
function lifecycleOf(status: string | undefined): LifecycleState | null {
  switch (status) {
    case 'created': return 'created';
    case 'running': case 'restarting': return 'running';
    case 'paused': return 'paused';
    case 'exited': case 'dead': case 'removing': return 'exited';
    default: return null;
  }
}

/** The snapshot's containers, in its order. */
export function seedContainers(list: readonly StateContainer[]): ContainerView[] {
  return list.map(seedContainer);
}

function seedContainer(s: StateContainer): ContainerView {
  const i = s.Inspect;
  const state = lifecycleOf(i.State?.Status);
  const c: ContainerView = {
    ...blankContainer(i.Config?.Image ?? i.Image ?? null, i.Name?.replace(/^\//, '') ?? null),
    id: s.Id,
    seeded: true,
    state,
    visited: state ? [state] : [],
  };
  if (state === 'exited' && typeof i.State?.ExitCode === 'number') c.exit = { code: i.State.ExitCode, signal: 0 };
  c.processes = processesOf(s);
  c.namespaces = Object.entries(s.Namespaces ?? {}).map(([kind, n]) => ({ kind, path: null, inode: n.Inode, sharedWithHost: n.SharedWithHost }));
  if (s.Mounts) {
    c.mountTable = {
      mounts: s.Mounts.slice(0, SEEN_MOUNTS).map((m) => ({ target: m.mountPoint, type: m.fsType, source: m.source })),
      left: Math.max(0, s.Mounts.length - SEEN_MOUNTS),
    };
  }
  if (s.Cgroup) {
    const g = s.Cgroup;
    // The snapshot has the limits as the kernel applies them; an unlimited memory reads as the
    // machine's memory (as `docker stats` shows), so only the pids limit can be "none".
    const limits = [
      { file: 'memory.limit', resource: 'memory' as const, limit: g.memoryLimit, usage: null },
      { file: 'pids.max', resource: 'pids' as const, limit: g.pidsLimit, usage: null },
    ];
    const usage = { memory: g.memoryUsage, cpuNs: g.cpuUsageNs, pids: g.pids, when: 'snapshot' as const };
    c.cgroup = { name: '', version: null, limits: withUsage(limits, usage), usage };
  }
  return c;
}

/**
 * The cgroup's processes inside the container's pid namespace: pid 1 (the one the snapshot
 * names) as init, the others as processes. The runtime's helpers outside it (an exec's nsenter
 * waiting for its child) have no container pid and are left out, as `docker top` leaves them.
 */
function processesOf(s: StateContainer): ContainerProcess[] {
  const rows = (s.Processes ?? []).filter((p) => p.ContainerPid !== null);
  return rows.map((p) => ({
    role: p.Pid === s.Pid ? ('init' as const) : ('process' as const),
    hostPid: p.Pid,
    containerPid: p.ContainerPid,
    argv: [p.Command], // /proc's command line, already joined: what runs now
    exit: null,
  }));
}
