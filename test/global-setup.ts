// Once around the whole run:
// - the shared `dockling` parent cgroups that the run's containers made are removed at the end
//   (each container's own cgroup is removed by its test; the parent is shared by files running
//   at the same time, so only the end of the run knows it is free);
// - crun on a hybrid cgroup machine: when a file of the run runs crun and crun refuses this
//   machine, hugetlb is moved from cgroup2 to a v1 hierarchy before the first file starts and put
//   back after the last one ends, so that the layout never changes while a test runs (the
//   reasons, and what "put back" checks: namespaces/hybrid-cgroups.ts). The test files learn
//   what was done through inject('crunCgroups').
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { holdHugetlbForCrun, type CrunCgroups, type HugetlbHold } from './namespaces/hybrid-cgroups.js';

const CGROUPS = '/sys/fs/cgroup';

function parents(): string[] {
  if (!existsSync(CGROUPS)) return [];
  const roots = existsSync(join(CGROUPS, 'cgroup.controllers')) ? [CGROUPS] : readdirSync(CGROUPS).map((c) => join(CGROUPS, c));
  return roots.map((r) => join(r, 'dockling')).filter((p) => existsSync(p));
}

/** A file that runs crun says so by going through hybrid-cgroups.ts's gate. */
const RUNS_CRUN = /\b(withHugetlbMovedToV1|crunSkipReason)\(/;

/** Whether a file of this run runs crun; when vitest does not say which files run, assume one does. */
function runRunsCrun(project: TestProject): boolean {
  let files: string[] = [];
  try {
    files = project.vitest.state.getPaths(); // the files this run was asked to run
  } catch {
    // the (experimental) state API moved: assume crun runs
  }
  if (files.length === 0) return true;
  return files.some((f) => {
    try {
      return RUNS_CRUN.test(readFileSync(f, 'utf8'));
    } catch {
      return true;
    }
  });
}

export default function setup(project: TestProject): () => void {
  const before = new Set(parents());
  let hold: HugetlbHold | undefined;
  let status: CrunCgroups;
  try {
    hold = holdHugetlbForCrun(runRunsCrun(project));
    status = hold.status;
  } catch (err) {
    // Putting back what a dead run left failed: the host is not as it should be.
    console.error(`hugetlb: ${(err as Error).message}`);
    process.exitCode = 1;
    status = { state: 'impossible', reason: `the cgroup layout could not be prepared: ${(err as Error).message}` };
  }
  project.provide('crunCgroups', status);
  if (status.state === 'impossible') console.warn(`crun tests will be skipped: ${status.reason}`);

  let released = false;
  const putBack = () => {
    if (released) return;
    released = true;
    try {
      hold?.release();
    } catch (err) {
      // Not a test's failure but the host's: said loudly, and the run fails.
      console.error(`\nhugetlb could not be put back into cgroup2: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  };
  // A run stopped by ^C exits without its teardown; the 'exit' handlers still run (synchronously).
  process.once('exit', putBack);

  return () => {
    for (const p of parents()) {
      if (before.has(p)) continue;
      try {
        rmdirSync(p);
      } catch (err) {
        console.warn(`test run left ${p} in use: ${(err as Error).message}`);
      }
    }
    putBack();
    process.off('exit', putBack);
  };
}
