// Chapter 3's exec, top, stats and pause over the Engine API, against a real daemon: the
// shapes the docker CLI reads (protocol reference §5.3, §5.5), the hijacked exec stream
// (101 UPGRADED, stdcopy frames, closed at the exit), an exec with a terminal (raw both ways,
// ConsoleSize, resize), 409 for a stopped container.
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { api } from './harness.js';
import { useRuntimeDaemon } from './runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 87 })  // 85 is tty.test.ts's bridge;
const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

async function running(name: string, cmd = ['sleep', '100']): Promise<string> {
  const created = await api(daemon().sock, 'POST', `/v1.50/containers/create?name=${name}`, json({ Image: 'busybox', Cmd: cmd }));
  const { Id } = created.json() as { Id: string };
  expect((await api(daemon().sock, 'POST', `/v1.50/containers/${Id}/start`)).status).toBe(204);
  return Id;
}

/** `POST /exec/{id}/start` hijacked: the raw answer, split into the status line and stdcopy frames. */
function startHijacked(execId: string, stdin?: string): Promise<{ head: string; frames: Array<{ stream: number; text: string }> }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const s = connect(daemon().sock, () => {
      s.write(`POST /v1.50/exec/${execId}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}${stdin ?? ''}`);
      s.end(); // half-close: the server must keep answering
    });
    const chunks: Buffer[] = [];
    s.on('data', (b) => chunks.push(b));
    s.on('error', reject);
    s.on('close', () => {
      const all = Buffer.concat(chunks);
      const at = all.indexOf('\r\n\r\n');
      let rest = all.subarray(at + 4);
      const frames: Array<{ stream: number; text: string }> = [];
      while (rest.length >= 8) {
        const len = rest.readUInt32BE(4);
        frames.push({ stream: rest[0]!, text: rest.subarray(8, 8 + len).toString() });
        rest = rest.subarray(8 + len);
      }
      resolve({ head: all.subarray(0, at).toString(), frames });
    });
  });
}

/** An exec with a terminal, started hijacked and kept open: what it shows, and our keyboard. */
interface TerminalStream {
  head(): string;
  /** Everything after the headers: raw bytes, no frames. */
  shown(): string;
  type(text: string): void;
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves when the daemon closes the stream (the process has exited). */
  closed: Promise<void>;
}

function startTerminal(execId: string, start: Record<string, unknown>): TerminalStream {
  const body = JSON.stringify({ Detach: false, Tty: true, ...start });
  // Written now, not on connect: what is typed before the connection is up must come after it.
  const s = connect(daemon().sock);
  s.write(`POST /v1.50/exec/${execId}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  let all = '';
  const waiters = new Set<() => void>();
  s.on('data', (b: Buffer) => {
    all += b.toString('latin1');
    for (const w of waiters) w();
  });
  const at = () => all.indexOf('\r\n\r\n');
  return {
    head: () => all.slice(0, at()),
    shown: () => (at() < 0 ? '' : all.slice(at() + 4)),
    type: (text) => void s.write(text),
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(this.shown())) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} in ${JSON.stringify(this.shown())}`));
        }, 10_000);
        waiters.add(check);
        check();
      });
    },
    closed: new Promise((resolve) => s.on('close', () => resolve())),
  };
}

async function createExec(container: string, body: Record<string, unknown>): Promise<string> {
  const r = await api(daemon().sock, 'POST', `/v1.50/containers/${container}/exec`, json({ AttachStdout: true, AttachStderr: true, ...body }));
  expect(r.status).toBe(201);
  return (r.json() as { Id: string }).Id;
}

