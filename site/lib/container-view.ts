// The container-state diagram's vocabulary (issue 7, chapter 3): what site/lib/container-state.ts
// folds a trace into and container-seed.ts makes of the daemon's /state snapshot — a container's
// lifecycle state, processes, namespaces, cgroup limits and usage, and mounts — and the two
// helpers both use. ContainerState.vue lays a ContainerView out.
import type { TraceEvent } from '../../engine/trace/index.js';

/** The lifecycle `docker ps -a` walks through, in the order the diagram draws it. */
export const LIFECYCLE = ['created', 'running', 'paused', 'exited', 'removed'] as const;
export type LifecycleState = (typeof LIFECYCLE)[number];

/** The transitions the state machine draws, each named by the command that makes it. */
export const TRANSITIONS: readonly { from: LifecycleState; to: LifecycleState; label: string }[] = [
  { from: 'created', to: 'running', label: 'start' },
  { from: 'running', to: 'paused', label: 'pause' },
  { from: 'paused', to: 'running', label: 'unpause' },
  { from: 'running', to: 'exited', label: 'exit / stop' },
  { from: 'exited', to: 'running', label: 'start' },
  { from: 'created', to: 'removed', label: 'rm' },
  { from: 'exited', to: 'removed', label: 'rm' },
];

export interface ContainerProcess {
  /**
   * shim: the supervisor that outlives the daemon; init: the container's pid 1; exec: a
   * `docker exec`; process: another process in the container (a snapshot lists them all).
   */
  role: 'shim' | 'init' | 'exec' | 'process';
  /** The pid on the host, when the trace records it. */
  hostPid: number | null;
  /** The pid inside the container's pid namespace, when the trace records it (1 for init). */
  containerPid: number | null;
  /** The command: the user's (container.init, exec's cmd), or the runtime's until then. */
  argv: readonly string[];
  exit: { code: number; signal: number } | null;
}

export interface NamespaceFact {
  kind: string;
  /** The file the namespace is kept open by (a bind mount of /proc/<pid>/ns/<kind>), if any. */
  path: string | null;
  inode: number | null;
  /** The host's (the daemon's) namespace of that kind has the same inode; null until traced. */
  sharedWithHost: boolean | null;
}

export interface CgroupLimit {
  /** The knob, as the file names it: memory.limit_in_bytes, pids.max … */
  file: string;
  resource: 'memory' | 'memory+swap' | 'pids' | 'cpu' | 'other';
  /** The number written, or null for "max" (no limit). */
  limit: number | null;
  /** What is in use, at the last cgroup.usage (or snapshot); null when never sampled. */
  usage: number | null;
}

/** The cgroup's counters at one moment (a cgroup.usage span's end, or a /state snapshot). */
export interface CgroupUsage {
  memory: number;
  cpuNs: number;
  pids: number;
  /** When it was read: at an exec, a pause, the exit, or the snapshot the page fetched. */
  when: 'exec' | 'pause' | 'exit' | 'snapshot' | 'other';
}

/** The root filesystem as the engine mounted it on the host (overlay.mount). */
export interface MountFact {
  target: string;
  type: string;
  lower: readonly string[];
  upper: string | null;
  readonly: boolean;
  mounted: boolean;
}

/** One line of pid 1's mount table, as it sees it from inside. */
export interface SeenMount {
  target: string;
  type: string;
  source: string;
}

export interface ContainerView {
  id: string | null;
  name: string | null;
  image: string | null;
  /** null while `create` is still running, or until a trace that began mid-way says. */
  state: LifecycleState | null;
  /** First met mid-way, by its id (its create is not in the trace): what came before is unknown. */
  joined: boolean;
  /** Drawn from the daemon's /state snapshot (it existed before the page connected). */
  seeded: boolean;
  /** The states it went through, in order (a state may repeat: exited → running → exited). */
  visited: LifecycleState[];
  /** The transition that led to `state`, if any. */
  lastTransition: { from: LifecycleState; to: LifecycleState } | null;
  processes: ContainerProcess[];
  namespaces: NamespaceFact[];
  cgroup: { name: string; version: number | null; limits: CgroupLimit[]; usage: CgroupUsage | null } | null;
  mounts: MountFact[];
  /** pid 1's mount table (container.init or a snapshot): the first lines, and how many were left out. */
  mountTable: { mounts: SeenMount[]; left: number } | null;
  network: { ip: string | null; mac: string | null; hostVeth: string | null; bridge: string | null } | null;
  signals: string[];
  exit: { code: number; signal: number } | null;
}

export interface ContainerStateView {
  containers: ContainerView[];
  /** The container the last event concerned (or the last one seen), -1 before any. */
  focus: number;
  /** The last event that happened, or null at cursor 0. */
  event: TraceEvent | null;
}

/** A container with nothing known yet. */
export function blankContainer(image: string | null, name: string | null): ContainerView {
  return { id: null, name, image, state: null, joined: false, seeded: false, visited: [], lastTransition: null, processes: [], namespaces: [], cgroup: null, mounts: [], mountTable: null, network: null, signals: [], exit: null };
}

/**
 * The usage put beside the limits: memory against the memory limit, pids against pids.max (a
 * row with no limit when none was set: the count is still worth seeing). memory+swap is left
 * without usage: the trace's memory figure does not include swap.
 */
export function withUsage(limits: CgroupLimit[], usage: CgroupUsage): CgroupLimit[] {
  const out = limits.map((l) => ({ ...l, usage: l.resource === 'memory' ? usage.memory : l.resource === 'pids' ? usage.pids : l.usage }));
  if (!out.some((l) => l.resource === 'memory')) out.push({ file: 'memory.usage', resource: 'memory', limit: null, usage: usage.memory });
  if (!out.some((l) => l.resource === 'pids')) out.push({ file: 'pids.current', resource: 'pids', limit: null, usage: usage.pids });
  return out;
}
