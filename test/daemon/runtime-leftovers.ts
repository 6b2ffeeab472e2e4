// What a daemon test that runs containers must not leave on the host: a mount under its data
// root, a cgroup of one of its containers, its bridge or a veth, a shim or container process.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { api, startDaemon, type RunningDaemon } from './harness.js';

/** A bridge name and subnet of the test's own, so suites and a real daemon never share one. */
export function bridgeArgs(third: number): { bridge: string; args: string[] } {
  const bridge = `dlt${randomBytes(4).toString('hex')}`;
  return { bridge, args: ['--bridge', bridge, '--bip', `10.213.${third}.0/24`] };
}

export interface Leftovers {
  mounts: string[];
  cgroups: string[];
  links: string[];
  processes: string[];
}

export function leftovers(a: { dataRoot: string; bridge: string; containerIds: string[] }): Leftovers {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(a.dataRoot));
  const cgroups: string[] = [];
  for (const c of ['memory', 'pids', 'cpu', 'freezer']) {
    const dir = `/sys/fs/cgroup/${c}/dockling`;
    if (existsSync(dir)) cgroups.push(...readdirSync(dir).filter((n) => a.containerIds.includes(n)).map((n) => `${dir}/${n}`));
  }
  const links = execFileSync('ip', ['-o', 'link', 'show']).toString().split('\n')
    .filter((l) => l.includes(a.bridge) || a.containerIds.some((id) => l.includes(`vdl${id.slice(0, 10)}`)));
  // The daemon itself is not a leftover: shims and containers (whose paths name the data root) are.
  const processes = execFileSync('ps', ['-eo', 'pid,args'], { maxBuffer: 256 << 20 }).toString().split('\n').filter((l) => l.includes(a.dataRoot) && !l.includes(' daemon --data-root '));
  return { mounts, cgroups, links, processes };
}

export const NOTHING: Leftovers = { mounts: [], cgroups: [], links: [], processes: [] };

/** The `dockling` parent groups the runtime makes on first start; a suite removes those it made. */
const CGROUP_PARENTS = ['cpu', 'cpuacct', 'freezer', 'memory', 'pids', 'unified'].map((c) => `/sys/fs/cgroup/${c}/dockling`);

export function cgroupParents(): string[] {
  return CGROUP_PARENTS.filter((p) => existsSync(p));
}

/** rmdir of each parent that was not there `before` (it fails harmlessly if a group is still inside). */
export function removeCgroupParents(before: string[]): void {
  for (const p of cgroupParents()) {
    if (before.includes(p)) continue;
    try {
      rmdirSync(p);
    } catch {
      // still in use by someone else's group: not ours to remove
    }
  }
}

/**
 * A daemon for a test file that runs containers: started with its own bridge before the file,
 * base image made; after each test every container force-removed and nothing of theirs left on
 * the host; stopped after the file. Returns the running daemon (once started).
 */
export function useRuntimeDaemon(a: { enabled: boolean; third: number; extraArgs?: string[] }): { daemon: () => RunningDaemon; net: { bridge: string; args: string[] } } {
  const net = bridgeArgs(a.third);
  let d: RunningDaemon | undefined;
  const parentsBefore = cgroupParents();
  beforeAll(async () => {
    if (!a.enabled) return;
    d = await startDaemon({ args: [...net.args, ...(a.extraArgs ?? [])] });
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });
  afterEach(async () => {
    if (!a.enabled || !d) return;
    const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
    for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
    expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
  });
  afterAll(async () => {
    await d?.stop();
    removeCgroupParents(parentsBefore);
  });
  return { daemon: () => d!, net };
}