describe.skipIf(!isRoot)('exec over the API', () => {
  it('create 201 {Id}; start: 101 and stdcopy frames; json: ExitCode, ProcessConfig, ContainerID', async () => {
    const id = await running('ex1');
    const execId = await createExec('ex1', { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    expect(execId).toMatch(/^[0-9a-f]{64}$/);
    const before = (await api(daemon().sock, 'GET', `/v1.50/exec/${execId}/json`)).json();
    expect(before).toMatchObject({ ID: execId, Running: false, ExitCode: null, ContainerID: id });
    const r = await startHijacked(execId);
    expect(r.head).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\n/);
    expect(r.frames.sort((a, b) => a.stream - b.stream)).toEqual([{ stream: 1, text: 'out\n' }, { stream: 2, text: 'err\n' }]);
    const after = (await api(daemon().sock, 'GET', `/v1.50/exec/${execId}/json`)).json();
    expect(after).toMatchObject({
      ID: execId, Running: false, ExitCode: 7, ContainerID: id, OpenStdin: false, OpenStdout: true, OpenStderr: true,
      ProcessConfig: { tty: false, entrypoint: 'sh', arguments: ['-c', 'echo out; echo err >&2; exit 7'], privileged: false, user: '' },
    });
    expect(after.Pid).toBeGreaterThan(0);
    expect((await api(daemon().sock, 'POST', `/v1.50/exec/${execId}/resize?h=30&w=100`)).status).toBe(200);
  });

  it('stdin that came with the start reaches the process (AttachStdin)', async () => {
    await running('ex2');
    const execId = await createExec('ex2', { Cmd: ['cat'], AttachStdin: true });
    const r = await startHijacked(execId, 'piped\n');
    expect(r.frames).toEqual([{ stream: 1, text: 'piped\n' }]);
  });

  it('Tty: raw stream, a terminal of its own at ConsoleSize; resize is SIGWINCH and the new size; 400 for a bad size', async () => {
    await running('et');
    const script = 'trap "stty size; exit 6" WINCH; tty; stty size; echo "TERM=$TERM"; echo ready; while :; do sleep 0.1; done';
    const execId = await createExec('et', { Cmd: ['sh', '-c', script], Tty: true, ConsoleSize: [24, 80] });
    const t = startTerminal(execId, { ConsoleSize: [31, 101] }); // the start's size wins
    await t.waitFor(/ready\r\n/);
    expect(t.head()).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.raw-stream\r\n/);
    // the container's own devpts (/dev/pts/N, not the host's), its size, \r\n from the terminal
    expect(t.shown()).toMatch(/^\/dev\/pts\/\d+\r\n31 101\r\nTERM=xterm\r\nready\r\n$/);
    expect((await api(daemon().sock, 'POST', `/v1.50/exec/${execId}/resize?h=x&w=100`)).status).toBe(400);
    expect((await api(daemon().sock, 'POST', `/v1.50/exec/${execId}/resize?h=40&w=120`)).status).toBe(200);
    await t.waitFor(/40 120\r\n$/);
    await t.closed;
    expect((await api(daemon().sock, 'GET', `/v1.50/exec/${execId}/json`)).json()).toMatchObject({ ExitCode: 6, ProcessConfig: { tty: true } });
  });

  it('Tty with stdin: typing is echoed by the terminal, Enter is a line, ^C is SIGINT (130)', async () => {
    await running('ei');
    const execId = await createExec('ei', { Cmd: ['sh', '-c', 'read line; echo "got:$line"; exec sleep 100'], Tty: true, AttachStdin: true });
    const t = startTerminal(execId, {});
    t.type('hello\r');
    await t.waitFor(/got:hello\r\n/);
    expect(t.shown()).toBe('hello\r\ngot:hello\r\n');
    t.type('\x03');
    await t.closed;
    expect(t.shown()).toBe('hello\r\ngot:hello\r\n^C');
    expect((await api(daemon().sock, 'GET', `/v1.50/exec/${execId}/json`)).json()).toMatchObject({ ExitCode: 130, Running: false });
  });

  it('409 `container <id> is not running` for a stopped container; 404 for an unknown exec', async () => {
    const created = await api(daemon().sock, 'POST', '/v1.50/containers/create?name=ex3', json({ Image: 'busybox', Cmd: ['true'] }));
    const { Id } = created.json() as { Id: string };
    const r = await api(daemon().sock, 'POST', '/v1.50/containers/ex3/exec', json({ Cmd: ['ls'] }));
    expect(r.status).toBe(409);
    expect(r.json()).toEqual({ message: `container ${Id} is not running` });
    expect((await api(daemon().sock, 'GET', '/v1.50/exec/nope/json')).status).toBe(404);
  });

  it('top: Titles and the container\'s processes only; ps_args', async () => {
    await running('tp', ['sh', '-c', 'sleep 100 & exec sleep 99']);
    await new Promise((r) => setTimeout(r, 200));
    const top = (await api(daemon().sock, 'GET', '/v1.50/containers/tp/top')).json() as { Titles: string[]; Processes: string[][] };
    expect(top.Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(top.Processes.map((p) => p[7]).sort()).toEqual(['sleep 100', 'sleep 99']);
    const custom = (await api(daemon().sock, 'GET', '/v1.50/containers/tp/top?ps_args=-o%20pid,comm')).json() as { Titles: string[]; Processes: string[][] };
    expect(custom.Titles).toEqual(['PID', 'COMMAND']);
    expect(custom.Processes.map((p) => p[1])).toEqual(['sleep', 'sleep']);
  });

  it('pause: Paused, Status paused, exec refused, stop still works; unpause', async () => {
    const id = await running('pz');
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/pause')).status).toBe(204);
    expect(((await api(daemon().sock, 'GET', '/v1.50/containers/pz/json')).json() as { State: unknown }).State).toMatchObject({ Status: 'paused', Running: true, Paused: true });
    const ps = (await api(daemon().sock, 'GET', '/v1.50/containers/json')).json() as Array<{ Status: string; State: string }>;
    expect(ps[0]).toMatchObject({ State: 'paused', Status: expect.stringMatching(/\(Paused\)$/) });
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/exec', json({ Cmd: ['ls'] }))).status).toBe(409);
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/pause')).status).toBe(409);
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/unpause')).status).toBe(204);
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/unpause')).json()).toEqual({ message: `Container ${id} is not paused` });
    await api(daemon().sock, 'POST', '/v1.50/containers/pz/pause');
    expect((await api(daemon().sock, 'POST', '/v1.50/containers/pz/stop?t=1')).status).toBe(204);
    expect(((await api(daemon().sock, 'GET', '/v1.50/containers/pz/json')).json() as { State: unknown }).State).toMatchObject({ Status: 'exited', Paused: false });
  });

  it('stats?stream=false: Docker\'s JSON from the cgroup', async () => {
    const id = await running('st');
    const s = (await api(daemon().sock, 'GET', '/v1.50/containers/st/stats?stream=false')).json();
    expect(s).toMatchObject({ id, name: '/st', pids_stats: { current: expect.any(Number) } });
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(s.precpu_stats.system_cpu_usage);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.memory_stats.limit).toBeGreaterThan(s.memory_stats.usage);
  });
});

