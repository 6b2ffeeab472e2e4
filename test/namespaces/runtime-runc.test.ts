// `--runtime runc|crun` (chapter 3): the bundle the engine made, run by another OCI runtime,
// gives the same observations as dockling's own recipe — pid 1, hostname = short id, Docker's
// capability set — with the exit code propagated, -d + stop through `<runtime> kill`, the memory
// limit in the runtime's own cgroup, and after removal no runtime state and no cgroup left. The
// same tests under runc and under crun; crun on this hybrid cgroup machine needs hugetlb moved
// out of cgroup2, which test/global-setup.ts does for the run (hybrid-cgroups.ts). Through a
// real daemon and the dockling CLI.
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, dockling, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/runtime-leftovers.js';
import { CRUN_BINARIES, crunSkipReason } from './hybrid-cgroups.js';

const isRoot = process.getuid?.() === 0;
const hasRunc = ['/usr/sbin/runc', '/usr/bin/runc'].some((p) => existsSync(p));
const hasCrun = CRUN_BINARIES.some((p) => existsSync(p));
const RUNTIMES = [
  { name: 'runc', installed: hasRunc },
  { name: 'crun', installed: hasCrun },
] as const;
/** The daemon runs when there is an external runtime to drive. */
const enabled = isRoot && (hasRunc || hasCrun);
const net = bridgeArgs(170);
const CGROUP_ROOT = '/sys/fs/cgroup';
/** The parents runc and crun make (`dockling-runc/<id>`), where a test looks for its containers' groups. */
const ociParents = () => cgroupParents().filter((p) => /\/dockling-(runc|crun)$/.test(p));
const parentsBefore = cgroupParents();
let d: RunningDaemon;
const ids: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  d = await startDaemon({ args: net.args });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
});

afterEach(async () => {
  if (!enabled) return;
  const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
  for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
  ids.push(...all.map((c) => c.Id));
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: ids })).toEqual(NOTHING);
  // runc's own: no state directory under --root, no cgroup of any of our containers
  expect(existsSync(join(d.dataRoot, 'oci')) ? readdirSync(join(d.dataRoot, 'oci')) : []).toEqual([]);
  expect(ociParents().flatMap((p) => readdirSync(p).filter((n) => ids.includes(n)).map((n) => join(p, n)))).toEqual([]);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore); // the runtimes' own parents (dockling-runc, dockling-crun) too
});

const dk = (...args: string[]) => dockling(d.host, args);
const OBSERVE = ['sh', '-c', 'echo $$; hostname; grep CapEff /proc/self/status'];

/** Runs OBSERVE under `runtime` (named, so the id is known), then removes it. */
async function observe(runtime: string[]): Promise<{ code: number; stdout: string; id: string }> {
  const name = `obs${Math.random().toString(16).slice(2, 8)}`;
  const r = await dk('run', '--name', name, ...runtime, 'busybox', ...OBSERVE);
  const id = ((await api(d.sock, 'GET', `/v1.50/containers/${name}/json`)).json() as { Id: string }).Id;
  await api(d.sock, 'DELETE', `/v1.50/containers/${id}`);
  return { code: r.code, stdout: r.stdout.replaceAll(id.slice(0, 12), '<short id>'), id };
}

/** Why this runtime cannot run here (printed; the test is reported skipped), or undefined. */
async function whyNot(rt: (typeof RUNTIMES)[number]): Promise<string | undefined> {
  if (!rt.installed) return `${rt.name} is not installed (Debian package ${rt.name})`;
  return rt.name === 'crun' ? crunSkipReason() : undefined;
}

async function needs(rt: (typeof RUNTIMES)[number], ctx: TestContext): Promise<void> {
  const why = await whyNot(rt);
  if (why === undefined) return;
  console.warn(`skipping --runtime ${rt.name}: ${why}`);
  ctx.skip(why);
}

