// The site as `npm run site:build` makes it, built once per test run and shared by the site's
// test files (build.test.ts reads the files, browser.test.ts serves them to Chromium). The
// first file to ask builds into the run's folder (test/site/global-setup.ts made it and removes
// it); a file asking meanwhile waits for the build's marker. The claim is a mkdir, which only
// one process can win, since vitest runs test files in separate workers.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    siteBuildDir: string;
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
const VITEPRESS = join(ROOT, 'node_modules/vitepress/bin/vitepress.js');
const BUILD_TIMEOUT_MS = 100_000;

/**
 * What `npm run tour` adds to the site it builds: its trace, at /tour/trace.jsonl, which the
 * "Your tour" page replays. Here two committed traces stand in for a tour, one after the other
 * (their times do not overlap, so together they are one valid trace): the registry's push and
 * pull, then the build — every diagram on the page has something to draw, early enough that
 * stepping until the picture changes stays short.
 */
function putTourTrace(out: string): void {
  const traces = join(ROOT, 'site/traces');
  const files = ['registry-push-pull.jsonl', 'build-multi-stage.jsonl'];
  const lines = files.flatMap((n) => readFileSync(join(traces, n), 'utf8').split('\n').filter(Boolean));
  const events = lines.map((l) => ({ l, t: (JSON.parse(l) as { t: number }).t })).sort((a, b) => a.t - b.t);
  mkdirSync(join(out, 'tour'), { recursive: true });
  writeFileSync(join(out, 'tour', 'trace.jsonl'), events.map((e) => e.l).join('\n') + '\n');
}

/** The built site's folder (what site/.vitepress/dist would hold), built on the first call of the run. */
export async function builtSite(): Promise<string> {
  const run = inject('siteBuildDir');
  const out = join(run, 'out');
  const done = join(run, 'done');
  const failed = join(run, 'failed');
  let claimed = true;
  try {
    mkdirSync(join(run, 'claim'));
  } catch {
    claimed = false;
  }
  if (claimed) {
    const started = Date.now();
    try {
      await promisify(execFile)(process.execPath, [VITEPRESS, 'build', 'site', '--outDir', out], {
        cwd: ROOT,
        maxBuffer: 16 << 20,
        timeout: BUILD_TIMEOUT_MS,
      });
    } catch (err) {
      writeFileSync(failed, (err as Error).message);
      throw err;
    }
    putTourTrace(out);
    writeFileSync(done, '');
    // Kept in the report: the build must stay well inside the suite's time budget.
    console.log(`vitepress build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }
  for (const deadline = Date.now() + BUILD_TIMEOUT_MS + 10_000; Date.now() < deadline; await sleep(200)) {
    if (existsSync(done)) return out;
    if (existsSync(failed)) throw new Error(`the site's build failed in another test file: ${readFileSync(failed, 'utf8')}`);
  }
  throw new Error(`the site's build in another test file did not finish within ${BUILD_TIMEOUT_MS / 1000} s`);
}
