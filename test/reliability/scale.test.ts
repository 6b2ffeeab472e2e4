// Scale (issue 9): N containers running at once — `sleep` in busybox, `--network none` so the
// count measures containers, not veths — listed (ps shows all N), inspected, then removed. It
// reports the daemon's memory (VmRSS) before, at N and after, and what each container costs:
// its shim's and its process's memory, the daemon's file descriptors, the time of a create, a
// start and a remove. N is 1000 when FULL, after a pilot of a few containers has shown the
// machine can hold them; if it cannot, the test runs as many as fit and says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { api, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { mapLimit } from '../../engine/registry/client/limit.js';
import { FULL, report } from './report.js';
import { capacityFrom, hostFacts, rssOf } from './host-capacity.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the scale test: containers need root (mounts, namespaces, cgroups)');

const WANTED = FULL ? 1000 : 30;
const PILOT = FULL ? 20 : 5;
/** Requests in flight at once, as a busy client would send them. */
const PARALLEL = 8;
const MiB = 1 << 20;

const net = bridgeArgs(115);
const parentsBefore = cgroupParents();
let d: RunningDaemon;
const ids: string[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: net.args });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
}, 60_000);

afterAll(async () => {
  if (!isRoot || !d) return;
  // Whatever a failure left running goes before the daemon does.
  await mapLimit([...ids], PARALLEL, (id) => api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`));
  await d.stop();
  if (spawnSync('ip', ['link', 'show', net.bridge]).status === 0) spawnSync('ip', ['link', 'del', net.bridge]);
  removeCgroupParents(parentsBefore);
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: ids })).toEqual(NOTHING);
}, 30 * 60_000);

const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

/** Creates and starts one container; returns the two requests' times. */
async function runOne(): Promise<{ create: number; start: number }> {
  const t0 = Date.now();
  const created = await api(d.sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: 'none' } }));
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const id = created.json().Id as string;
  ids.push(id);
  const t1 = Date.now();
  const started = await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
  if (started.status !== 204) throw new Error(`start ${id}: ${started.status} ${started.text}`);
  return { create: t1 - t0, start: Date.now() - t1 };
}

/** The shims of this daemon's containers and everything under them: pid → RSS. */
function containerProcesses(): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { maxBuffer: 256 << 20 }).toString().split('\n').filter(Boolean)
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!).map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const mine = new Set(rows.filter((r) => r.args.includes('dockling-shim') && r.args.includes(d.dataRoot)).map((r) => r.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (mine.has(r.ppid) && !mine.has(r.pid)) grew = mine.add(r.pid) !== undefined;
  }
  return [...mine];
}

/** What the daemon's descriptors point at: `pipe:[…]`, `socket:[…]`, a path… */
function fdTargets(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/\[\d+\]$/, '');
    } catch {
      return '?';
    }
  });
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

describe.skipIf(!isRoot)('many containers at once', () => {
  it(`runs up to ${WANTED} containers at once, lists and inspects them all, removes them; reports the daemon's memory and the cost of each`, async () => {
    const daemonPid = d.child.pid!;
    const rssBefore = rssOf(daemonPid);
    const fdsBefore = readdirSync(`/proc/${daemonPid}/fd`).length;
    const fdKindsBefore = fdTargets(daemonPid);

    // 1. a pilot: what one container costs here, so we know how many fit
    const times = await mapLimit(Array.from({ length: PILOT }), PARALLEL, () => runOne());
    const pilot = containerProcesses();
    const capacity = capacityFrom(hostFacts(daemonPid), {
      tasks: pilot.length / PILOT,
      bytes: (pilot.reduce((sum, pid) => sum + rssOf(pid), 0) + Math.max(0, rssOf(daemonPid) - rssBefore)) / PILOT,
      fds: Math.max(0, readdirSync(`/proc/${daemonPid}/fd`).length - fdsBefore) / PILOT,
    });
    // Keep a tenth of what is free for everything else on the machine.
    const n = Math.min(WANTED, Math.floor(capacity.limit * 0.9));
    const limited = n < WANTED;
    console.log(`scale: the pilot of ${PILOT}: ${capacity.perContainer.tasks.toFixed(1)} tasks, ${mib(capacity.perContainer.bytes)} of memory, ${capacity.perContainer.fds.toFixed(1)} daemon fds per container; ` +
      `about ${capacity.limit} would fit (bound by ${capacity.by})${limited ? `, so ${n} run, not ${WANTED}` : ''}`);

    // 2. the rest, PARALLEL at a time
    const started = Date.now();
    times.push(...(await mapLimit(Array.from({ length: n - PILOT }), PARALLEL, () => runOne())));
    const upMs = Date.now() - started;

    // 3. all listed, all inspected as running
    const t0 = Date.now();
    const listed = await api(d.sock, 'GET', '/v1.50/containers/json');
    const psMs = Date.now() - t0;
    expect(listed.status).toBe(200);
    expect(new Set(listed.json<Array<{ Id: string }>>().map((c) => c.Id))).toEqual(new Set(ids));
    const t1 = Date.now();
    const states = await mapLimit(ids, PARALLEL, async (id) => (await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json().State?.Status as string);
    const inspectMs = (Date.now() - t1) / ids.length;
    expect(states.filter((s) => s !== 'running')).toEqual([]);

    // 4. what they cost, while all run
    const rssAtN = rssOf(daemonPid);
    const fdsAtN = readdirSync(`/proc/${daemonPid}/fd`).length;
    const procs = containerProcesses();
    const procRss = procs.reduce((sum, pid) => sum + rssOf(pid), 0);

    // 5. removed, PARALLEL at a time
    const t2 = Date.now();
    const removeTimes = await mapLimit([...ids], PARALLEL, async (id) => {
      const t = Date.now();
      const r = await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
      if (r.status !== 204) throw new Error(`rm ${id}: ${r.status} ${r.text}`);
      return Date.now() - t;
    });
    const downMs = Date.now() - t2;
    const remaining = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json<unknown[]>();
    const rssAfter = rssOf(daemonPid);
    const fdsAfter = readdirSync(`/proc/${daemonPid}/fd`).length;

    // Does a create get slower as containers pile up? The first tenth against the last.
    const tenth = Math.max(1, Math.floor(n / 10));
    const growth = `create+start of the first ${tenth} ${mean(times.slice(0, tenth).map((t) => t.create + t.start)).toFixed(0)} ms, of the last ${tenth} ${mean(times.slice(-tenth).map((t) => t.create + t.start)).toFixed(0)} ms`;
    const summary = `${n} containers: ${growth}; up in ${(upMs / 1000).toFixed(1)} s, down in ${(downMs / 1000).toFixed(1)} s; ` +
      `create ${mean(times.map((t) => t.create)).toFixed(0)} ms (p95 ${p95(times.map((t) => t.create))}), start ${mean(times.map((t) => t.start)).toFixed(0)} ms (p95 ${p95(times.map((t) => t.start))}), ` +
      `remove ${mean(removeTimes).toFixed(0)} ms (p95 ${p95(removeTimes)}), ${PARALLEL} in flight; ps of all ${psMs} ms, inspect ${inspectMs.toFixed(1)} ms each; ` +
      `daemon RSS ${mib(rssBefore)} → ${mib(rssAtN)} at ${n} → ${mib(rssAfter)} after, ${((rssAtN - rssBefore) / n / 1024).toFixed(0)} KiB per container; ` +
      `daemon fds ${fdsBefore} → ${fdsAtN} → ${fdsAfter}; ${procs.length} container processes, ${mib(procRss)} RSS, ${(procRss / n / 1024).toFixed(0)} KiB per container` +
      (limited ? `; the machine's limit here: ~${capacity.limit} (${capacity.by})` : '');
    console.log(`scale: ${summary}`);
    report({
      area: `scale: ${n} containers at once`, requestsSent: n * 4, requestsAnswered: n * 4 - remaining.length, objectsLost: 0,
      note: `daemon RSS ${mib(rssBefore)} → ${mib(rssAtN)}; ${(procRss / n / 1024).toFixed(0)} KiB of shim+process per container; create+start ${(mean(times.map((t) => t.create + t.start))).toFixed(0)} ms`,
    });
    expect(remaining).toEqual([]);
    ids.length = 0;
    // No file descriptor kept per container once they are gone: what stays is the same at 30 as
    // at 1000 (the clients' keep-alive connections, a watcher, the thread pool's wake-ups).
    const kept = fdTargets(daemonPid);
    for (const k of fdKindsBefore) kept.splice(kept.indexOf(k), 1);
    expect(fdsAfter - fdsBefore, `the daemon kept ${kept.join(', ')}`).toBeLessThan(PARALLEL + 8);
    expect(procs.length).toBeGreaterThanOrEqual(n);
  }, 60 * 60_000);
});
