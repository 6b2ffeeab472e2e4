// The container-state diagram drawn from the recorded run (site/traces/namespaces-run-limits.jsonl):
// rendered in Node at several cursors, its lifecycle, pids, namespace inodes, limits and mounts
// checked against the trace's own facts — and nothing drawn that the trace does not hold.
import { describe, expect, it } from 'vitest';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import ContainerState from '../../../site/.vitepress/theme/components/ContainerState.vue';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const TRACE = 'namespaces-run-limits';
const events: TraceEvent[] = validateTrace(traceText(TRACE), { complete: true }).events;
const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: ContainerState, cursor });
/** The cursor just after the first event matching, from `from` on. */
const after = (match: (e: TraceEvent) => boolean, from = 0) => events.findIndex((e, i) => i >= from && match(e)) + 1;
const is = (op: string, phase: TraceEvent['phase']) => (e: TraceEvent) => e.op === op && e.phase === phase;

/** The part of the markup the diagram drew (the player around it shows the event's facts too). */
const diagram = (html: string) => html.slice(html.indexOf('<figure class="dl-ContainerState"'), html.indexOf('</svg>') + 6);
const current = (html: string) => [...diagram(html).matchAll(/data-state="([a-z]+)" data-current="true"/g)].map((m) => m[1]);

const ids = [...new Set(events.filter(is('container.snapshot', 'event')).map((e) => e.data['id'] as string))];

