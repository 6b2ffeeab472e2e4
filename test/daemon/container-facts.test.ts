// Chapter 3's facts in the trace, against a real daemon (engine/namespaces/container-facts.ts):
// container.init with pid 1's pids, namespaces and mounts as the kernel shows them while it
// runs; exec.process with the exec'd process's pids; container.pause/unpause around the
// freezer; cgroup.usage at an exec, a pause and the exit. Each traced value is compared with
// what /proc says at that moment, not with a number written here.
import { describe, expect, it } from 'vitest';
import { readFileSync, readlinkSync } from 'node:fs';
import type { TraceEvent } from '../../engine/trace/index.js';
import { api } from './harness.js';
import { useRuntimeDaemon } from './runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 101 });
const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

/** The daemon's trace so far. */
const trace = (): TraceEvent[] => readFileSync(`${daemon().dataRoot}/trace/events.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceEvent);

/** The first event matching, once the daemon has written it (some are written after the answer). */
async function traced(match: (e: TraceEvent) => boolean): Promise<TraceEvent> {
  for (let i = 0; i < 200; i++) {
    const found = trace().find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('not traced in 5 s');
}

const inode = (link: string) => Number(/\[(\d+)\]/.exec(link)![1]);

async function running(cmd: string[]): Promise<{ id: string; pid: number }> {
  const { Id } = (await api(daemon().sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: cmd, HostConfig: { Memory: 32 << 20, PidsLimit: 20 } }))).json() as { Id: string };
  expect((await api(daemon().sock, 'POST', `/v1.50/containers/${Id}/start`)).status).toBe(204);
  const { State } = (await api(daemon().sock, 'GET', `/v1.50/containers/${Id}/json`)).json() as { State: { Pid: number } };
  return { id: Id, pid: State.Pid };
}

describe.skipIf(!isRoot)('the trace of a container: pid 1, exec, pause, usage', () => {
  it('traces pid 1 with its command, its pids, its namespaces and its mounts, as /proc shows them', async () => {
    const { id, pid } = await running(['sleep', '600']);
    const init = await traced((e) => e.op === 'container.init' && e.data['id'] === id);
    expect(init.data).toMatchObject({ argv: ['sleep', '600'], pid, containerPid: 1 });
    const ns = init.data['namespaces'] as Record<string, { Inode: number; SharedWithHost: boolean }>;
    for (const kind of ['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup']) {
      expect(ns[kind]!.Inode, kind).toBe(inode(readlinkSync(`/proc/${pid}/ns/${kind}`)));
      expect(ns[kind]!.SharedWithHost, kind).toBe(readlinkSync(`/proc/${pid}/ns/${kind}`) === readlinkSync(`/proc/self/ns/${kind}`));
    }
    // isolated by default: pid, mount, hostname, IPC and network; no user namespace (Docker's default)
    for (const kind of ['pid', 'mnt', 'uts', 'ipc', 'net']) expect(ns[kind]!.SharedWithHost, kind).toBe(false);
    expect(ns['user']!.SharedWithHost).toBe(true);
    // its mounts: the overlay at /, the rest as pid 1's mountinfo lists them (the tail counted)
    const table = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]);
    const mounts = init.data['mounts'] as { target: string; type: string }[];
    expect(mounts[0]).toMatchObject({ target: '/', type: 'overlay' });
    expect(mounts.map((m) => m.target)).toEqual(table.slice(0, mounts.length));
    expect(mounts.length + (init.data['mountsLeft'] as number)).toBe(table.length);
  });

  it('traces an exec with its own pids (not pid 1), its command, its usage and its exit', async () => {
    const { id, pid } = await running(['sleep', '600']);
    const { Id: execId } = (await api(daemon().sock, 'POST', `/v1.50/containers/${id}/exec`, json({ Cmd: ['sleep', '1'] }))).json() as { Id: string };
    expect((await api(daemon().sock, 'POST', `/v1.50/exec/${execId}/start`, json({ Detach: true }))).status).toBe(200);
    const started = await traced((e) => e.op === 'container.exec' && e.phase === 'start' && e.data['id'] === id);
    expect(started.data).toMatchObject({ pid, cmd: ['sleep', '1'] });
    // under the request that started it (a hijacked start, which has no request span, has none)
    const request = await traced((e) => e.op === 'http.request' && e.phase === 'start' && String(e.data['path']).endsWith(`/exec/${execId}/start`));
    expect(started.parent).toBe(request.span);
    const proc = await traced((e) => e.op === 'exec.process' && e.span === started.span);
    const execPid = proc.data['pid'] as number;
    // while it runs: in the container's pid namespace, where it has the pid the trace says
    expect(readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(readlinkSync(`/proc/${pid}/ns/pid`));
    const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${execPid}/status`, 'utf8'))![1]!.split(/\s+/).map(Number);
    expect(proc.data).toMatchObject({ argv: ['sleep', '1'], containerPid: nspid.at(-1) });
    expect(proc.data['containerPid']).not.toBe(1);
    const usage = await traced((e) => e.op === 'cgroup.usage' && e.phase === 'end' && e.parent === started.span);
    expect(usage.data).toMatchObject({ memory: expect.any(Number), memoryLimit: 32 << 20, pidsLimit: 20 });
    expect(usage.data['pids']).toBeGreaterThanOrEqual(2); // pid 1 and the exec
    const exit = await traced((e) => e.op === 'exec.exit' && e.span === started.span);
    expect(exit.data).toEqual({ status: 0 });
  });

  it('traces pause and unpause around the freezer, the usage of the frozen processes, and the usage at the exit', async () => {
    const { id } = await running(['sleep', '600']);
    expect((await api(daemon().sock, 'POST', `/v1.50/containers/${id}/pause`)).status).toBe(204);
    const pause = await traced((e) => e.op === 'container.pause' && e.phase === 'start' && e.data['id'] === id);
    const freeze = await traced((e) => e.op === 'cgroup.freeze' && e.phase === 'start' && e.parent === pause.span);
    expect(freeze.data).toMatchObject({ frozen: true, name: expect.stringContaining(id) });
    const usage = await traced((e) => e.op === 'cgroup.usage' && e.phase === 'end' && e.parent === pause.span);
    expect(usage.data['pids']).toBe(1);
    expect(usage.data['memory']).toBeGreaterThan(0);
    expect((await api(daemon().sock, 'POST', `/v1.50/containers/${id}/unpause`)).status).toBe(204);
    const unpause = await traced((e) => e.op === 'container.unpause' && e.phase === 'start' && e.data['id'] === id);
    expect((await traced((e) => e.op === 'cgroup.freeze' && e.phase === 'start' && e.parent === unpause.span)).data).toMatchObject({ frozen: false });
    expect((await api(daemon().sock, 'POST', `/v1.50/containers/${id}/stop?t=1`)).status).toBe(204);
    const exit = await traced((e) => e.op === 'process.exit' && e.phase === 'end' && e.data['id'] === id);
    const last = await traced((e) => e.op === 'cgroup.usage' && e.phase === 'start' && e.data['id'] === id && e.t > exit.t);
    const end = await traced((e) => e.span === last.span && e.phase === 'end');
    expect(end.data).toMatchObject({ pids: 0, cpuNs: expect.any(Number), memoryLimit: 32 << 20 });
  });
});
