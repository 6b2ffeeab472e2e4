// What a container is at a point of a trace (issue 7, chapter 3): its lifecycle state, its
// processes, its namespaces, its cgroup limits and usage, and its mounts — folded from the events
// that happened (the first `cursor` of them, as site/lib/player.ts counts). Only what the trace
// says: a fact the engine did not record (the pids of an exec that was over before the engine
// looked, a command that exited before its /proc could be read) is left null, and
// ContainerState.vue draws nothing for it rather than a guess. A live trace may start mid-way
// (the player followed a daemon whose container already existed): a container first met by its
// id is drawn from there on, its state unknown until an event says one — unless the daemon's
// /state snapshot (live-state.ts) drew it first (container-seed.ts).
import type { TraceEvent } from '../../engine/trace/index.js';
import type { LiveState } from './live-state.js';
import { seedContainers } from './container-seed.js';
import { blankContainer, withUsage, type CgroupLimit, type CgroupUsage, type ContainerProcess, type ContainerStateView, type ContainerView, type LifecycleState } from './container-view.js';

// The vocabulary is container-view.ts's; the diagram and the tests import it from here.
export * from './container-view.js';

/**
 * The containers of a trace after its first `cursor` events. With a live `state` (the daemon's
 * snapshot, read when `state.cursor` events had arrived), a cursor at or after it starts from
 * the snapshot's containers and folds only the events after it on top. A cursor before it
 * folds the events from the start, over only the snapshot's containers that no event before
 * the snapshot names: those were there all along, as the snapshot shows them; the others are
 * what their events say at that moment.
 */
export function containerStateAt(events: readonly TraceEvent[], cursor: number, state: LiveState | null = null): ContainerStateView {
  const fold = new ContainerFold();
  const upTo = Math.max(0, Math.min(cursor, events.length));
  let from = 0;
  if (state?.containers) {
    const before = upTo >= state.cursor ? [] : events.slice(0, state.cursor);
    const named = new Set(before.map(idNamed));
    // Made while the page followed (its create is among the events, before the snapshot or after
    // it): not there all along, whatever moment the snapshot was read at — drawn by its events.
    const made = new Set(upTo >= state.cursor ? [] : events.filter((e) => e.op === 'container.snapshot').map((e) => str(e.data.id)));
    fold.containers = seedContainers(state.containers.filter((c) => !named.has(c.Id) && !made.has(c.Id)));
    fold.focus = fold.containers.length ? Math.max(0, fold.containers.findIndex((c) => c.state === 'running')) : -1;
    if (upTo >= state.cursor) from = state.cursor;
  }
  const happened = events.slice(from, upTo);
  for (const e of happened) fold.apply(e);
  return { containers: fold.containers, focus: fold.focus, event: happened.at(-1) ?? null };
}

const ID = /^[0-9a-f]{64}$/;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The container id an event names itself, in the field its chapter puts it in. */
function idNamed(e: TraceEvent): string | null {
  const d = e.data;
  for (const v of [d.id, d.container]) if (typeof v === 'string' && ID.test(v)) return v;
  // snapshots are keyed ctr-<id>, cgroups named dockling/<id>
  const tail = /(?:^ctr-|\/)([0-9a-f]{64})$/.exec(str(d.key) ?? str(d.name) ?? '');
  return tail ? tail[1]! : null;
}

/** memory.limit_in_bytes → memory, pids.max → pids, in cgroup v1 and v2 spellings. */
function resourceOf(file: string): CgroupLimit['resource'] {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base === 'memory.memsw.limit_in_bytes' || base === 'memory.swap.max') return 'memory+swap';
  if (base.startsWith('memory.')) return 'memory';
  if (base.startsWith('pids.')) return 'pids';
  if (base.startsWith('cpu')) return 'cpu';
  return 'other';
}

const WHEN: Record<string, CgroupUsage['when']> = { 'container.exec': 'exec', 'container.pause': 'pause' };

