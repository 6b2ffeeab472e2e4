// "Follow my daemon" (issue 7, live mode), in Node: site/lib/live-follow.ts driven by a fake
// EventSource speaking what engine/daemon/live/trace-routes.ts sends (hello, then numbered
// events); the diagrams given a trace that starts mid-way, as a live one does (spans begun
// before the page connected); and the player's follow control as the server renders it.
import { describe, expect, it } from 'vitest';
import { createSSRApp, defineComponent, h, provide, computed, type Component } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import { DEFAULT_DAEMON, followDaemon, statusText, streamUrl, type EventSourceLike, type LiveStatus } from '../../../site/lib/live-follow.js';
import { playerKey } from '../../../site/lib/player-context.js';
import { containerStateAt } from '../../../site/lib/container-state.js';
import BuildDiagram from '../../../site/.vitepress/theme/components/BuildDiagram.vue';
import ContainerState from '../../../site/.vitepress/theme/components/ContainerState.vue';
import LayerStack from '../../../site/.vitepress/theme/components/LayerStack.vue';
import RegistryGraph from '../../../site/.vitepress/theme/components/RegistryGraph.vue';
import { attrValues, renderDiagram, traceText } from './render.js';

/** An EventSource as the tests need it: what the page registered, and a way to play the daemon. */
class FakeEventSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  onmessage: EventSourceLike['onmessage'] = null;
  onerror: EventSourceLike['onerror'] = null;
  private named = new Map<string, (e: { data: string }) => void>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (e: { data: string }) => void): void {
    this.named.set(type, listener);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  hello(version: unknown = 1): void {
    this.readyState = 1;
    this.named.get('hello')?.({ data: JSON.stringify({ Format: 'dockling-trace', Version: version, Last: 0, Oldest: null, Replay: 0, Restarted: false }) });
  }
  send(id: number, event: unknown): void {
    this.onmessage?.({ data: JSON.stringify(event), lastEventId: String(id) });
  }
  fail(readyState: number): void {
    this.readyState = readyState;
    this.onerror?.({});
  }
}

function follower(address = DEFAULT_DAEMON) {
  const events: TraceEvent[] = [];
  const statuses: LiveStatus[] = [];
  let source: FakeEventSource | undefined;
  const following = followDaemon({
    address,
    open: (url) => (source = new FakeEventSource(url)),
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
  });
  return { events, statuses, source: () => source!, following, last: () => statuses.at(-1)! };
}

const recorded = (id: string) => validateTrace(traceText(id), { complete: true }).events;

describe('following a daemon (live-follow.ts)', () => {
  it('opens <address>/trace/stream and hands on each event it checked, counting them', () => {
    const f = follower('127.0.0.1:7357/');
    expect(f.source().url).toBe('http://127.0.0.1:7357/trace/stream');
    expect(f.last()).toEqual({ kind: 'connecting', address: '127.0.0.1:7357/' });
    f.source().hello();
    expect(f.last()).toMatchObject({ kind: 'following', events: 0 });
    const [a, b] = recorded('namespaces-run-limits');
    f.source().send(41, a);
    f.source().send(42, b);
    expect(f.events).toEqual([a, b]);
    expect(statusText(f.last())).toBe('following 2 events from the daemon at 127.0.0.1:7357/');
    f.following.close();
    expect(f.source().closed).toBe(true);
  });

  it('refuses a daemon whose hello names a version this page does not read, and closes', () => {
    const f = follower();
    f.source().hello(2);
    expect(f.last()).toMatchObject({ kind: 'refused' });
    expect(statusText(f.last())).toMatch(/version 2; this page reads version 1/);
    expect(f.source().closed).toBe(true);
  });

  it('refuses an event of an unknown version or shape, naming its stream id, and stops there', () => {
    const f = follower();
    f.source().hello();
    const [a] = recorded('namespaces-run-limits');
    f.source().send(7, { ...a, v: 9 });
    expect(statusText(f.last())).toMatch(/trace line 7: dockling-trace version 9 is not supported/);
    expect(f.source().closed).toBe(true);
    f.source().send(8, a);
    expect(f.events).toEqual([]);

    const g = follower();
    g.source().hello();
    g.source().send(3, { ...a, phase: 'halfway' });
    expect(statusText(g.last())).toMatch(/trace line 3: "phase" is "halfway"/);
  });

  it('says how to start the daemon when it cannot reach it, and keeps trying', () => {
    const f = follower();
    f.source().fail(0); // CONNECTING: the browser retries by itself
    expect(f.last()).toEqual({ kind: 'unreachable', address: DEFAULT_DAEMON });
    expect(statusText(f.last(), 'http://127.0.0.1:4173')).toBe(
      'cannot reach the daemon at http://127.0.0.1:7357: start it with `sudo dockling daemon --trace-listen 127.0.0.1:7357` ' +
        '(add `--trace-origin http://127.0.0.1:4173` unless this page is served on localhost:5173 or :4173); still trying…',
    );
    expect(f.source().closed).toBe(false);
    f.source().hello(); // the reader started it
    expect(f.last()).toMatchObject({ kind: 'following' });
    f.source().fail(0);
    expect(f.last()).toEqual({ kind: 'reconnecting', address: DEFAULT_DAEMON, events: 0 });
  });

  it('gives up on a refused stream (another origin, not an event stream), and on a bad address', () => {
    const f = follower();
    f.source().fail(2);
    expect(f.last()).toMatchObject({ kind: 'refused' });
    expect(statusText(f.last(), 'http://127.0.0.1:4173')).toBe(
      'the daemon at http://127.0.0.1:7357 cannot be followed: it refused this page, or it is not a Dockling daemon ' +
        "(to allow this page, add `--trace-origin http://127.0.0.1:4173` to the daemon's command)",
    );
    const g = follower('ftp://127.0.0.1:7357');
    expect(g.last()).toMatchObject({ kind: 'refused' });
    expect(() => streamUrl('http://[not')).toThrow(/not an address/);
    expect(streamUrl('localhost:9000')).toBe('http://localhost:9000/trace/stream');
  });

  it('counts the events a catch-up missed', () => {
    const f = follower();
    f.source().hello();
    (f.source() as unknown as { named: Map<string, (e: { data: string }) => void> }).named.get('gap')!({ data: '{"From":1,"To":57}' });
    expect(statusText(f.last())).toMatch(/57 missed/);
  });
});

