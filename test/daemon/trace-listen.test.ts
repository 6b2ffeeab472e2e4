// Live mode on the daemon side: `dockling daemon --trace-listen 127.0.0.1:PORT` serves the trace
// and read-only state on loopback TCP for the site. Against a real daemon: the SSE stream carries
// what an action on the unix socket did, in order, and catches up from an id; the state
// snapshots hold the Engine API's own documents; nothing on the port changes anything and the
// Engine API is not there; Host and Origin are checked; and a non-loopback address or a wildcard
// origin stops the daemon before it touches anything.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, api, importTar, startDaemon, type RunningDaemon } from './harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from './runtime-leftovers.js';
import { freePort } from '../registry/server-harness.js';

const isRoot = process.getuid?.() === 0;
const canRun = isRoot && existsSync('/bin/busybox');
if (!canRun) console.warn('skipping the running-container state test: needs root and /bin/busybox (Debian busybox-static)');

const net = bridgeArgs(98);
const parentsBefore = cgroupParents();
let d: RunningDaemon;
let port: number;
let imageId: string;
const made: string[] = [];

beforeAll(async () => {
  port = await freePort();
  d = await startDaemon({ args: [...net.args, '--trace-listen', `127.0.0.1:${port}`] });
  imageId = await importTar(d.sock, 'livetest:v1', { 'etc/hostname': 'live\n', 'hello.txt': 'hello\n' });
});

afterEach(async () => {
  for (const id of made) await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: made.splice(0) })).toEqual(NOTHING);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: <T = any>() => T;
}

/** One request to the live listener; `Host` is 127.0.0.1:PORT unless the test says otherwise. */
function live(method: string, path: string, headers: Record<string, string> = {}, body?: string, to = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: to, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface SseMessage {
  id?: number;
  event: string;
  data: any;
}

/** An EventSource, by hand: the parsed messages so far, a wait for one, and a way to hang up. */
function follow(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; messages: SseMessage[]; until(pred: (m: SseMessage) => boolean): Promise<SseMessage>; close(): void }> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    const waiters: Array<() => void> = [];
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          if (fields.data === undefined) continue;
          messages.push({ ...(fields.id !== undefined ? { id: Number(fields.id) } : {}), event: fields.event ?? 'message', data: JSON.parse(fields.data) });
          for (const w of waiters.splice(0)) w();
        }
      });
      const until = (pred: (m: SseMessage) => boolean) =>
        new Promise<SseMessage>((ok, fail) => {
          const timer = setTimeout(() => fail(new Error(`no such message in ${messages.length}: ${JSON.stringify(messages.slice(-5))}`)), 15_000);
          const check = () => {
            const found = messages.find(pred);
            if (found) {
              clearTimeout(timer);
              ok(found);
            } else waiters.push(check);
          };
          check();
        });
      resolve({ status: res.statusCode!, headers: res.headers, messages, until, close: () => req.destroy() });
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    req.end();
  });
}

