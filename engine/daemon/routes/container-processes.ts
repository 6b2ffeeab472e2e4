// A running container's processes, chapter 3's cgroups seen from the API: `top` (which
// processes), `stats` (what they use) and `pause`/`unpause` (the freezer). All three start
// from the container's cgroup — the kernel's own list of the container's processes — as
// dockerd does (moby daemon/top_unix.go, daemon/stats).
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import type { ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { HttpError, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { cgroupPids, cgroupStats } from '../../namespaces/index.js';
import type { ContainerRecord } from '../../unionfs/index.js';
import { queryBool } from '../http/query.js';

const run = promisify(execFile);

// #region top
/**
 * `docker top`: the host's `ps` (ps_args, `-ef` unless given), its rows kept when their PID is
 * one of the container's. The cgroup also holds the runtime's own processes (unshare, an exec's
 * nsenter) that live outside the container's pid namespace: those are left out.
 */
async function top(engine: DaemonEngine, c: ContainerRecord, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  const { pid, cgroup } = await engine.runtime.target(c);
  const pidns = await readlink(`/proc/${pid}/ns/pid`);
  const pids = new Set<number>();
  for (const p of await cgroupPids(cgroup)) if ((await readlink(`/proc/${p}/ns/pid`).catch(() => '')) === pidns) pids.add(p);
  // The whole host's table (a busy host's is megabytes: hence the large buffer).
  const { stdout } = await run('ps', psArgs.split(/\s+/).filter(Boolean), { maxBuffer: 64 << 20 }).catch((err: { stderr?: string; message?: string }) => {
    throw new HttpError(500, `Error running ps: ${(err.stderr || err.message || '').trim()}`);
  });
  return parsePs(stdout, pids);
}

/** ps's table: the titles, and each row split into as many fields, the last (CMD) keeping its spaces. */
export function parsePs(text: string, pids: Set<number>): { Titles: string[]; Processes: string[][] } {
  const [head = '', ...lines] = text.split('\n').filter((l) => l.trim());
  const titles = head.trim().split(/\s+/);
  const at = titles.indexOf('PID');
  if (at < 0) throw new HttpError(500, `Couldn't find PID field in ps output`);
  const processes = lines.map((line) => {
    const fields = line.trim().split(/\s+/);
    return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
  });
  return { Titles: titles, Processes: processes.filter((row) => pids.has(Number(row[at]))) };
}
// #endregion top

// #region stats
/** The whole machine's CPU time in nanoseconds (/proc/stat's first line is in USER_HZ = 1/100 s). */
async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  return line.split(/\s+/).slice(1, 8).reduce((sum, v) => sum + Number(v || 0), 0) * 1e7;
}

async function sample(engine: DaemonEngine, c: ContainerRecord): Promise<Record<string, unknown>> {
  const { cgroup } = await engine.runtime.target(c);
  const s = await cgroupStats(cgroup);
  return {
    read: new Date().toISOString(),
    cpu_stats: { cpu_usage: { total_usage: s.cpuUsageNs }, system_cpu_usage: await systemCpuNs(), online_cpus: cpus().length },
    memory_stats: { usage: s.memoryUsage, limit: s.memoryLimit },
    pids_stats: { current: s.pids, ...(s.pidsLimit !== null ? { limit: s.pidsLimit } : {}) },
  };
}

const EMPTY_CPU = { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 0 };

/**
 * Docker's stats JSON: CPU as two samples a second apart (the CLI's CPU % is the container's
 * share of the machine's CPU time between them), memory and pids from the cgroup. No network
 * or block I/O counters yet (the CLI then shows 0B / 0B). A stopped container has zeros.
 */
async function stats(engine: DaemonEngine, c: ContainerRecord, pre?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ids = { name: c.Name, id: c.Id };
  if (!c.State.Running) return { read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', cpu_stats: EMPTY_CPU, precpu_stats: EMPTY_CPU, memory_stats: {}, pids_stats: {}, ...ids };
  const now = await sample(engine, c);
  return { ...now, preread: pre?.read ?? '0001-01-01T00:00:00Z', precpu_stats: pre?.cpu_stats ?? EMPTY_CPU, ...ids };
}

async function streamStats(res: ServerResponse, engine: DaemonEngine, c: ContainerRecord, a: { stream: boolean; oneShot: boolean }): Promise<void> {
  let closed = false;
  res.on('close', () => (closed = true));
  let pre = a.oneShot || !c.State.Running ? undefined : await sample(engine, c);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  for (;;) {
    if (pre && !a.oneShot) await new Promise((r) => setTimeout(r, 1000));
    const now = await engine.containers.get(c.Id).then((r) => stats(engine, r, pre)).catch(() => undefined);
    if (closed || !now) break;
    res.write(JSON.stringify(now) + '\n');
    if (!a.stream) break;
    pre = now;
  }
  res.end();
}
// #endregion stats


export const containerProcessRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/top$/,
    handler: async ({ res, params, query, engine }) => {
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      sendJSON(res, 200, await top(engine, c, query.get('ps_args') || '-ef'));
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/stats$/,
    handler: async ({ res, params, query, engine }) => {
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      const stream = queryBool(query, 'stream', true);
      await streamStats(res, engine, c, { stream, oneShot: queryBool(query, 'one-shot') });
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/pause$/,
    handler: async ({ res, params, engine }) => {
      await engine.runtime.pause(await engine.runtime.refresh(await engine.containers.get(params[0]!)));
      sendEmpty(res, 204);
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/unpause$/,
    handler: async ({ res, params, engine }) => {
      await engine.runtime.unpause(await engine.runtime.refresh(await engine.containers.get(params[0]!)));
      sendEmpty(res, 204);
    },
  },
];
