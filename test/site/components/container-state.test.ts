// The container-state diagram drawn from the recorded run (site/traces/namespaces-run-limits.jsonl):
// rendered in Node at several cursors, its lifecycle, its process tree (host and container
// pids), its namespaces (inodes, the host's or its own), its usage against its limits and its
// mounts checked against the trace's own facts — nothing drawn that the trace does not hold —
// and, in live mode, a container drawn from the daemon's /state snapshot with events on top.
import { describe, expect, it } from 'vitest';
import { createSSRApp, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import ContainerState from '../../../site/.vitepress/theme/components/ContainerState.vue';
import type { LiveState, StateContainer } from '../../../site/lib/live-state.js';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const TRACE = 'namespaces-run-limits';
const events: TraceEvent[] = validateTrace(traceText(TRACE), { complete: true }).events;
const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: ContainerState, cursor });
/** The cursor just after the first event matching, from `from` on. */
const after = (match: (e: TraceEvent) => boolean, from = 0) => events.findIndex((e, i) => i >= from && match(e)) + 1;
const is = (op: string, phase: TraceEvent['phase']) => (e: TraceEvent) => e.op === op && e.phase === phase;
const ofId = (id: string) => (e: TraceEvent) => JSON.stringify(e.data).includes(id);

/** The part of the markup the diagram drew (the player around it shows the event's facts too). */
const diagram = (html: string) => html.slice(html.indexOf('<figure class="dl-ContainerState"'), html.indexOf('</svg>') + 6);
const current = (html: string) => [...diagram(html).matchAll(/data-state="([a-z]+)" data-current="true"/g)].map((m) => m[1]);
/** The elements of one class, each as its attributes. */
const rows = (html: string, cls: string) => withClass(html, cls).map((tag) => Object.fromEntries([...tag.matchAll(/\s(data-[a-z-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])));

const ids = [...new Set(events.filter(is('container.snapshot', 'event')).map((e) => e.data['id'] as string))];
const init = events.find(is('container.init', 'event'))!;
const initNs = init.data['namespaces'] as Record<string, { Inode: number; SharedWithHost: boolean }>;
const sleeper = init.data['id'] as string;

describe('ContainerState', () => {
  it('draws no container before the first create, and the five states unlit', async () => {
    const html = diagram(await render(0));
    expect(attrValues(html, 'data-container')).toEqual([]);
    expect(current(html)).toEqual([]);
    expect(html.match(/class="state[ "]/g)).toHaveLength(5);
  });

  it('lights the state each lifecycle event leads to, and marks the transition just taken', async () => {
    // The lifecycle events of the trace, each with the state it leads to, read from the trace
    // itself (a freeze's start says whether it pauses or thaws).
    const frozen = new Map(events.filter(is('cgroup.freeze', 'start')).map((e) => [e.span, e.data['frozen'] === true]));
    const leadsTo = (e: TraceEvent): string | null =>
      e.op === 'container.create' && e.phase === 'end' ? 'created'
      : e.op === 'process.start' && e.phase === 'end' ? 'running'
      : e.op === 'cgroup.freeze' && e.phase === 'end' ? (frozen.get(e.span) ? 'paused' : 'running')
      : e.op === 'process.exit' && e.phase === 'end' ? 'exited'
      : e.op === 'container.removed' ? 'removed' : null;
    const seen = new Map<string, string>();
    const steps = events.map((e, i) => ({ i, to: leadsTo(e) })).filter((s) => s.to);
    // the first container runs and exits; the second is also paused and unpaused
    expect(steps.map((s) => s.to)).toEqual(['created', 'running', 'exited', 'removed', 'created', 'running', 'paused', 'running', 'exited', 'removed']);
    for (const [n, step] of steps.entries()) {
      const id = ids[n < 4 ? 0 : 1]!;
      const html = diagram(await render(step.i + 1));
      expect(current(html), `${step.to} of ${id.slice(0, 12)}`).toEqual([step.to]);
      expect(html).toMatch(new RegExp(`class="focus" data-container="${id}" data-state="${step.to}"`));
      const from = seen.get(id);
      expect(attrValues(withClass(html, 'lit').join(''), 'data-edge')).toEqual(from ? [`${from}-${step.to}`] : []);
      seen.set(id, step.to!);
    }
  });

  it('draws the process tree: shim and init with their host pids, then pid 1 as the container sees it', async () => {
    for (const started of events.filter(is('shim.started', 'event'))) {
      const html = diagram(await render(events.indexOf(started) + 1));
      expect(rows(html, 'process').map((r) => [r['data-role'], r['data-pid'], r['data-container-pid']])).toEqual([
        ['shim', String(started.data['shimPid']), ''],
        ['init', String(started.data['pid']), ''], // not known yet: no guess
      ]);
    }
    const html = diagram(await render(events.indexOf(init) + 1));
    expect(rows(html, 'init')).toEqual([expect.objectContaining({ 'data-pid': String(init.data['pid']), 'data-container-pid': String(init.data['containerPid']) })]);
    expect(init.data['containerPid']).toBe(1);
    // the user's command, not the runtime's
    expect(html).toContain(`init ${(init.data['argv'] as string[]).slice(0, 2).join(' ')}`);
    expect(html).not.toContain('init dockling-init');
  });

  it('adds each exec with the pids exec.process recorded (not pid 1), and its exit', async () => {
    const execs = events.filter(is('container.exec', 'start'));
    expect(execs.length).toBe(2);
    const proc = events.find((e) => e.op === 'exec.process' && e.span === execs[0]!.span)!;
    expect(proc.data['containerPid']).not.toBe(1);
    let html = diagram(await render(events.indexOf(execs[0]!) + 1));
    expect(rows(html, 'exec')).toEqual([expect.objectContaining({ 'data-pid': '', 'data-container-pid': '' })]); // started, pids not read yet
    html = diagram(await render(events.indexOf(proc) + 1));
    expect(rows(html, 'exec')).toEqual([expect.objectContaining({ 'data-pid': String(proc.data['pid']), 'data-container-pid': String(proc.data['containerPid']), 'data-exited': '' })]);
    expect(html).toContain(`exec ${(execs[0]!.data['cmd'] as string[]).join(' ')}`);
    // each exec's exit, on its own row (exec.exit of its span)
    for (const exec of execs) {
      const exit = events.find((e) => e.op === 'exec.exit' && e.span === exec.span)!;
      const drawn = rows(diagram(await render(events.indexOf(exit) + 1)), 'exec');
      expect(drawn[execs.indexOf(exec)]!['data-exited']).toBe(String(exit.data['status']));
    }
    // the container's exit: init exited with process.exit's code
    const exit = events.filter(is('process.exit', 'end')).find(ofId(sleeper))!;
    expect(rows(diagram(await render(events.indexOf(exit) + 1)), 'init')[0]!['data-exited']).toBe(String(exit.data['code']));
  });

  it('draws each namespace with the inode container.init recorded, its own or the host’s', async () => {
    const html = diagram(await render(events.indexOf(init) + 1));
    const drawn = rows(html, 'namespace');
    expect(drawn.map((r) => r['data-ns'])).toEqual(Object.keys(initNs));
    for (const r of drawn) {
      expect(r['data-inode']).toBe(String(initNs[r['data-ns']!]!.Inode));
      expect(r['data-shared']).toBe(String(initNs[r['data-ns']!]!.SharedWithHost));
    }
    expect(withClass(html, 'own').length).toBe(Object.values(initNs).filter((n) => !n.SharedWithHost).length);
    expect(initNs['pid']!.SharedWithHost).toBe(false);
    // the net namespace pid 1 is in is the one the engine made for it (net.netns's inode)
    const netns = events.filter((e) => e.op === 'net.netns' && typeof e.data['inode'] === 'number' && String(e.data['path']).endsWith(sleeper)).at(-1)!;
    expect(initNs['net']!.Inode).toBe(netns.data['inode']);
  });

  it('draws the usage cgroup.usage recorded against the limits cgroup.set wrote, as bars', async () => {
    const usages = events.filter(is('cgroup.usage', 'end'));
    expect(usages.length).toBeGreaterThanOrEqual(4); // the first's exit; the exec, the pause and the exit of the second
    for (const u of usages) {
      const start = events.find((e) => e.span === u.span && e.phase === 'start')!;
      const id = start.data['id'] as string;
      const memoryLimit = events.find((e) => e.op === 'cgroup.set' && String(e.data['file']).includes(id) && /memory\.(limit_in_bytes|max)$/.test(String(e.data['file'])))!;
      const html = diagram(await render(events.indexOf(u) + 1));
      const memory = rows(html, 'limit').find((r) => r['data-resource'] === 'memory')!;
      expect(memory).toMatchObject({ 'data-limit': String(memoryLimit.data['value']), 'data-usage': String(u.data['memory']) });
      expect(rows(html, 'limit').find((r) => r['data-resource'] === 'pids')!['data-usage']).toBe(String(u.data['pids']));
      // the bar's width is the share of the limit in use (the limit's bar is 280 wide)
      const bar = withClass(html, 'usage-bar').map((t) => Number(/width="([\d.]+)"/.exec(t)![1]));
      expect(bar[0]).toBeCloseTo((280 * (u.data['memory'] as number)) / Number(memoryLimit.data['value']), 3);
      expect(html).toMatch(new RegExp(`data-cpu-ns="${u.data['cpuNs']}"`));
    }
    // before any usage is read: the limits alone, no bar
    const first = diagram(await render(after(is('cgroup.create', 'end'))));
    expect(withClass(first, 'usage-bar')).toEqual([]);
    expect(first).toContain('limit 64 MiB');
    expect(first).toMatch(/data-resource="pids" data-limit="50"/);
  });

  it('lists pid 1’s mounts as container.init recorded them, and how many were left out', async () => {
    const html = diagram(await render(events.indexOf(init) + 1));
    const mounts = init.data['mounts'] as { target: string }[];
    expect(attrValues(html, 'data-mount')).toEqual(mounts.map((m) => m.target));
    expect(mounts[0]!.target).toBe('/');
    const left = init.data['mountsLeft'] as number;
    expect(attrValues(html, 'data-mounts-left')).toEqual(left ? [String(left)] : []);
    // the root the engine mounted on the host, until its snapshot is removed
    expect(attrValues(html, 'data-mounted')).toEqual(['true']);
    expect(attrValues(diagram(await render(events.length)), 'data-mount')).toEqual(mounts.map((m) => m.target));
    expect(attrValues(diagram(await render(events.length)), 'data-mounted')).toEqual([]);
  });

  it('draws nothing the trace does not hold: no pids for a process over before /proc was read', async () => {
    // A container whose pid 1 was gone before container.init could be traced (the `echo`):
    // while it runs, no container pid, no mount table, only the network namespace, its owner unsaid.
    const untraced = ids.filter((id) => !events.some((e) => e.op === 'container.init' && e.data['id'] === id));
    for (const id of untraced) {
      const exit = events.filter(is('process.exit', 'start')).find(ofId(id))!;
      const html = diagram(await render(events.indexOf(exit)));
      expect(current(html)).toEqual(['running']);
      expect(attrValues(html, 'data-container-pid').filter((v) => v !== '')).toEqual([]);
      expect(attrValues(html, 'data-mount')).toEqual([]);
      expect(rows(html, 'namespace').map((r) => [r['data-ns'], r['data-shared']])).toEqual([['net', '']]);
    }
    // An exec whose process was over before it was found (often the quick `ps`): no pids, its exit.
    for (const exec of events.filter(is('container.exec', 'start')).filter((x) => !events.some((e) => e.op === 'exec.process' && e.span === x.span))) {
      const exit = events.find((e) => e.op === 'exec.exit' && e.span === exec.span)!;
      const drawn = rows(diagram(await render(events.indexOf(exit) + 1)), 'exec');
      expect(drawn.at(-1)).toEqual(expect.objectContaining({ 'data-pid': '', 'data-container-pid': '', 'data-exited': String(exit.data['status']) }));
    }
  });

  it('is the same markup at the same cursor, every time', async () => {
    for (const cursor of [0, 55, 140, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});

describe('ContainerState in live mode: the daemon’s /state snapshot first, events on top', () => {
  // A snapshot shaped as GET /state/containers answers: the detached container, running,
  // read before the page saw any of its events (its values taken from the recording).
  const usage = events.filter(is('cgroup.usage', 'end')).find((u) => events.find((e) => e.span === u.span && e.phase === 'start')!.data['id'] === sleeper)!;
  const proc = events.find(is('exec.process', 'event'))!;
  const seenMounts = (init.data['mounts'] as { target: string; type: string; source: string }[]).map((m) => ({ device: '0:1', root: '/', mountPoint: m.target, fsType: m.type, source: m.source, superOptions: 'rw' }));
  const snapshot: StateContainer = {
    Id: sleeper,
    Inspect: { Name: '/ns-sleeper', Config: { Image: 'busybox', Cmd: ['sleep', '600'] }, State: { Status: 'running', Running: true, Paused: false, Pid: init.data['pid'] as number } },
    Pid: init.data['pid'] as number,
    Processes: [
      { Pid: init.data['pid'] as number, ContainerPid: 1, PPid: 1, Command: 'sleep 600' },
      { Pid: proc.data['pid'] as number, ContainerPid: proc.data['containerPid'] as number, PPid: 0, Command: 'sleep 600' },
      { Pid: 99999, ContainerPid: null, PPid: 1, Command: 'nsenter --target 1' },
    ],
    Namespaces: initNs,
    Mounts: [...seenMounts, ...seenMounts.slice(0, 3)], // 3 more than the diagram lists
    Cgroup: { memoryUsage: usage.data['memory'] as number, memoryLimit: 32 << 20, cpuUsageNs: usage.data['cpuNs'] as number, pids: 2, pidsLimit: null },
  };
  const pause = events.findIndex(is('container.pause', 'start'));
  const window = events.slice(pause); // the live trace: from the pause on
  const live = (state: LiveState | null, cursor = window.length) =>
    renderToString(createSSRApp({ render: () => h(ContainerState, { events: window, cursor, state }) })).then(diagram);

  it('draws a container from the snapshot alone: its state, processes, namespaces, usage and mounts', async () => {
    const html = await live({ images: null, containers: [snapshot], cursor: 0 }, 0);
    expect(html).toMatch(new RegExp(`data-container="${sleeper}" data-state="running" data-seeded="true"`));
    expect(current(html)).toEqual(['running']);
    expect(rows(html, 'process').map((r) => [r['data-role'], r['data-pid'], r['data-container-pid']])).toEqual([
      ['init', String(snapshot.Pid), '1'],
      ['process', String(proc.data['pid']), String(proc.data['containerPid'])],
    ]); // the helper outside the container's pid namespace is left out
    expect(rows(html, 'namespace').map((r) => [r['data-ns'], r['data-inode'], r['data-shared']])).toEqual(Object.entries(initNs).map(([k, n]) => [k, String(n.Inode), String(n.SharedWithHost)]));
    expect(rows(html, 'limit').map((r) => [r['data-resource'], r['data-limit'], r['data-usage']])).toEqual([
      ['memory', String(32 << 20), String(snapshot.Cgroup!.memoryUsage)],
      ['pids', 'max', '2'],
    ]);
    expect(attrValues(html, 'data-mount')).toHaveLength(16);
    expect(attrValues(html, 'data-mounts-left')).toEqual([String(snapshot.Mounts!.length - 16)]);
  });

  it('folds the events after the snapshot on top: paused, then running, exited, removed', async () => {
    const state: LiveState = { images: null, containers: [snapshot], cursor: 0 };
    const freezeEnd = window.findIndex(is('cgroup.freeze', 'end')) + 1;
    const paused = await live(state, freezeEnd);
    expect(current(paused)).toEqual(['paused']);
    expect(attrValues(withClass(paused, 'lit').join(''), 'data-edge')).toEqual(['running-paused']);
    // the usage read while paused replaces the snapshot's
    const frozenUsage = window.find((e) => e.op === 'cgroup.usage' && e.phase === 'end')!;
    const withUsage = await live(state, window.indexOf(frozenUsage) + 1);
    expect(rows(withUsage, 'limit').find((r) => r['data-resource'] === 'memory')!['data-usage']).toBe(String(frozenUsage.data['memory']));
    expect(current(await live(state))).toEqual(['removed']);
    expect(attrValues(await live(state), 'data-container')).toEqual([sleeper]); // one container, not a second met by its id
  });

  it('a cursor before the snapshot was read: the events, over the containers no event before it names', async () => {
    // the sleeper is named by the events before the snapshot: drawn from them alone
    const html = await live({ images: null, containers: [snapshot], cursor: 5 }, 3);
    expect(html).not.toContain('data-seeded="true"');
    expect(await live(null, 3)).toBe(html);
    // one no event names was there all along, as the snapshot shows it
    const other: StateContainer = { ...snapshot, Id: 'f'.repeat(64), Inspect: { Name: '/idle', State: { Status: 'exited', ExitCode: 3 } }, Pid: null, Processes: null, Namespaces: null, Mounts: null, Cgroup: null };
    const both = await live({ images: null, containers: [snapshot, other], cursor: 5 }, 3);
    expect(both).toMatch(new RegExp(`data-container="${other.Id}" data-state="exited" data-seeded="true"`));
    expect(both).not.toMatch(new RegExp(`data-container="${sleeper}"[^>]*data-seeded="true"`));
  });

  it('a container the snapshot already holds, whose create comes after it, is drawn once', async () => {
    const create = events.filter(is('container.create', 'start')).find((e) => e.data['name'] === 'ns-sleeper')!;
    const fromCreate = events.slice(events.indexOf(create));
    const made: StateContainer = { ...snapshot, Inspect: { ...snapshot.Inspect, State: { Status: 'created' } }, Pid: null, Processes: null, Namespaces: null, Mounts: null, Cgroup: null };
    const html = diagram(await renderToString(createSSRApp({ render: () => h(ContainerState, { events: fromCreate, cursor: fromCreate.length, state: { images: null, containers: [made], cursor: 0 } }) })));
    expect(attrValues(html, 'data-container')).toEqual([sleeper]);
    expect(current(html)).toEqual(['removed']);
  });

  it('scrubbed back before a create, the container it made is not drawn, whenever the snapshot was read', async () => {
    // A snapshot read while the create's first events had arrived, but before any named the id:
    // the container is in it, yet it was made while the page followed.
    const create = events.filter(is('container.create', 'start')).find((e) => e.data['name'] === 'ns-sleeper')!;
    const fromBefore = events.slice(events.indexOf(create) - 2);
    const named = fromBefore.findIndex((e) => JSON.stringify(e.data).includes(sleeper));
    expect(named).toBeGreaterThan(2);
    const made: StateContainer = { ...snapshot, Inspect: { ...snapshot.Inspect, State: { Status: 'created' } }, Pid: null, Processes: null, Namespaces: null, Mounts: null, Cgroup: null };
    const at = (cursor: number) => renderToString(createSSRApp({ render: () => h(ContainerState, { events: fromBefore, cursor, state: { images: null, containers: [made], cursor: named } }) })).then(diagram);
    expect(attrValues(await at(1), 'data-container')).not.toContain(sleeper);
    expect(attrValues(await at(fromBefore.length), 'data-container')).toEqual([sleeper]);
  });
});
