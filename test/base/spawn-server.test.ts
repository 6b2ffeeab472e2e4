// The daemon's fork server (engine/daemon/dockling-spawn.c) through its client: what a command
// prints and how it ends come back exactly as child_process would report them, many at once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SpawnServer } from '../../engine/base/spawn-server.js';

const BINARY = fileURLToPath(new URL('../../dist/engine/daemon/dockling-spawn', import.meta.url));
const built = existsSync(BINARY);
if (!built) console.warn(`skipping the fork server: ${BINARY} is not built (npm run build)`);

describe.skipIf(!built)('SpawnServer', () => {
  const server = new SpawnServer(BINARY);
  afterAll(() => server.close());

  it('returns the exit status, stdout and stderr apart', async () => {
    const r = await server.run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(r.status).toBe(3);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('runs in the directory asked for, with exactly the environment given, and feeds stdin', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
    const r = await server.run({ argv: ['sh', '-c', 'pwd; echo "$ONLY|$HOME"; cat'], cwd: dir, env: { ONLY: 'yes', PATH: '/usr/bin:/bin' }, input: 'from stdin\n' });
    expect(r.stdout.toString()).toBe(`${dir}\nyes|\nfrom stdin\n`);
  });

  it('reports a death by signal as 128 + N', async () => {
    expect((await server.run({ argv: ['sh', '-c', 'kill -KILL $$'] })).status).toBe(137);
  });

  it('rejects with COMMAND_NOT_FOUND when the program does not exist', async () => {
    await expect(server.run({ argv: ['/nonexistent/program'] })).rejects.toMatchObject({ code: 'COMMAND_NOT_FOUND' });
  });

  it('runs many at once and matches each reply to its request (large outputs too)', async () => {
    const runs = Array.from({ length: 40 }, (_, i) => server.run({ argv: ['sh', '-c', `sleep 0.0${i % 5}; head -c ${i * 5000} /dev/zero | tr '\\0' x; echo; echo ${i}`] }));
    const replies = await Promise.all(runs);
    replies.forEach((r, i) => {
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toBe(`${'x'.repeat(i * 5000)}\n${i}\n`);
    });
  });

  it('starts a new helper when the old one died', async () => {
    const first = await server.run({ argv: ['true'] });
    expect(first.status).toBe(0);
    // find and kill our helper: it is the only dockling-spawn child of this process
    const { execFileSync } = await import('node:child_process');
    const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'dockling-spawn']).toString().trim().split('\n').map(Number);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect((await server.run({ argv: ['sh', '-c', 'echo again'] })).stdout.toString()).toBe('again\n');
  });
});
