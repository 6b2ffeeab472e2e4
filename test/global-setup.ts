// Once around the whole run: the shared `dockling` parent cgroups that the run's containers
// made are removed at the end (each container's own cgroup is removed by its test; the parent is
// shared by files running at the same time, so only the end of the run knows it is free).
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CGROUPS = '/sys/fs/cgroup';

function parents(): string[] {
  if (!existsSync(CGROUPS)) return [];
  const roots = existsSync(join(CGROUPS, 'cgroup.controllers')) ? [CGROUPS] : readdirSync(CGROUPS).map((c) => join(CGROUPS, c));
  return roots.map((r) => join(r, 'dockling')).filter((p) => existsSync(p));
}

export default function setup(): () => void {
  const before = new Set(parents());
  return () => {
    for (const p of parents()) {
      if (before.has(p)) continue;
      try {
        rmdirSync(p);
      } catch (err) {
        console.warn(`test run left ${p} in use: ${(err as Error).message}`);
      }
    }
  };
}
