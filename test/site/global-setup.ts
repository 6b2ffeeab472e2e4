// Once around the whole run, for the site's tests (issue 7): a temp folder where the first test
// file that needs the built site builds it (built-site.ts), and the others find it. Nothing is
// built here — a run without a site test must not pay the ~10 s build — and the folder is removed
// when the run ends, whatever the tests did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'dockling-site-run-'));
  project.provide('siteBuildDir', dir);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  // A run stopped by ^C skips its teardown; 'exit' handlers still run (synchronously).
  process.once('exit', remove);
  return () => {
    remove();
    process.off('exit', remove);
  };
}
