// The real docker CLI's classic builder against the daemon (`DOCKER_BUILDKIT=0 docker build`):
// it packs the context, POSTs /build with X-Registry-Config, draws the stream, and exits with a
// failed RUN's status — all of which our daemon must answer the way dockerd does.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, api, run } from '../daemon/harness.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';
import { tempDir } from '../tmp.js';

const isRoot = process.getuid?.() === 0;
const present = existsSync(DOCKER);
if (!present) console.log(`skipping the docker CLI build tests: ${DOCKER} is not installed`);
const enabled = isRoot && present;
const { daemon } = useRuntimeDaemon({ enabled, third: 97 });

async function context(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('dkl-dockerbuild-');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

const docker = async (...args: string[]) => {
  const config = await tempDir('dkl-dockerbuild-config-');
  return run(DOCKER, args, { env: { DOCKER_HOST: daemon().host, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0' } });
};

describe.skipIf(!enabled)('DOCKER_BUILDKIT=0 docker build against dockling', () => {
  it('builds, prints the classic steps, tags, and the image runs', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /copy.txt\nCMD ["cat", "/copy.txt"]\n', 'hello.txt': 'hello from docker build\n' });
    const r = await docker('build', '-t', 'fromdocker:1', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sending build context to Docker daemon/);
    expect(r.stdout).toContain('Step 1/4 : FROM busybox\n');
    expect(r.stdout).toContain('Step 3/4 : RUN cat /hello.txt > /copy.txt\n');
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged fromdocker:1\n/);
    const out = await docker('run', '--rm', '--network', 'none', 'fromdocker:1');
    expect(out.stdout).toBe('hello from docker build\n');
    // -q prints the ID alone
    const q = await docker('build', '-q', dir);
    expect(q.code).toBe(0);
    const id = (await api(daemon().sock, 'GET', '/v1.50/images/fromdocker:1/json')).json().Id as string;
    expect(q.stdout.trim()).toBe(id);
  });

  it('a failing RUN: the message on stderr and its exit status as docker\'s', async () => {
    const r = await docker('build', await context({ Dockerfile: 'FROM busybox\nRUN exit 7\n' }));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("The command '/bin/sh -c exit 7' returned a non-zero code: 7");
  });

  it('build args reach RUN', async () => {
    const r = await docker('build', '--build-arg', 'WHO=docker', '-t', 'fromdocker:args', await context({ Dockerfile: 'FROM busybox\nARG WHO=nobody\nRUN echo "hi $WHO" > /who\n' }));
    expect(r.code, r.stderr).toBe(0);
    expect((await docker('run', '--rm', '--network', 'none', 'fromdocker:args', 'cat', '/who')).stdout).toBe('hi docker\n');
  });
});
