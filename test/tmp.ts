// Temporary directories for tests: each is made under the system temp dir and removed after
// the test file has run (test/setup.ts registers the hook), failing tests included, so a run
// leaves /tmp as it found it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0).reverse()) await rm(dir, { recursive: true, force: true });
}