// The same checks under each runtime. crun on this hybrid machine runs because
// test/global-setup.ts moved hugetlb out of cgroup2 for the run (hybrid-cgroups.ts); a crun that
// refuses or fails fails these tests — only a move that is impossible here skips them.
for (const rt of RUNTIMES) {
  describe.skipIf(!isRoot)(`--runtime ${rt.name}`, () => {
    it('the same observations as the built-in runtime: pid 1, hostname = short id, CapEff', async (ctx) => {
      await needs(rt, ctx);
      const ours = await observe([]);
      expect(ours).toMatchObject({ code: 0, stdout: '1\n<short id>\nCapEff:\t00000000a80425fb\n' });
      const theirs = await observe(['--runtime', rt.name]);
      expect(theirs).toMatchObject({ code: 0, stdout: '1\n<short id>\nCapEff:\t00000000a80425fb\n' });
      expect(theirs.stdout).toBe(ours.stdout);
      const rm = await dk('run', '--rm', '--runtime', rt.name, 'busybox', ...OBSERVE);
      expect(rm.stderr).toBe('');
      expect(rm.code).toBe(0);
      expect(rm.stdout).toMatch(/^1\n[0-9a-f]{12}\nCapEff:\t00000000a80425fb\n$/);
    });

    it('the exit code propagates', async (ctx) => {
      await needs(rt, ctx);
      expect((await dk('run', '--rm', '--runtime', rt.name, 'busybox', 'sh', '-c', 'exit 5')).code).toBe(5);
    });

    it(`-d: its own cgroup with the limit, the prepared network, exec, stop through ${rt.name} kill (SIGTERM reaches the trap)`, async (ctx) => {
      await needs(rt, ctx);
      const started = await dk('run', '-d', '--runtime', rt.name, '-m', '64m', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.2; done');
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const id = started.stdout.trim();
      const group = `${CGROUP_ROOT}/memory/dockling-${rt.name}/${id}`;
      expect(readFileSync(`${group}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      const info = (await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json() as { HostConfig: { Runtime: string }; NetworkSettings: { IPAddress: string } };
      expect(info.HostConfig.Runtime).toBe(rt.name);
      // the container's process is in the runtime's cgroup
      expect(readFileSync(`${group}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(0);
      expect(info.NetworkSettings.IPAddress).toMatch(/^10\.213\.170\.\d+$/);
      const ping = await dk('run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '2', info.NetworkSettings.IPAddress);
      expect(ping.code).toBe(0);
      // exec joins the runtime's pid 1 (a child of one of runc's threads, not of its main one).
      const exec = await dk('exec', id, 'sh', '-c', 'cat /proc/1/cmdline; echo; hostname');
      expect(exec.stderr).toBe('');
      expect(exec.stdout).toBe(`sh\0-c\0trap "exit 3" TERM; while :; do sleep 0.2; done\0\n${id.slice(0, 12)}\n`);
      const t0 = Date.now();
      expect((await dk('stop', id)).code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
      const after = (await api(d.sock, 'GET', `/v1.50/containers/${id}/json`)).json() as { State: { Status: string; ExitCode: number } };
      expect(after.State).toMatchObject({ Status: 'exited', ExitCode: 3 });
      expect(existsSync(group)).toBe(false);
    });
  });
}

describe.skipIf(!isRoot || !(hasRunc || hasCrun))('--runtime: names', () => {
  it('an unknown runtime is refused at create (125)', async () => {
    const bad = await dk('run', '--rm', '--runtime', 'nope', 'busybox', 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('unknown or invalid runtime name: nope');
  });

  it('info lists dockling and the installed runtimes; the default is dockling', async () => {
    const info = (await api(d.sock, 'GET', '/v1.50/info')).json() as { Runtimes: Record<string, { path: string }>; DefaultRuntime: string };
    expect(info.DefaultRuntime).toBe('dockling');
    expect(Object.keys(info.Runtimes).sort()).toEqual(['dockling', ...RUNTIMES.filter((r) => r.installed).map((r) => r.name)].sort());
  });
});