/** The unix socket's own record of the trace (`GET /dockling/trace`), for comparison. */
async function socketTrace(): Promise<any[]> {
  return (await api(d.sock, 'GET', '/dockling/trace')).text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const sameEvent = (a: any) => (b: any) => a.span === b.span && a.phase === b.phase && a.op === b.op && a.t === b.t;

describe('the trace stream (Server-Sent Events)', () => {
  it('delivers, in order, what an action on the unix socket did', async () => {
    const stream = await follow('/trace/stream', { Accept: 'text/event-stream', Origin: 'http://localhost:5173' });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(stream.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      const hello = await stream.until((m) => m.event === 'hello');
      expect(hello.data).toMatchObject({ Format: 'dockling-trace', Version: 1, Replay: 0, Restarted: false });
      expect(hello.data.Last).toBeGreaterThan(0);

      expect((await api(d.sock, 'POST', '/v1.50/images/livetest:v1/tag?repo=followed&tag=t1')).status).toBe(201);
      const tagEnd = await stream.until((m) => m.data.op === 'image.tag' && m.data.phase === 'end');
      await stream.until((m) => m.data.op === 'http.request' && m.data.phase === 'end' && m.data.span === tagEnd.data.parent);
      const events = stream.messages.filter((m) => m.event === 'message');
      // Numbered on from where the hello said the stream stood, none skipped.
      expect(events.map((m) => m.id)).toEqual(events.map((_, i) => hello.data.Last + 1 + i));
      const mine = events.map((m) => m.data).filter((e) => [tagEnd.data.parent, tagEnd.data.span].includes(e.span) && ['http.request', 'image.tag', 'image.tagged'].includes(e.op));
      expect(mine.map((e) => `${e.op}:${e.phase}`)).toEqual(['http.request:start', 'image.tag:start', 'image.tagged:event', 'image.tag:end', 'http.request:end']);
      expect(mine[0].data).toMatchObject({ method: 'POST', path: '/images/livetest:v1/tag' });
      expect(mine[2].data).toMatchObject({ id: imageId, name: 'docker.io/library/followed:t1' });
      // The very events the daemon keeps and serves on its socket, in the same order.
      const all = await socketTrace();
      const from = all.findIndex(sameEvent(events[0]!.data));
      expect(from).toBeGreaterThanOrEqual(0);
      expect(all.slice(from, from + events.length)).toEqual(events.map((m) => m.data));
    } finally {
      stream.close();
    }
  });

  it('catches up after an id: ?since=ID, or Last-Event-ID as EventSource sends it on reconnect', async () => {
    const recent = await live('GET', '/trace/recent');
    const last = Number(recent.headers['dockling-trace-last-id']);
    const kept: any[] = recent.json();
    expect(kept.length).toBeGreaterThan(3);
    const asks: Array<{ path: string; headers: Record<string, string> }> = [{ path: `/trace/stream?since=${last - 3}`, headers: {} }, { path: '/trace/stream', headers: { 'Last-Event-ID': String(last - 3) } }];
    for (const ask of asks) {
      const stream = await follow(ask.path, ask.headers);
      try {
        await stream.until((m) => m.id === last);
        const hello = stream.messages[0]!;
        expect(hello).toMatchObject({ event: 'hello', data: { Last: last, Replay: 3, Restarted: false } });
        expect(stream.messages.slice(1, 4).map((m) => m.id)).toEqual([last - 2, last - 1, last]);
        expect(stream.messages.slice(1, 4).map((m) => m.data)).toEqual(kept.slice(-3));
      } finally {
        stream.close();
      }
    }
    const all = await follow('/trace/stream?since=0');
    try {
      await all.until((m) => m.id === last);
      expect(all.messages[0]!.data).toMatchObject({ Oldest: 1, Replay: last });
    } finally {
      all.close();
    }
    expect((await live('GET', '/trace/stream?since=soon')).status).toBe(400);
  });

  it('/trace/recent is a bounded JSON array of trace events, the newest id in a header', async () => {
    const r = await live('GET', '/trace/recent?limit=2', { Origin: 'http://localhost:4173' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toHaveLength(2);
    expect(r.json()[0]).toMatchObject({ v: 1, span: expect.any(String), op: expect.any(String), phase: expect.any(String) });
    expect(r.headers['access-control-expose-headers']).toBe('Dockling-Trace-Last-Id');
    expect((await live('GET', '/trace/recent')).json<any[]>().length).toBeLessThanOrEqual(1000);
    expect((await live('GET', '/trace/recent?limit=0')).status).toBe(400);
  });
});

describe('state snapshots', () => {
  it('images: each with the Engine API inspect and history, and its layers bottom-up', async () => {
    const r = await live('GET', '/state/images');
    expect(r.status).toBe(200);
    const images = r.json<any[]>();
    expect(images.map((i) => i.Id)).toContain(imageId);
    for (const img of images) {
      expect(img.Inspect).toEqual((await api(d.sock, 'GET', `/v1.50/images/${img.Id}/json`)).json());
      expect(img.History).toEqual((await api(d.sock, 'GET', `/v1.50/images/${img.Id}/history`)).json());
      expect(img.Layers.map((l: any) => l.diffID)).toEqual(img.Inspect.RootFS.Layers);
      for (const l of img.Layers) expect(l).toMatchObject({ digest: expect.stringMatching(/^sha256:/), size: expect.any(Number), uncompressedSize: expect.any(Number) });
    }
  });

  it("an image's union view, as the socket's /dockling/images/{name}/layers", async () => {
    for (const q of ['', '?paths=1']) {
      const r = await live('GET', `/state/images/livetest:v1/layers${q}`);
      expect(r.status).toBe(200);
      expect(r.json()).toEqual((await api(d.sock, 'GET', `/dockling/images/livetest:v1/layers${q}`)).json());
    }
    expect((await live('GET', '/state/images/nosuch:image/layers')).status).toBe(404);
  });

  it('networks, as GET /networks', async () => {
    const r = await live('GET', '/state/networks');
    expect(r.json()).toEqual((await api(d.sock, 'GET', '/v1.50/networks')).json());
    expect(r.json<any[]>().map((n) => n.Name)).toContain('bridge');
  });

  it('a created container: the Engine API inspect, no kernel facts yet', async () => {
    const c = await api(d.sock, 'POST', '/v1.50/containers/create?name=live-created', { body: Buffer.from(JSON.stringify({ Image: 'livetest:v1', Cmd: ['true'] })), headers: { 'Content-Type': 'application/json' } });
    expect(c.status).toBe(201);
    made.push(c.json().Id);
    const doc = (await live('GET', '/state/containers')).json<any[]>().find((x) => x.Id === c.json().Id);
    expect(doc.Inspect).toEqual((await api(d.sock, 'GET', `/v1.50/containers/${c.json().Id}/json`)).json());
    expect(doc).toMatchObject({ Pid: null, Processes: null, Namespaces: null, Mounts: null, Cgroup: null });
  });

  it.skipIf(!canRun)('a running container: its processes with both pids, namespaces, mounts and cgroup', async () => {
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
    const c = await api(d.sock, 'POST', '/v1.50/containers/create?name=live-running', { body: Buffer.from(JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '60'] })), headers: { 'Content-Type': 'application/json' } });
    const id = c.json().Id as string;
    made.push(id);
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
    const doc = (await live('GET', '/state/containers')).json<any[]>().find((x) => x.Id === id);
    expect(doc.Inspect).toEqual((await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json());
    expect(doc.Inspect.State.Running).toBe(true);
    expect(doc.Processes).toContainEqual({ Pid: doc.Pid, ContainerPid: 1, PPid: expect.any(Number), Command: 'sleep 60' });
    for (const type of ['pid', 'mnt', 'uts', 'ipc', 'net']) {
      expect(doc.Namespaces[type]).toEqual({ Inode: Number(/\[(\d+)\]/.exec(await readlink(`/proc/${doc.Pid}/ns/${type}`))![1]), SharedWithHost: false });
    }
    expect(doc.Namespaces.user.SharedWithHost).toBe(true); // Dockling maps no users, as Docker by default
    expect(doc.Mounts.map((m: any) => m.mountPoint)).toEqual(expect.arrayContaining(['/', '/proc', '/dev']));
    expect(doc.Mounts.find((m: any) => m.mountPoint === '/proc').fsType).toBe('proc');
    expect(doc.Cgroup.pids).toBeGreaterThanOrEqual(1);
  });
});

describe('read-only: nothing on this port changes anything', () => {
  const engineState = async () => Promise.all(['/v1.50/images/json?all=1', '/v1.50/containers/json?all=1', '/v1.50/networks', '/v1.50/volumes'].map(async (p) => (await api(d.sock, 'GET', p)).json()));

  it('POST, PUT, DELETE, PATCH and HEAD are 405 on every path, the Engine API ones included', async () => {
    const before = await engineState();
    const paths = ['/', '/state/images', '/trace/stream', '/images/livetest:v1', '/v1.50/images/livetest:v1', '/v1.50/containers/create', '/images/create?fromSrc=-&repo=sneaky', '/networks/create', '/build', '/dockling/base-image', '/v1.50/images/livetest:v1/tag?repo=sneaky'];
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']) {
      for (const path of paths) {
        const r = await live(method, path, { 'Content-Type': 'application/json' }, method === 'HEAD' ? undefined : JSON.stringify({ Image: 'livetest:v1', Name: 'sneaky' }));
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.allow).toBe('GET');
        if (method !== 'HEAD') expect(r.json().message).toMatch(/read-only/);
      }
    }
    expect(await engineState()).toEqual(before);
  });

  it("the Engine API's GETs are not there either", async () => {
    for (const path of ['/_ping', '/v1.50/info', '/v1.50/images/json', '/containers/json', '/dockling/trace', '/v1.50/images/livetest:v1/get']) {
      expect((await live('GET', path)).status, path).toBe(404);
    }
  });

  it('sets no cookie and asks for no credentials', async () => {
    const r = await live('GET', '/state/images', { Origin: 'http://localhost:5173' });
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('who may read', () => {
  it('a Host other than 127.0.0.1, localhost or [::1] at this port is 403 (DNS rebinding)', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.evil.example:${port}`]) {
      const r = await live('GET', '/state/images', { Host: host, Origin: 'http://localhost:5173' });
      expect(r.status, host).toBe(403);
      expect(r.json().message).toMatch(/DNS rebinding/);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) expect((await live('GET', '/', { Host: host })).status, host).toBe(200);
    // HTTP/1.0 may leave Host out entirely: refused too.
    const raw = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end('GET /state/images HTTP/1.0\r\n\r\n'));
      let text = '';
      s.on('data', (c) => (text += c));
      s.on('close', () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.[01] 403/);
  });

  it('a foreign Origin is 403 with no CORS header, on the stream and the state alike', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://localhost:5174', 'https://localhost:5173', 'http://localhost:5173.evil.example']) {
      for (const path of ['/trace/stream', '/trace/recent', '/state/containers']) {
        const r = await live('GET', path, { Origin: origin });
        expect(r.status, `${origin} ${path}`).toBe(403);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(r.json().message).toContain(origin);
      }
    }
  });

  it('a cross-site embed (no Origin, Sec-Fetch-Site: cross-site) is 403; a typed URL is answered', async () => {
    expect((await live('GET', '/state/images', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await live('GET', '/state/images', { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
  });

  it('an allowed Origin is reflected exactly, never *', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:4173', 'http://127.0.0.1:4173']) {
      const r = await live('GET', '/state/networks', { Origin: origin });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe(origin);
      expect(r.headers.vary).toBe('Origin');
    }
    expect((await live('GET', '/state/networks')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a CORS preflight for GET from the site is answered; one for anything else is 405', async () => {
    const ok = await live('OPTIONS', '/trace/stream', { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'last-event-id' });
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'http://localhost:5173', 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'Last-Event-ID' });
    const no = await live('OPTIONS', '/state/images', { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'DELETE' });
    expect(no.status).toBe(405);
    const foreign = await live('OPTIONS', '/state/images', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('--trace-origin replaces the defaults; port 0 lets the kernel pick, and the log says which', async () => {
    const own = await startDaemon({ args: [...bridgeArgs(99).args, '--trace-listen', 'localhost:0', '--trace-origin', 'http://workshop.example:8080', '--trace-origin', 'https://site.example'] });
    try {
      const m = /read-only, on http:\/\/127\.0\.0\.1:(\d+) for pages of http:\/\/workshop\.example:8080 https:\/\/site\.example\n/.exec(own.logs());
      expect(m, own.logs()).not.toBeNull();
      const at = Number(m![1]);
      expect((await live('GET', '/state/networks', { Origin: 'http://workshop.example:8080' }, undefined, at)).headers['access-control-allow-origin']).toBe('http://workshop.example:8080');
      expect((await live('GET', '/state/networks', { Origin: 'http://localhost:5173' }, undefined, at)).status).toBe(403);
      expect((await live('GET', '/', { Host: `localhost:${at}` }, undefined, at)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});

/** `dockling daemon …` that must refuse to start: its exit code and stderr (killed if it does not). */
async function refusedDaemon(args: string[]): Promise<{ code: number | null; stderr: string; dataRootMade: boolean; socketMade: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'dkl-live-'));
  try {
    const child = spawn(process.execPath, [MAIN, 'daemon', '--data-root', join(dir, 'root'), '-H', `unix://${join(dir, 'd.sock')}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    return { code, stderr, dataRootMade: existsSync(join(dir, 'root')), socketMade: existsSync(join(dir, 'd.sock')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('refused at start', () => {
  it.each(['0.0.0.0', '[::]', '192.168.1.10', '10.0.0.1', 'example.com', ''])('--trace-listen %s:PORT: a clear message, a non-zero exit, nothing made', async (address) => {
    const at = await freePort();
    const r = await refusedDaemon(['--trace-listen', `${address}:${at}`]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain(`--trace-listen ${address}:${at}`);
    expect(r.stderr).toMatch(/anything unauthenticated on TCP is read-only and bound to loopback/);
    expect(r).toMatchObject({ dataRootMade: false, socketMade: false });
    // and nothing listens on the port
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(at, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    expect(open).toBe(false);
  });

  it('a port already in use: the error names it, and the daemon closes what it had opened', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const r = await refusedDaemon(['--trace-listen', `127.0.0.1:${(taken.address() as AddressInfo).port}`]);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toMatch(/--trace-listen 127\.0\.0\.1:\d+: something already listens on that port/);
      expect(r.socketMade).toBe(false); // the unix socket it had opened is gone again
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('a wildcard --trace-origin, and --trace-origin without --trace-listen', async () => {
    const star = await refusedDaemon(['--trace-listen', '127.0.0.1:0', '--trace-origin', '*']);
    expect(star.code).not.toBe(0);
    expect(star.stderr).toMatch(/--trace-origin \*: a wildcard would let any web page read/);
    const alone = await refusedDaemon(['--trace-origin', 'http://localhost:5173']);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toMatch(/add --trace-listen/);
    expect(alone.dataRootMade).toBe(false);
  });
});
