// crun on a hybrid cgroup machine (peer-baselines.md, "What failed"): crun refuses while cgroup2
// holds a controller, here hugetlb. Tests that run crun (isolation.test.ts, runtime-runc.test.ts)
// move hugetlb to a v1 hierarchy for the length of one run, only when DOCKLING_TEST_MOVE_HUGETLB=1,
// and always put it back.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { expect } from 'vitest';

const CGROUP_ROOT = '/sys/fs/cgroup';
const UNIFIED = `${CGROUP_ROOT}/unified`;

/**
 * crun refuses a hybrid machine whose cgroup2 still holds a controller ("cgroups in hybrid mode
 * not supported, drop all controllers from cgroupv2"); here that is hugetlb. For the length of
 * one run it is moved to its own v1 hierarchy, then put back: the hierarchy's cgroups removed,
 * unmounted, its directory removed, and hugetlb seen back in cgroup2.
 */
export async function withHugetlbMovedToV1<T>(fn: () => Promise<T>, what = 'crun'): Promise<T | 'skipped'> {
  const controllers = () => (existsSync(`${UNIFIED}/cgroup.controllers`) ? readFileSync(`${UNIFIED}/cgroup.controllers`, 'utf8').trim() : '');
  if (!controllers().split(' ').includes('hugetlb')) return fn();
  if (process.env['DOCKLING_TEST_MOVE_HUGETLB'] !== '1') {
    console.warn(`skipping ${what}: this hybrid machine\'s cgroup2 holds hugetlb, which crun refuses; set DOCKLING_TEST_MOVE_HUGETLB=1 to move it to v1 for the run (it is put back)`);
    return 'skipped';
  }
  const target = `${CGROUP_ROOT}/hugetlb`;
  if (existsSync(target)) {
    console.warn(`skipping ${what}: ${target} exists already, not touching it`);
    return 'skipped';
  }
  mkdirSync(target);
  const mounted = spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', target]);
  try {
    if (mounted.status !== 0) {
      console.warn(`skipping ${what}: cannot move hugetlb to cgroup v1: ${mounted.stderr.toString().trim()}`);
      return 'skipped';
    }
    return await fn();
  } finally {
    if (mounted.status === 0) await putHugetlbBack(target, () => controllers().split(' ').includes('hugetlb'));
    else rmdirSync(target);
    expect(controllers().split(' ')).toContain('hugetlb');
  }
}

/**
 * Unmounting a v1 hierarchy destroys it only if it has no child cgroup at that moment, and a
 * just-removed cgroup stays a (dying) child for a while. So: remove the children, wait, unmount,
 * and if the controller is not back in cgroup2, mount the same hierarchy again and retry.
 */
async function putHugetlbBack(target: string, isBack: () => boolean): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', target]);
    // deepest first
    const dirs = spawnSync('find', [target, '-mindepth', '1', '-depth', '-type', 'd']).stdout.toString().split('\n').filter(Boolean);
    for (const d of dirs) rmdirSync(d);
    await sleep(300);
    spawnSync('umount', [target]);
    for (let i = 0; i < 10 && !isBack(); i++) await sleep(50);
    await sleep(500); // and still back a moment later
    if (isBack()) break;
  }
  rmdirSync(target);
}
