// `npm run check -- <chapter>` (issue 8): runs the tests of one chapter and nothing else, so a
// learner — or the CI — proves that chapter works on its own. The chapter is a number or a name
// (`npm run check -- 2`, `npm run check -- unionfs`); its test files are listed in
// chapter-tests.ts. vitest runs them with the project's config (test/vitest.config.ts), and its
// exit status is ours. Tests that need root say so and are skipped when you are not root.
//
// package.json compiles this folder (its tsconfig.json) and runs this program, which checks the
// chapter's name first — a wrong one is refused at once — then builds the engine (`npm run
// build`, as `npm test` does, so the helpers in dist/ are fresh), then runs vitest.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findGroup, validGroupNames, type ChapterGroup } from './chapter-tests.js';

/** The checkout: the nearest folder above `from` that holds package.json (dist/ has none). */
export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export type CheckPlan = { ok: true; group: ChapterGroup } | { ok: false; message: string };

/** What `check <args>` would run, or why it cannot. */
export function planCheck(args: string[]): CheckPlan {
  const usage = `usage: npm run check -- <chapter>; chapters: ${validGroupNames()}`;
  if (args.length !== 1) return { ok: false, message: `check: name one chapter.\n${usage}` };
  const group = findGroup(args[0]!);
  if (!group) return { ok: false, message: `check: there is no chapter "${args[0]}".\n${usage}` };
  return { ok: true, group };
}

/** Runs the check; returns the exit status (2 for a bad chapter, else vitest's). */
export function check(args: string[], root?: string): number {
  const plan = planCheck(args);
  if (!plan.ok) {
    console.error(plan.message);
    return 2;
  }
  const { group } = plan;
  root ??= projectRoot();
  const label = /^\d$/.test(group.id) ? `chapter ${group.id}, ${group.title}` : group.title;
  console.log(`check: ${label} — ${group.files.length} test files`);
  if (process.getuid?.() !== 0) console.log('check: not root — the tests that need root will be skipped (each says why)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(`check: the build failed${build.error ? `: ${build.error.message}` : ''}; the tests were not run`);
    return build.status || 1;
  }
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/vitest.config.ts', ...group.files], { cwd: root, stdio: 'inherit' });
  if (run.error) {
    console.error(`check: could not start vitest (${vitest}): ${run.error.message}`);
    return 1;
  }
  return run.status ?? 1;
}

// Run as a program (node dist/test/chapters/check.js 2), not when a test imports this file.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = check(process.argv.slice(2));
}
