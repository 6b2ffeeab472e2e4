// Chapter 3's exec, top, stats and pause over the Engine API, against a real daemon: the
// shapes the docker CLI reads (protocol reference §5.3, §5.5), the hijacked exec stream
// (101 UPGRADED, stdcopy frames, closed at the exit), 409 for a stopped container.
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

