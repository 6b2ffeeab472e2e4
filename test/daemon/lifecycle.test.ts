// Chapter 3 through the API: start, wait (headers at once), logs (stdcopy), kill, stop, rm -f,
// attach (101 hijack), and the daemon's survival — SIGKILLed with a container running, a new
// daemon on the same data root re-adopts it, and one that exited meanwhile shows its code.
// Every test removes its containers; the host must then be as it was.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { api, startDaemon, type RunningDaemon } from './harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from './runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const net = bridgeArgs(81);
let d: RunningDaemon;
const parentsBefore = cgroupParents();
const made: string[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: net.args });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
});

afterEach(async () => {
  if (!isRoot) return;
  for (const id of made) await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: made.splice(0) })).toEqual(NOTHING);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

async function create(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api(d.sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: cmd, ...extra }));
  expect(r.status).toBe(201);
  made.push(r.json().Id);
  return r.json().Id;
}

const inspect = async (id: string) => (await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json();

/** Splits a stdcopy body into [stream, text] frames. */
function frames(body: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let i = 0; i + 8 <= body.length; ) {
    const len = body.readUInt32BE(i + 4);
    out.push([body[i]!, body.subarray(i + 8, i + 8 + len).toString()]);
    i += 8 + len;
  }
  return out;
}

/** POST …/wait: resolves `headers` as soon as they arrive, `body` at the end. */
function waitRequest(sock: string, path: string): { headers: Promise<number>; body: Promise<string> } {
  let onHeaders!: (s: number) => void;
  const headers = new Promise<number>((r) => (onHeaders = r));
  const body = new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: sock, method: 'POST', path }, (res) => {
      onHeaders(res.statusCode!);
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  return { headers, body };
}

describe.skipIf(!isRoot)('container lifecycle API', () => {
  it('wait answers its headers at once, the body at exit; logs are stdcopy frames', async () => {
    const id = await create(['sh', '-c', 'echo out; echo err >&2; sleep 0.3; exit 3']);
    const w = waitRequest(d.sock, `/v1.50/containers/${id}/wait?condition=next-exit`);
    expect(await w.headers).toBe(200); // before start: `docker run` depends on it
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(304);
    expect(JSON.parse(await w.body)).toEqual({ StatusCode: 3, Error: null });
    const logs = await api(d.sock, 'GET', `/v1.50/containers/${id}/logs?stdout=1&stderr=1&tail=all`);
    expect(logs.headers['content-type']).toBe('application/vnd.docker.multiplexed-stream');
    expect(frames(logs.body)).toEqual([[1, 'out\n'], [2, 'err\n']]);
    expect((await inspect(id)).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3, OOMKilled: false, Dead: false, Pid: 0 });
  });

  it('kill: 204 running (137 recorded), 409 with Docker\'s text when not running', async () => {
    const id = await create(['sleep', '100']);
    await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
    expect((await inspect(id)).State).toMatchObject({ Status: 'running', Running: true });
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/kill`)).status).toBe(204);
    expect((await inspect(id)).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    const again = await api(d.sock, 'POST', `/v1.50/containers/${id}/kill?signal=TERM`);
    expect(again.status).toBe(409);
    expect(again.json().message).toBe(`cannot kill container: ${id}: container ${id} is not running`);
  });

  it('stop ?t=1 escalates to SIGKILL; DELETE without force on a running one is 409; ?force=1 removes it', async () => {
    const id = await create(['sleep', '100']);
    await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
    const t0 = Date.now();
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/stop?t=1`)).status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await inspect(id)).State.ExitCode).toBe(137);
    await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
    const refused = await api(d.sock, 'DELETE', `/v1.50/containers/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.json().message).toMatch(/^cannot remove container "\/[a-z_0-9]+": container is running: stop the container before removing or force remove$/);
    expect((await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
    expect((await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).status).toBe(404);
  });

  it('attach: 101 UPGRADED, stdin held until start, frames out, closed at exit', async () => {
    const id = await create(['cat'], { OpenStdin: true, StdinOnce: true, AttachStdin: true });
    const socket = connect(d.sock);
    let got = Buffer.alloc(0);
    socket.on('data', (b) => (got = Buffer.concat([got, b])));
    const closed = new Promise<void>((r) => socket.on('end', () => r()));
    socket.write(`POST /v1.50/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    socket.end('piped\n'); // the bytes and the FIN before start, as `echo piped | docker run -i` sends them
    await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
    await closed;
    const text = got.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')).toBe(true);
    expect(frames(got.subarray(text.indexOf('\r\n\r\n') + 4))).toEqual([[1, 'piped\n']]);
    // The attach never reaches the router, yet the trace has it as a request, answered 101 at close.
    const attachPath = `/containers/${id}/attach`;
    const events = () => readFileSync(join(d.dataRoot, 'trace', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { span: string; op: string; phase: string; data: Record<string, unknown> });
    const start = events().find((e) => e.op === 'http.request' && e.phase === 'start' && e.data['path'] === attachPath);
    expect(start?.data).toEqual({ method: 'POST', path: attachPath, upgrade: true });
    await expect.poll(() => events().find((e) => e.span === start!.span && e.phase === 'end')?.data).toEqual({ status: 101 });
  });

  it('attach to a container that does not exist: a 404 on the socket, and the trace says why', async () => {
    const socket = connect(d.sock);
    let got = '';
    socket.on('data', (b) => (got += b.toString('latin1')));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write('POST /v1.50/containers/no-such-box/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    await closed;
    expect(got).toMatch(/^HTTP\/1\.1 404 /);
    // The trace file is written as events come: read it until the request's end is there.
    const lines = () => readFileSync(join(d.dataRoot, 'trace', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { span: string; op: string; phase: string; data: Record<string, unknown> });
    const mine = () => {
      const start = lines().find((e) => e.op === 'http.request' && e.phase === 'start' && e.data['path'] === '/containers/no-such-box/attach');
      return start ? lines().filter((e) => e.span === start.span) : [];
    };
    await expect.poll(() => mine().map((e) => `${e.op}:${e.phase}`)).toEqual(['http.request:start', 'http.error:event', 'http.request:end']);
    expect(mine().at(-1)!.data).toEqual({ status: 404 });
  });

  it('changes after a run are only what the process did: the runtime\'s mount points live in the init layer', async () => {
    const run = async (cmd: string[]) => {
      const id = await create(cmd);
      const w = waitRequest(d.sock, `/v1.50/containers/${id}/wait?condition=next-exit`);
      await w.headers;
      await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
      expect(JSON.parse(await w.body)).toMatchObject({ StatusCode: 0 });
      return (await api(d.sock, 'GET', `/v1.50/containers/${id}/changes`)).json() as Array<{ Path: string; Kind: number }> | null;
    };
    // busybox (the base image) has no /proc, /sys, /etc/hostname …: the runtime mounts over them all.
    expect(await run(['true']) ?? []).toEqual([]);
    expect(await run(['rm', '/etc/group'])).toEqual([{ Path: '/etc', Kind: 0 }, { Path: '/etc/group', Kind: 2 }]);
  });

  it('ps: Up / Exited (N) … ago / Created, all and status filter', async () => {
    const up = await create(['sleep', '100']);
    const done = await create(['true']);
    const fresh = await create(['true']);
    await api(d.sock, 'POST', `/v1.50/containers/${up}/start`);
    const w = waitRequest(d.sock, `/v1.50/containers/${done}/wait?condition=next-exit`);
    await w.headers;
    await api(d.sock, 'POST', `/v1.50/containers/${done}/start`);
    await w.body;
    const running = (await api(d.sock, 'GET', '/v1.50/containers/json')).json() as Array<{ Id: string; State: string; Status: string }>;
    expect(running.map((c) => c.Id)).toEqual([up]);
    expect(running[0]!.Status).toMatch(/^Up (Less than a second|\d+ seconds?)$/);
    const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string; State: string; Status: string }>;
    const byId = Object.fromEntries(all.map((c) => [c.Id, c]));
    expect(byId[done]).toMatchObject({ State: 'exited', Status: expect.stringMatching(/^Exited \(0\) (Less than a second|\d+ seconds?) ago$/) });
    expect(byId[fresh]).toMatchObject({ State: 'created', Status: 'Created' });
    const exited = (await api(d.sock, 'GET', `/v1.50/containers/json?filters=${encodeURIComponent('{"status":{"exited":true}}')}`)).json() as Array<{ Id: string }>;
    expect(exited.map((c) => c.Id)).toEqual([done]);
  });
});

