// What a run of a real daemon must not leave on the host: a mount under its data root, a cgroup
// of one of its containers, its bridge or a veth, a shim or container process — and the checks
// and removals for them. No vitest here: the trace recorder (test/traces/record.ts) runs outside
// vitest and checks the host with the same logic as the daemon tests (runtime-leftovers.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

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

/**
 * The parent groups made on a container's first start: `dockling` by the built-in runtime,
 * `dockling-runc` / `dockling-crun` by those runtimes (in every controller they use); a suite
 * removes those it made.
 */
const CGROUP_ROOT = '/sys/fs/cgroup';
const PARENT_NAMES = ['dockling', 'dockling-runc', 'dockling-crun'];

export function cgroupParents(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  return readdirSync(CGROUP_ROOT).flatMap((c) => PARENT_NAMES.map((p) => `${CGROUP_ROOT}/${c}/${p}`)).filter((p) => existsSync(p));
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
