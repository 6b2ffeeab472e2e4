// Chapter 3's exec, top, pause/unpause and stats from the command line: `dockling` and the
// real docker CLI 28.2.2 against our daemon. Every test removes its containers and the host
// must be as it was.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, api, dockling, run } from '../daemon/harness.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 86 });

const dk = (...args: string[]) => dockling(daemon().host, args);
const TOP_TITLES = /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD\n/;
const STATS_TITLES = /^CONTAINER ID {3}NAME {6}CPU % {5}MEM USAGE \/ LIMIT {3}MEM % {5}NET I\/O {3}BLOCK I\/O {3}PIDS\n/;

describe.skipIf(!isRoot)('dockling exec, top, pause, stats', () => {
  it('exec: ls, exit 7, -i, -e -u -w, -d, -t (raw, the container\'s /dev/pts), -it without a terminal refused, a stopped container', async () => {
    await dk('run', '-d', '--name', 'web', 'busybox', 'sleep', '100');
    expect((await dk('exec', 'web', 'ls', '/')).stdout).toContain('bin\ndev\netc\n');
    expect((await dk('exec', 'web', 'sh', '-c', 'exit 7')).code).toBe(7);
    expect(await dockling(daemon().host, ['exec', '-i', 'web', 'cat'], { input: Buffer.from('x\n') })).toMatchObject({ code: 0, stdout: 'x\n' });
    expect((await dk('exec', '-e', 'A=1', '-u', 'nobody', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A $(id -u) $(pwd)')).stdout).toBe('1 65534 /tmp\n');
    expect(await dk('exec', '-d', 'web', 'sleep', '1')).toMatchObject({ code: 0, stdout: '' });
    // -t without -i: a terminal for the process, its output raw (\r\n is the terminal's)
    expect(await dk('exec', '-t', 'web', 'sh', '-c', 'tty; exit 4')).toMatchObject({ code: 4, stdout: '/dev/pts/0\r\n' });
    expect(await dockling(daemon().host, ['exec', '-it', 'web', 'cat'], { input: Buffer.from('x\n') })).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
    const id = (await dk('inspect', '-f', '{{.Id}}', 'web')).stdout.trim();
    await dk('stop', '-t', '0', 'web');
    expect(await dk('exec', 'web', 'ls')).toMatchObject({ code: 1, stderr: `Error response from daemon: container ${id} is not running\n` });
  });

  it('top, pause (ps shows Paused), unpause, stats --no-stream', async () => {
    await dk('run', '-d', '--name', 'web', 'busybox', 'sleep', '100');
    const top = await dk('top', 'web');
    expect(top.stdout).toMatch(TOP_TITLES);
    expect(top.stdout).toMatch(/ sleep 100\n$/);
    expect(await dk('pause', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await dk('ps', '--format', '{{.Status}}')).stdout).toMatch(/^Up .* \(Paused\)\n$/);
    expect(await dk('unpause', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    const stats = await dk('stats', '--no-stream', 'web');
    expect(stats.stdout).toMatch(STATS_TITLES);
    expect(stats.stdout).toMatch(/\n[0-9a-f]{12} {3}web {7}\d+\.\d\d% +\S+ \/ \S+ +\d+\.\d\d% +0B \/ 0B +0B \/ 0B +\d+\n$/);
  });
});

const present = existsSync(DOCKER);
describe.skipIf(!isRoot || !present)('the real docker CLI: exec, top, pause, stats', () => {
  const env = () => ({ DOCKER_HOST: daemon().host, DOCKER_CONFIG: join(daemon().dir, 'docker-config') });
  const docker = (...args: string[]) => run(DOCKER, args, { env: env() });

  it('docker exec: ls /, exit 7, -i, -t, -it without a terminal refused, a stopped container', async () => {
    await docker('run', '-d', '--name', 'web', 'busybox', 'sleep', '100');
    const ls = await docker('exec', 'web', 'ls', '/');
    expect(ls).toMatchObject({ code: 0, stderr: '' });
    expect(ls.stdout).toContain('bin\ndev\netc\n');
    expect((await docker('exec', 'web', 'sh', '-c', 'exit 7')).code).toBe(7);
    expect(await run(DOCKER, ['exec', '-i', 'web', 'cat'], { input: Buffer.from('x\n'), env: env() })).toMatchObject({ code: 0, stdout: 'x\n' });
    expect((await docker('exec', '-u', 'nobody', 'web', 'id', '-u')).stdout).toBe('65534\n');
    expect(await docker('exec', '-t', 'web', 'sh', '-c', 'tty; exit 4')).toMatchObject({ code: 4, stdout: '/dev/pts/0\r\n' });
    expect(await run(DOCKER, ['exec', '-it', 'web', 'cat'], { input: Buffer.from('x\n'), env: env() })).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
    const id = (await docker('inspect', '-f', '{{.Id}}', 'web')).stdout.trim();
    await docker('stop', '-t', '0', 'web');
    expect(await docker('exec', 'web', 'ls')).toMatchObject({ code: 1, stderr: `Error response from daemon: container ${id} is not running\n` });
  });

  it('docker top, pause (ps: Paused), unpause, stats --no-stream', async () => {
    await docker('run', '-d', '--name', 'web', 'busybox', 'sleep', '100');
    const top = await docker('top', 'web');
    expect(top.stdout).toMatch(TOP_TITLES);
    expect(top.stdout).toMatch(/\nroot +\d+ +\d+ +\d+ +\S+ +\? +\d\d:\d\d:\d\d +sleep 100\n$/);
    expect(await docker('pause', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker('ps')).stdout).toMatch(/Up .* \(Paused\) +web\n$/);
    expect((await docker('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'web')).stdout).toBe('paused true\n');
    expect(await docker('unpause', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker('ps', '--format', '{{.Status}}')).stdout).not.toContain('Paused');
    const stats = await docker('stats', '--no-stream', 'web');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(STATS_TITLES);
    expect(stats.stdout).toMatch(/\n[0-9a-f]{12} {3}web {7}\d+\.\d\d% +\S+ \/ \S+ +\d+\.\d\d% +0B \/ 0B +0B \/ 0B +\d+\n$/);
  });
});
