// "Follow my daemon" (issue 7, live mode), in Node: site/lib/live-follow.ts driven by a fake
// EventSource speaking what engine/daemon/live/trace-routes.ts sends (hello, then numbered
// events); the diagrams given a trace that starts mid-way, as a live one does (spans begun
// before the page connected); and the player's follow control as the server renders it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSSRApp, defineComponent, h, provide, computed, type Component } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import { DEFAULT_DAEMON, followDaemon, statusText, streamUrl, type EventSourceLike, type LiveStatus } from '../../../site/lib/live-follow.js';
import { playerKey } from '../../../site/lib/player-context.js';
import { STATE_INTERVAL_MS, STATE_RETRY_MS, pollLiveState, stateUrls, type FetchLike } from '../../../site/lib/live-state-poll.js';
import type { LiveState } from '../../../site/lib/live-state.js';
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

/**
 * A fetch as the poller needs it: each request waits until the test answers it, so the test
 * sees how many are in flight; answers are what state-routes.ts sends (lists), or a failure.
 */
function fakeFetch() {
  const pending: { url: string; answer: (body: unknown, status?: number) => void; refuse: (message: string) => void; aborted: () => boolean }[] = [];
  const log: string[] = [];
  const fetch: FetchLike = (url, init) => {
    log.push(url);
    return new Promise((ok, fail) => {
      pending.push({
        url,
        answer: (body, status = 200) => ok({ ok: status < 400, status, json: async () => body }),
        refuse: (message) => fail(new TypeError(message)),
        aborted: () => init.signal.aborted,
      });
    });
  };
  /** Answers the oldest request, then lets the poller's promise chain run. */
  const answer = async (body: unknown, status?: number) => {
    pending.shift()!.answer(body, status);
    await vi.advanceTimersByTimeAsync(0);
  };
  const refuse = async (message: string) => {
    pending.shift()!.refuse(message);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { fetch, log, pending, answer, refuse };
}

function poller(f: ReturnType<typeof fakeFetch>, address = DEFAULT_DAEMON) {
  const states: LiveState[] = [];
  const errors: (string | null)[] = [];
  const poll = pollLiveState({ address, fetch: f.fetch, onState: (s) => states.push(s), onError: (e) => errors.push(e) });
  return { poll, states, errors };
}

const IMAGE = { Id: 'sha256:c0960d5b47e7', Inspect: { RepoTags: ['busybox:latest'] }, History: [], Layers: [{ digest: 'sha256:e0b0', diffID: 'sha256:5d2c', size: 1056812 }] };
const CONTAINER = { Id: 'f00d', Inspect: { Name: '/box', State: { Status: 'running' } }, Pid: 4242, Processes: [], Namespaces: {}, Mounts: [], Cgroup: null };

describe("reading the daemon's state while following (live-state-poll.ts)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads /state/images then /state/containers on connecting, one request at a time, and hands on the snapshot', async () => {
    const f = fakeFetch();
    const p = poller(f, '127.0.0.1:7357/');
    expect(stateUrls('127.0.0.1:7357/')).toEqual({ images: 'http://127.0.0.1:7357/state/images', containers: 'http://127.0.0.1:7357/state/containers' });
    expect(f.log).toEqual(['http://127.0.0.1:7357/state/images']);
    await f.answer([IMAGE]);
    expect(f.log).toEqual(['http://127.0.0.1:7357/state/images', 'http://127.0.0.1:7357/state/containers']);
    expect(f.pending).toHaveLength(1);
    await f.answer([CONTAINER]);
    expect(p.states).toEqual([{ images: [IMAGE], containers: [CONTAINER], cursor: 0 }]);
    expect(p.errors).toEqual([null]);
    p.poll.close();
  });

  it('reads again after events, at most once per interval and never two at once, however fast they come', async () => {
    const f = fakeFetch();
    const p = poller(f);
    await f.answer([]);
    await f.answer([]);
    expect(f.log).toHaveLength(2);
    // A burst of events within the interval: one read, after the interval, naming the last count.
    for (let n = 1; n <= 30; n++) p.poll.update(n);
    expect(f.pending).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(STATE_INTERVAL_MS);
    expect(f.pending).toHaveLength(1);
    // More events while that read runs: still one request in flight, one read owed.
    for (let n = 31; n <= 40; n++) p.poll.update(n);
    await vi.advanceTimersByTimeAsync(STATE_INTERVAL_MS * 4);
    expect(f.pending).toHaveLength(1);
    await f.answer([IMAGE]);
    await f.answer([CONTAINER]);
    expect(p.states.at(-1)).toEqual({ images: [IMAGE], containers: [CONTAINER], cursor: 30 });
    // The owed read starts at once (the interval has passed) and is the last: nothing more is due.
    expect(f.pending).toHaveLength(1);
    await f.answer([IMAGE]);
    await f.answer([]);
    expect(p.states.at(-1)).toMatchObject({ containers: [], cursor: 40 });
    await vi.advanceTimersByTimeAsync(STATE_INTERVAL_MS * 10);
    expect(f.log).toHaveLength(6);
    p.poll.close();
  });

  it('reports a failed read without throwing, keeps the last snapshot, and tries again', async () => {
    const f = fakeFetch();
    const p = poller(f);
    await f.answer([IMAGE]);
    await f.answer([CONTAINER]);
    p.poll.update(3);
    await vi.advanceTimersByTimeAsync(STATE_INTERVAL_MS);
    await f.answer({ message: 'origin refused' }, 403);
    expect(p.errors.at(-1)).toBe(`could not read the daemon's state: GET ${DEFAULT_DAEMON}/state/images: HTTP 403`);
    expect(p.states).toHaveLength(1);
    // Nothing asks sooner: it tries again after a while, and says so when it can read again.
    await vi.advanceTimersByTimeAsync(STATE_RETRY_MS);
    await f.refuse('Failed to fetch');
    expect(p.errors.at(-1)).toMatch(/GET http:\/\/127\.0\.0\.1:7357\/state\/images: Failed to fetch \(the daemon is not reachable, or did not allow this page\)/);
    p.poll.update(4); // an event asks sooner than the retry
    await vi.advanceTimersByTimeAsync(STATE_INTERVAL_MS);
    await f.answer([IMAGE]);
    await f.answer({ not: 'a list' });
    expect(p.errors.at(-1)).toMatch(/state\/containers: not a list/);
    await vi.advanceTimersByTimeAsync(STATE_RETRY_MS);
    await f.answer([]);
    await f.answer([]);
    expect(p.errors.at(-1)).toBeNull();
    expect(p.states.at(-1)).toEqual({ images: [], containers: [], cursor: 4 });
    p.poll.close();
  });

  it('stops on close: the read in flight is aborted and nothing more is asked or reported', async () => {
    const f = fakeFetch();
    const p = poller(f);
    const first = f.pending[0]!;
    p.poll.update(2);
    p.poll.close();
    expect(first.aborted()).toBe(true);
    await f.answer([]);
    await vi.advanceTimersByTimeAsync(STATE_RETRY_MS * 2);
    expect([f.log.length, p.states.length, p.errors.length]).toEqual([1, 0, 0]);
    // An address it cannot use is said once, and nothing is fetched.
    const g = fakeFetch();
    expect(poller(g, 'ftp://127.0.0.1:7357').errors).toEqual(['"ftp://127.0.0.1:7357": the daemon is read over HTTP, not ftp:']);
    expect(g.log).toEqual([]);
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
    // (the recording may pause and unpause it in between)
    const visited = containerStateAt(window, window.length).containers[0]!.visited;
    expect([visited[0], ...visited.slice(-2)]).toEqual(['running', 'exited', 'removed']);
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