/** A diagram given events the way the player gives them in live mode: provided, cursor at the end. */
async function renderLive(diagram: Component, events: readonly TraceEvent[], cursor = events.length): Promise<string> {
  const Live = defineComponent({
    setup(_, { slots }) {
      provide(playerKey, { events: computed(() => events), cursor: computed(() => cursor), state: computed(() => null) });
      return () => slots.default?.();
    },
  });
  return renderToString(createSSRApp({ render: () => h(Live, null, { default: () => h(diagram) }) }));
}

const DIAGRAMS: [string, Component][] = [
  ['layers-save-load', LayerStack],
  ['unionfs-cp-commit', LayerStack],
  ['namespaces-run-limits', ContainerState],
  ['registry-push-pull', RegistryGraph],
  ['build-multi-stage', BuildDiagram],
];

describe('the diagrams, given a trace that starts mid-way', () => {
  it.each(DIAGRAMS)('%s: sliced anywhere, draws at every cursor without failing', async (id, diagram) => {
    const events = recorded(id);
    for (const from of [1, Math.floor(events.length / 3), Math.floor(events.length / 2), events.length - 5]) {
      const window = events.slice(from);
      for (let cursor = 0; cursor <= window.length; cursor += Math.max(1, Math.floor(window.length / 12))) {
        const html = await renderLive(diagram, window, cursor);
        expect(html, `${id} from event ${from}, cursor ${cursor}`).toContain('<svg');
      }
      expect(await renderLive(diagram, window)).toContain('<svg');
    }
  });

  const events = recorded('namespaces-run-limits');
  const second = events.find((e) => e.op === 'container.create' && e.phase === 'start' && e.data['name'] === 'ns-sleeper')!;
  const id = events.find((e, i) => i > events.indexOf(second) && e.op === 'container.snapshot')!.data['id'] as string;
  const startOf = events.findIndex((e) => e.op === 'container.start' && e.phase === 'start' && e.data['id'] === id);

  it('ContainerState: a container first met at its start is drawn by its id, then running, exited, removed', async () => {
    const window = events.slice(startOf); // its create happened before the page connected
    expect(containerStateAt(window, 1).containers).toMatchObject([{ id, state: null, joined: true, name: null }]);
    const html = await renderLive(ContainerState, window, 1);
    expect(html).toContain(`${id.slice(0, 12)}: state not seen yet`);
    expect(attrValues(html, 'data-current')).not.toContain('true');
    const at = (op: string, phase: string) => window.findIndex((e) => e.op === op && e.phase === phase) + 1;
    for (const [cursor, state] of [[at('process.start', 'end'), 'running'], [at('process.exit', 'end'), 'exited'], [window.length, 'removed']] as const) {
      const view = containerStateAt(window, cursor);
      expect(view.containers.map((c) => [c.id, c.state])).toEqual([[id, state]]);
      expect(await renderLive(ContainerState, window, cursor)).toMatch(new RegExp(`data-state="${state}" data-current="true"`));
    }
    expect(containerStateAt(window, window.length).containers[0]!.visited).toEqual(['running', 'exited', 'removed']);
  });

  it('ContainerState: sliced inside a span (no start of its own), keeps what later events name', () => {
    // From the shim's event on: process.start began before, its end names no container.
    const window = events.slice(events.findIndex((e) => e.op === 'shim.started' && String(e.data['stateDir']).endsWith(id)));
    const view = containerStateAt(window, window.length);
    expect(view.containers.map((c) => [c.id, c.state, c.name])).toEqual([[id, 'removed', 'ns-sleeper']]);
    expect(view.containers[0]!.exit).toMatchObject({ code: 137 });
  });

  it('ContainerState: a whole recording is read as before (no container met twice)', () => {
    const view = containerStateAt(events, events.length);
    expect(view.containers.map((c) => c.joined)).toEqual([false, false]);
    expect(view.containers.map((c) => c.state)).toEqual(['removed', 'removed']);
  });
});

describe('<TracePlayer> offers to follow a daemon', () => {
  it('renders the address field (the default address) and the button, in replay mode', async () => {
    const html = await renderDiagram({ trace: 'namespaces-run-limits', diagram: ContainerState });
    expect(html).toContain('data-mode="replay"');
    expect(html).toMatch(new RegExp(`class="dl-follow-address"[^>]*value="${DEFAULT_DAEMON.replace(/\./g, '\\.')}"|value="${DEFAULT_DAEMON.replace(/\./g, '\\.')}"[^>]*class="dl-follow-address"`));
    expect(html).toContain('Follow my daemon');
  });
});