describe.skipIf(!isRoot)('daemon survival', () => {
  it('SIGKILLed daemon: a running container is re-adopted, one that exited meanwhile shows its code', async () => {
    const own = bridgeArgs(82);
    let daemon = await startDaemon({ args: own.args });
    const ids: string[] = [];
    try {
      await api(daemon.sock, 'POST', '/dockling/base-image');
      const mk = async (cmd: string[]) => {
        const r = await api(daemon.sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: cmd }));
        ids.push(r.json().Id);
        await api(daemon.sock, 'POST', `/v1.50/containers/${r.json().Id}/start`);
        return r.json().Id as string;
      };
      const long = await mk(['sleep', '100']);
      const short = await mk(['sh', '-c', 'sleep 1; exit 5']);
      const pid = (await api(daemon.sock, 'GET', `/v1.50/containers/${long}/json`)).json().State.Pid as number;
      process.kill(daemon.child.pid!, 'SIGKILL');
      await new Promise((r) => daemon.child.once('exit', r));
      await new Promise((r) => setTimeout(r, 1500)); // `short` exits while no daemon looks
      daemon = await startDaemon({ args: own.args, dir: daemon.dir });
      const l = (await api(daemon.sock, 'GET', `/v1.50/containers/${long}/json`)).json();
      expect(l.State).toMatchObject({ Status: 'running', Running: true, Pid: pid });
      expect((await api(daemon.sock, 'GET', `/v1.50/containers/${short}/json`)).json().State).toMatchObject({ Status: 'exited', ExitCode: 5 });
      // Re-adopted means watched again: its exit is still noticed.
      expect((await api(daemon.sock, 'POST', `/v1.50/containers/${long}/kill`)).status).toBe(204);
      expect((await api(daemon.sock, 'GET', `/v1.50/containers/${long}/json`)).json().State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    } finally {
      for (const id of ids) await api(daemon.sock, 'DELETE', `/v1.50/containers/${id}?force=1`).catch(() => undefined);
      const left = leftovers({ dataRoot: daemon.dataRoot, bridge: own.bridge, containerIds: ids });
      await daemon.stop();
      await rm(daemon.dir, { recursive: true, force: true });
      expect(left).toEqual(NOTHING);
    }
  });
});