class ContainerFold {
  containers: ContainerView[] = [];
  focus = -1;
  /** span id → the container it works on (children inherit their parent's). */
  private owner = new Map<string, ContainerView>();
  /** span id → its op, to tell what a child span (cgroup.usage) was read for. */
  private ops = new Map<string, string>();
  /** cgroup.freeze span → frozen (pause) or not (unpause), as its start said. */
  private freezing = new Map<string, boolean>();
  /** container.exec span → the process it started. */
  private execs = new Map<string, ContainerProcess>();

  apply(e: TraceEvent): void {
    if (e.phase === 'start') this.ops.set(e.span, e.op);
    const c = this.containerOf(e);
    if (!c) return;
    this.focus = this.containers.indexOf(c);
    const d = e.data;
    switch (`${e.op}:${e.phase}`) {
      case 'container.create:end': return this.move(c, 'created');
      case 'process.start:end': return this.move(c, 'running');
      case 'container.start:end': return c.state === 'created' || c.state === null ? this.move(c, 'running') : undefined;
      case 'cgroup.freeze:start': this.freezing.set(e.span, d.frozen === true); return;
      case 'cgroup.freeze:end': return this.move(c, this.freezing.get(e.span) ? 'paused' : 'running');
      case 'process.exit:end': return this.exited(c, e);
      case 'container.removed:event': c.name ??= str(d.name)?.replace(/^\//, '') ?? null; return this.move(c, 'removed');
      case 'container.remove:end': return c.state === 'removed' ? undefined : this.move(c, 'removed');
      case 'shim.started:event': return this.shim(c, e);
      case 'container.init:event': return this.init(c, e);
      case 'container.exec:start': return this.exec(c, e);
      case 'exec.process:event': return this.execProcess(e);
      case 'exec.exit:event': return this.execExit(c, e);
      case 'container.signal:start': c.signals.push(str(d.signal) ?? '?'); return;
      case 'cgroup.create:start': c.cgroup = { name: str(d.name) ?? '', version: num(d.version), limits: [], usage: null }; return;
      case 'cgroup.set:event': return this.limit(c, e);
      case 'cgroup.usage:end': return this.usage(c, e);
      case 'net.netns:event': return this.netns(c, e);
      case 'net.endpoint:event': return this.endpoint(c, e);
      case 'net.veth:event': return this.veth(c, e);
      case 'overlay.mount:start': return this.mountStart(c, e);
      case 'overlay.mount:end': c.mounts.forEach((m) => (m.mounted = true)); return;
      // A mount made for a moment (the init layer's, a cp's) is gone once unmounted.
      case 'unmount:start': c.mounts = c.mounts.filter((m) => m.target !== str(d.target)); return;
      case 'snapshot.remove:end': c.mounts = []; return;
    }
  }

  /** The container an event is about: named in its data, or its span's (or parent span's). */
  private containerOf(e: TraceEvent): ContainerView | null {
    let c: ContainerView | null = null;
    if (e.op === 'container.create' && e.phase === 'start') {
      c = blankContainer(str(e.data.image), str(e.data.name));
      this.containers.push(c);
    } else {
      const id = idNamed(e);
      const known = id ? this.containers.find((x) => x.id === id) : undefined;
      if (known) this.mergePending(e, known);
      c = (id && (known ?? this.adoptPending(e, id))) || this.owner.get(e.span) || (e.parent ? this.owner.get(e.parent) ?? null : null);
      if (!c && id) c = this.joinMidway(id);
    }
    if (c && !this.owner.has(e.span)) this.owner.set(e.span, c);
    return c;
  }

  /**
   * A create whose id turns out to be a container already drawn — the live snapshot was read
   * while it was being made, so it is in the snapshot and its events came after — is that
   * container: the blank one its create started is dropped, its spans point to the known one.
   */
  private mergePending(e: TraceEvent, known: ContainerView): void {
    const pending = this.owner.get(e.span) ?? (e.parent ? this.owner.get(e.parent) : undefined);
    if (!pending || pending === known || pending.id !== null) return;
    this.containers.splice(this.containers.indexOf(pending), 1);
    for (const [span, c] of this.owner) if (c === pending) this.owner.set(span, known);
  }

  /** `create` learns the id it gave only from its container.snapshot event. */
  private adoptPending(e: TraceEvent, id: string): ContainerView | null {
    const pending = this.owner.get(e.span) ?? (e.parent ? this.owner.get(e.parent) : undefined);
    if (pending && pending.id === null) pending.id = id;
    return pending?.id === id ? pending : null;
  }

  /**
   * An id met for the first time outside its create's spans: the create still without an id
   * gets it (snapshot.prepare names it before container.snapshot does); with none pending, a
   * container whose create happened before the trace began, known from here on.
   */
  private joinMidway(id: string): ContainerView {
    const pending = this.containers.filter((x) => x.id === null);
    if (pending.length === 1) return Object.assign(pending[0]!, { id });
    const c = { ...blankContainer(null, null), id, joined: true };
    this.containers.push(c);
    return c;
  }

  private move(c: ContainerView, to: LifecycleState): void {
    if (c.state === to) return;
    c.lastTransition = c.state ? { from: c.state, to } : null;
    c.state = to;
    c.visited.push(to);
  }

  private exited(c: ContainerView, e: TraceEvent): void {
    const exit = { code: num(e.data.code) ?? 0, signal: num(e.data.signal) ?? 0 };
    c.exit = exit;
    const pid = num(e.data.pid);
    for (const p of c.processes) if (p.role === 'init' && p.hostPid === pid) p.exit = exit;
    this.move(c, 'exited');
  }

  private shim(c: ContainerView, e: TraceEvent): void {
    const d = e.data;
    const shimPid = num(d.shimPid);
    const pid = num(d.pid);
    // A restart starts a new shim and init: the old pair is gone (a snapshot's rows too).
    c.processes = c.processes.filter((p) => p.role === 'exec' && p.exit === null);
    if (shimPid !== null) c.processes.push({ role: 'shim', hostPid: shimPid, containerPid: null, argv: [], exit: null });
    // The runtime's command (dockling-init --plan …) until container.init names the user's.
    if (pid !== null) c.processes.push({ role: 'init', hostPid: pid, containerPid: null, argv: strings(d.argv), exit: null });
  }

  /** pid 1 as the kernel showed it once it ran: both pids, the command, namespaces, mounts. */
  private init(c: ContainerView, e: TraceEvent): void {
    const d = e.data;
    const pid = num(d.pid);
    let p = c.processes.find((x) => x.role === 'init' && x.hostPid === pid);
    if (!p) c.processes.push((p = { role: 'init', hostPid: pid, containerPid: null, argv: [], exit: null }));
    p.containerPid = num(d.containerPid);
    p.argv = strings(d.argv);
    const namespaces = (d.namespaces ?? {}) as Record<string, { Inode?: unknown; SharedWithHost?: unknown }>;
    for (const [kind, n] of Object.entries(namespaces)) {
      let ns = c.namespaces.find((x) => x.kind === kind);
      if (!ns) c.namespaces.push((ns = { kind, path: null, inode: null, sharedWithHost: null }));
      ns.inode = num(n.Inode) ?? ns.inode;
      ns.sharedWithHost = typeof n.SharedWithHost === 'boolean' ? n.SharedWithHost : ns.sharedWithHost;
    }
    const mounts = Array.isArray(d.mounts) ? (d.mounts as Record<string, unknown>[]) : [];
    c.mountTable = {
      mounts: mounts.map((m) => ({ target: str(m.target) ?? '', type: str(m.type) ?? '', source: str(m.source) ?? '' })),
      left: num(d.mountsLeft) ?? 0,
    };
  }

  private exec(c: ContainerView, e: TraceEvent): void {
    // data.pid is the container's pid 1 it joins; its own pids come with exec.process.
    const p: ContainerProcess = { role: 'exec', hostPid: null, containerPid: null, argv: strings(e.data.cmd ?? e.data.argv), exit: null };
    c.processes.push(p);
    this.execs.set(e.span, p);
  }

  private execProcess(e: TraceEvent): void {
    const p = this.execs.get(e.span);
    if (!p) return;
    p.hostPid = num(e.data.pid);
    p.containerPid = num(e.data.containerPid);
  }

  private execExit(c: ContainerView, e: TraceEvent): void {
    // the exec of this span; in a trace sliced after its start, the first still running
    const p = this.execs.get(e.span) ?? c.processes.find((x) => x.role === 'exec' && x.exit === null);
    const status = num(e.data.status) ?? 0;
    if (p) p.exit = { code: status, signal: status > 128 ? status - 128 : 0 };
  }

  private limit(c: ContainerView, e: TraceEvent): void {
    const file = str(e.data.file);
    const value = str(e.data.value) ?? String(e.data.value);
    if (!file || !c.cgroup) return;
    // freezer.state / cgroup.freeze are pause's knob, not a limit
    if (/\/(freezer\.state|cgroup\.freeze)$/.test(file)) return;
    const limit = value === 'max' || value === '-1' ? null : Number(value.split(' ')[0]);
    const entry: CgroupLimit = { file, resource: resourceOf(file), limit: Number.isFinite(limit) ? limit : null, usage: null };
    const i = c.cgroup.limits.findIndex((l) => l.file === file);
    if (i >= 0) c.cgroup.limits[i] = entry;
    else c.cgroup.limits.push(entry);
  }

  private usage(c: ContainerView, e: TraceEvent): void {
    const [memory, cpuNs, pids] = [num(e.data.memory), num(e.data.cpuNs), num(e.data.pids)];
    if (memory === null || pids === null) return;
    const parentOp = e.parent ? this.ops.get(e.parent) : undefined;
    // a cgroup.usage of its own (no parent) is the one read at the exit, before the cgroup goes
    const when = parentOp ? (WHEN[parentOp] ?? 'other') : c.state === 'exited' ? 'exit' : 'other';
    const usage: CgroupUsage = { memory, cpuNs: cpuNs ?? 0, pids, when };
    c.cgroup ??= { name: '', version: null, limits: [], usage: null };
    c.cgroup.usage = usage;
    c.cgroup.limits = withUsage(c.cgroup.limits, usage);
  }

  private netns(c: ContainerView, e: TraceEvent): void {
    const path = str(e.data.path);
    let ns = c.namespaces.find((n) => n.kind === 'net');
    if (!ns) c.namespaces.push((ns = { kind: 'net', path, inode: null, sharedWithHost: null }));
    ns.path = path ?? ns.path;
    ns.inode = num(e.data.inode) ?? ns.inode;
  }

  private endpoint(c: ContainerView, e: TraceEvent): void {
    c.network = { ...(c.network ?? { hostVeth: null, bridge: null }), ip: str(e.data.ip), mac: str(e.data.mac) };
  }

  private veth(c: ContainerView, e: TraceEvent): void {
    const net = (c.network ??= { ip: null, mac: null, hostVeth: null, bridge: null });
    net.hostVeth = str(e.data.host) ?? net.hostVeth;
    net.bridge = str(e.data.bridge) ?? net.bridge;
  }

  private mountStart(c: ContainerView, e: TraceEvent): void {
    const d = e.data;
    c.mounts.push({
      target: str(d.target) ?? '',
      type: str(d.driver) ?? 'overlay',
      lower: strings(d.layers),
      upper: str(d.upper),
      readonly: d.readonly === true,
      mounted: false,
    });
  }
}