describe('ContainerState', () => {
  it('draws no container before the first create, and the five states unlit', async () => {
    const html = diagram(await render(0));
    expect(attrValues(html, 'data-container')).toEqual([]);
    expect(current(html)).toEqual([]);
    expect(html.match(/class="state[ "]/g)).toHaveLength(5);
  });

  it('lights the state each lifecycle event leads to, for both containers in turn', async () => {
    // [the event that moves a container, the state it moves to], read from the trace
    const steps: [string, TraceEvent['phase'], string][] = [
      ['container.create', 'end', 'created'],
      ['process.start', 'end', 'running'],
      ['process.exit', 'end', 'exited'],
      ['container.removed', 'event', 'removed'],
    ];
    let from = 0;
    for (const id of ids) {
      for (const [op, phase, state] of steps) {
        const cursor = after(is(op, phase), from);
        expect(cursor).toBeGreaterThan(from);
        const html = diagram(await render(cursor));
        expect(current(html), `${op} of ${id.slice(0, 12)}`).toEqual([state]);
        expect(html).toMatch(new RegExp(`class="focus" data-container="${id}" data-state="${state}"`));
        from = cursor;
      }
    }
    // the lit edge is the transition just taken
    const exited = diagram(await render(after(is('process.exit', 'end'))));
    expect(withClass(exited, 'lit')).toHaveLength(1);
    expect(diagram(await render(after(is('process.exit', 'end'))))).toMatch(/class="edge lit" data-edge="running-exited"/);
  });

  it('names the shim and the init with the host pids shim.started recorded', async () => {
    for (const started of events.filter(is('shim.started', 'event'))) {
      const html = diagram(await render(events.indexOf(started) + 1));
      expect(attrValues(html, 'data-role')).toEqual(['shim', 'init']);
      expect(attrValues(html, 'data-host-pid')).toEqual([String(started.data['shimPid']), String(started.data['pid'])]);
      expect(html).toContain(`host pid ${started.data['pid']}`);
    }
  });

  it('shows the exit code process.exit recorded, on the init it names', async () => {
    for (const exit of events.filter(is('process.exit', 'end'))) {
      const html = diagram(await render(events.indexOf(exit) + 1));
      expect(html).toMatch(new RegExp(`class="process init exited" data-role="init" data-host-pid="${exit.data['pid']}"`));
      expect(html).toContain(`exited ${exit.data['code']}${exit.data['signal'] ? ` (signal ${exit.data['signal']})` : ''}`);
    }
  });

  it('draws the net namespace with the inode net.netns recorded, once it is recorded', async () => {
    for (const id of ids) {
      const withInode = events.find((e) => e.op === 'net.netns' && typeof e.data['inode'] === 'number' && String(e.data['path']).endsWith(id))!;
      const before = diagram(await render(events.indexOf(withInode)));
      expect(attrValues(before, 'data-inode')).toEqual(['']); // the file exists, the inode is not known yet
      const html = diagram(await render(events.indexOf(withInode) + 1));
      expect(attrValues(html, 'data-ns')).toEqual(['net']);
      expect(attrValues(html, 'data-inode')).toEqual([String(withInode.data['inode'])]);
    }
  });

  it('draws each cgroup limit cgroup.set wrote, in bytes or a count, and no usage (not traced)', async () => {
    for (const id of ids) {
      const sets = events.filter((e) => e.op === 'cgroup.set' && String(e.data['file']).includes(id));
      const html = diagram(await render(events.indexOf(sets.at(-1)!) + 1));
      expect(attrValues(html, 'data-limit')).toEqual(sets.map((e) => String(e.data['value'])));
      const resources = sets.map((e) => String(e.data['file']).split('/').at(-1)!.replace('memory.memsw.limit_in_bytes', 'memory+swap').replace(/^memory\..*/, 'memory').replace('pids.max', 'pids'));
      expect(attrValues(html, 'data-resource')).toEqual(resources);
      expect(withClass(html, 'usage-bar')).toEqual([]);
    }
    const first = diagram(await render(after(is('cgroup.create', 'end'))));
    expect(first).toContain('64 MiB');
    expect(first).toContain('128 MiB');
    expect(first).toMatch(/data-resource="pids" data-limit="50"/);
  });

  it('draws the overlay root once overlay.mount ends, and drops it when the snapshot is removed', async () => {
    const mount = events.find(is('overlay.mount', 'start'))!;
    expect(attrValues(diagram(await render(events.indexOf(mount) + 1)), 'data-mounted')).toEqual(['false']);
    expect(attrValues(diagram(await render(after(is('overlay.mount', 'end')))), 'data-mounted')).toEqual(['true']);
    expect(diagram(await render(after(is('overlay.mount', 'end'))))).toContain('overlay on …/bundle/rootfs');
    expect(attrValues(diagram(await render(after(is('snapshot.remove', 'end'), events.indexOf(mount)))), 'data-mounted')).toEqual([]);
  });

  it('draws nothing the trace does not hold: no container pid, no host-namespace comparison', async () => {
    for (const cursor of [0, 40, 60, 130, events.length]) {
      const html = diagram(await render(cursor));
      expect(attrValues(html, 'data-container-pid').filter((v) => v !== '')).toEqual([]);
      expect(html).not.toContain('shared with the host');
      expect(html).not.toContain('in the container');
    }
  });

  it('lights paused between a cgroup.freeze and its thaw (pause is not in the recording: spliced in here)', async () => {
    // The engine traces pause and unpause as cgroup.freeze spans only when given a span; the
    // recorded run has none, so two are spliced in after the detached container started.
    const started = events.filter(is('process.start', 'end'))[1]!;
    const id = ids[1]!;
    const freeze = (span: string, frozen: boolean, t: number): TraceEvent[] => [
      { v: 1, t, span, parent: null, chapter: 'namespaces', op: 'cgroup.freeze', phase: 'start', data: { name: `dockling/${id}`, frozen } },
      { v: 1, t: t + 0.1, span, parent: null, chapter: 'namespaces', op: 'cgroup.freeze', phase: 'end', ms: 0.1, data: {} },
    ];
    const i = events.indexOf(started) + 1;
    const spliced = [...events.slice(0, i), ...freeze('test-freeze', true, started.t + 0.2), ...freeze('test-thaw', false, started.t + 0.4), ...events.slice(i)];
    const text = spliced.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const at = async (cursor: number) => diagram(await renderDiagram({ trace: TRACE, text, diagram: ContainerState, cursor }));
    expect(current(await at(i))).toEqual(['running']);
    expect(current(await at(i + 2))).toEqual(['paused']);
    expect(await at(i + 2)).toMatch(/class="edge lit" data-edge="running-paused"/);
    expect(current(await at(i + 4))).toEqual(['running']);
    expect(await at(i + 4)).toMatch(/class="edge lit" data-edge="paused-running"/);
  });

  it('is the same markup at the same cursor, every time', async () => {
    for (const cursor of [0, 55, 127, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});
