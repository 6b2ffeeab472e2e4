// Runs in every test file before its tests: removes the temp dirs made with test/tmp.ts, and
// the shared `dockling` parent cgroups when this file's containers created them. A parent that
// still has a child (another file's container) refuses rmdir, so this never disturbs one in use.
import { afterAll, beforeAll } from 'vitest';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from './tmp.js';

const CGROUPS = '/sys/fs/cgroup';
const parents = (): string[] => {
  if (!existsSync(CGROUPS)) return [];
  const roots = existsSync(join(CGROUPS, 'cgroup.controllers')) ? [CGROUPS] : readdirSync(CGROUPS).map((c) => join(CGROUPS, c));
  return roots.map((r) => join(r, 'dockling')).filter((p) => existsSync(p));
};

let before = new Set<string>();
beforeAll(() => {
  before = new Set(parents());
});

afterAll(async () => {
  await removeTempDirs();
  for (const p of parents()) {
    if (before.has(p)) continue;
    try {
      rmdirSync(p);
    } catch {
      // busy: another file's container is still in it; that file's own hook removes it
    }
  }
});
