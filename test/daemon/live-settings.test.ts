// The live listener's rules without a daemon (engine/daemon/live/): which --trace-listen and
// --trace-origin values are refused and why, the request guard's verdict for each kind of
// request (rows named after the code they must produce), and the numbered trace feed's catch-up.
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../engine/base/index.js';
import { DEFAULT_TRACE_ORIGINS, loopbackHosts, parseTraceListen, parseTraceOrigins } from '../../engine/daemon/live/live-settings.js';
import { checkRequest, corsHeaders, type RequestFacts } from '../../engine/daemon/live/request-guard.js';
import { TraceFeed } from '../../engine/daemon/live/trace-feed.js';
import { StreamSink, Tracer } from '../../engine/trace/index.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    return (err as EngineError).code;
  }
  return 'no error';
};

describe('--trace-listen', () => {
  it.each([
    ['127.0.0.1:7357', { host: '127.0.0.1', port: 7357 }],
    ['localhost:7357', { host: '127.0.0.1', port: 7357 }],
    ['LOCALHOST:7357', { host: '127.0.0.1', port: 7357 }],
    ['[::1]:7357', { host: '::1', port: 7357 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('%s binds %o', (spec, want) => {
    expect(parseTraceListen(spec)).toEqual(want);
  });

  const TRACE_LISTEN_NOT_LOOPBACK = ['0.0.0.0:7357', '[::]:7357', ':7357', '192.168.1.10:7357', '10.0.0.1:7357', 'example.com:7357', '[fe80::1]:7357', '[localhost]:7357', '127.0.0.2:7357', '::1:7357', '7357', '__proto__:7357', 'constructor:7357'];
  it.each(TRACE_LISTEN_NOT_LOOPBACK)('%s is refused: TRACE_LISTEN_NOT_LOOPBACK', (spec) => {
    expect(codeOf(() => parseTraceListen(spec))).toBe('TRACE_LISTEN_NOT_LOOPBACK');
  });

  it('the refusal says why and what to give instead', () => {
    expect(() => parseTraceListen('0.0.0.0:7357')).toThrow(/0\.0\.0\.0:7357.*anything unauthenticated on TCP is read-only and bound to loopback.*127\.0\.0\.1:PORT/);
  });

  it.each(['127.0.0.1', 'localhost', '127.0.0.1:65536', '127.0.0.1:port'])('%s is refused: TRACE_LISTEN_INVALID', (spec) => {
    expect(codeOf(() => parseTraceListen(spec))).toBe('TRACE_LISTEN_INVALID');
  });

  it('a bound port is answered under its three loopback names only', () => {
    expect(loopbackHosts(7357)).toEqual(['127.0.0.1:7357', 'localhost:7357', '[::1]:7357']);
  });
});

describe('--trace-origin', () => {
  it("defaults to the site's VitePress dev and preview servers on this machine", () => {
    expect(parseTraceOrigins([])).toEqual(DEFAULT_TRACE_ORIGINS);
    expect(DEFAULT_TRACE_ORIGINS).toEqual(expect.arrayContaining(['http://localhost:5173', 'http://localhost:4173']));
    expect(DEFAULT_TRACE_ORIGINS.every((o) => /^http:\/\/(localhost|127\.0\.0\.1):(5173|4173)$/.test(o))).toBe(true);
  });

  it('given ones replace the defaults, normalised to scheme://host[:port]', () => {
    expect(parseTraceOrigins(['http://localhost:8080/', 'https://Workshop.example', 'http://localhost:8080'])).toEqual(['http://localhost:8080', 'https://workshop.example']);
  });

  it.each(['*', 'localhost:5173', 'file:///tmp/x', 'http://localhost:5173/chapters/', 'http://user:pw@localhost:5173', 'http://localhost:5173?x=1', 'null'])('%s is refused: TRACE_ORIGIN_INVALID', (o) => {
    expect(codeOf(() => parseTraceOrigins([o]))).toBe('TRACE_ORIGIN_INVALID');
  });
});

describe('the request guard', () => {
  const policy = { hosts: loopbackHosts(7357), origins: ['http://localhost:5173'] };
  const get = (facts: Partial<RequestFacts>): RequestFacts => ({ method: 'GET', host: '127.0.0.1:7357', ...facts });

  const rows: Array<[string, Partial<RequestFacts>, string]> = [
    ['a plain GET (curl)', {}, 'allowed'],
    ['localhost', { host: 'localhost:7357' }, 'allowed'],
    ['[::1]', { host: '[::1]:7357' }, 'allowed'],
    ['a typed URL in a browser', { fetchSite: 'none' }, 'allowed'],
    ["the site's fetch", { origin: 'http://localhost:5173', fetchSite: 'cross-site' }, 'allowed'],
    ['a preflight for GET', { method: 'OPTIONS', origin: 'http://localhost:5173', preflightMethod: 'GET' }, 'allowed'],
    ['a rebound name', { host: 'evil.example:7357' }, 'LIVE_HOST_REFUSED'],
    ['a rebound name, with the site as origin', { host: 'evil.example:7357', origin: 'http://localhost:5173' }, 'LIVE_HOST_REFUSED'],
    ['another port', { host: '127.0.0.1:7358' }, 'LIVE_HOST_REFUSED'],
    ['no port', { host: '127.0.0.1' }, 'LIVE_HOST_REFUSED'],
    ['no Host at all', { host: undefined }, 'LIVE_HOST_REFUSED'],
    ['another site', { origin: 'http://evil.example' }, 'LIVE_ORIGIN_REFUSED'],
    ['an opaque origin', { origin: 'null' }, 'LIVE_ORIGIN_REFUSED'],
    ['the site under https', { origin: 'https://localhost:5173' }, 'LIVE_ORIGIN_REFUSED'],
    ['a look-alike', { origin: 'http://localhost:5173.evil.example' }, 'LIVE_ORIGIN_REFUSED'],
    ['another site, POSTing', { method: 'POST', origin: 'http://evil.example' }, 'LIVE_ORIGIN_REFUSED'],
    ['an embed from another site', { fetchSite: 'cross-site' }, 'LIVE_EMBED_REFUSED'],
    ['an embed from another port', { fetchSite: 'same-site' }, 'LIVE_EMBED_REFUSED'],
    ['POST', { method: 'POST' }, 'LIVE_READ_ONLY'],
    ['PUT', { method: 'PUT' }, 'LIVE_READ_ONLY'],
    ['DELETE', { method: 'DELETE', origin: 'http://localhost:5173' }, 'LIVE_READ_ONLY'],
    ['HEAD', { method: 'HEAD' }, 'LIVE_READ_ONLY'],
    ['OPTIONS that is no preflight', { method: 'OPTIONS' }, 'LIVE_READ_ONLY'],
    ['a preflight for DELETE', { method: 'OPTIONS', origin: 'http://localhost:5173', preflightMethod: 'DELETE' }, 'LIVE_READ_ONLY'],
  ];
  it.each(rows)('%s → %s', (_, facts, want) => {
    const v = checkRequest(get(facts), policy);
    expect(v.allowed ? 'allowed' : v.code).toBe(want);
    if (!v.allowed) expect(v.status).toBe(want === 'LIVE_READ_ONLY' ? 405 : 403);
  });

  it('reflects the exact allowed origin, never * and never credentials', () => {
    const v = checkRequest(get({ origin: 'http://localhost:5173' }), policy);
    expect(v).toEqual({ allowed: true, origin: 'http://localhost:5173', preflight: false });
    const h = corsHeaders('http://localhost:5173', { preflight: true });
    expect(h['Access-Control-Allow-Origin']).toBe('http://localhost:5173');
    expect(h['Access-Control-Allow-Methods']).toBe('GET');
    expect(Object.keys(h)).not.toContain('Access-Control-Allow-Credentials');
  });
});

describe('the numbered trace feed', () => {
  const setup = (keep: number) => {
    const stream = new StreamSink();
    const tracer = new Tracer([stream]);
    tracer.start('daemon', 'before.listener').end(); // 2 events the sink held before the feed
    return { tracer, feed: new TraceFeed(stream, keep) };
  };

  it('numbers what the sink held, then each new event, in order', () => {
    const { tracer, feed } = setup(10);
    const seen: number[] = [];
    feed.subscribe((e) => seen.push(e.id));
    tracer.start('layers', 'image.tag').end();
    expect(feed.recent().map((e) => [e.id, e.event.op, e.event.phase])).toEqual([[1, 'before.listener', 'start'], [2, 'before.listener', 'end'], [3, 'image.tag', 'start'], [4, 'image.tag', 'end']]);
    expect(seen).toEqual([3, 4]);
    expect(feed.lastId).toBe(4);
    expect(feed.recent(1).map((e) => e.id)).toEqual([4]);
    feed.close();
  });

  it('catches up after an id, and names the ids no longer kept', () => {
    const { tracer, feed } = setup(3);
    for (let i = 0; i < 3; i++) tracer.start('layers', `op${i}`).end(); // ids 3..8; 6..8 kept
    expect(feed.after(6)).toEqual({ events: feed.recent().slice(1), missed: null, restarted: false });
    expect(feed.after(8).events).toEqual([]);
    expect(feed.after(2)).toMatchObject({ missed: { from: 3, to: 5 }, restarted: false });
    expect(feed.after(2).events.map((e) => e.id)).toEqual([6, 7, 8]);
    expect(feed.after(5).missed).toBeNull();
    // An id this feed never gave: a follower of an earlier daemon run gets all that is kept.
    expect(feed.after(99)).toMatchObject({ missed: null, restarted: true });
    expect(feed.after(99).events.map((e) => e.id)).toEqual([6, 7, 8]);
    feed.close();
  });
});
