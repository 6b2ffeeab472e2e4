// Chapter 3 from the command line: `dockling run` (attached, -d, --rm, -i, exit codes 3 and
// 127), logs, stop, rm; then the same lifecycle driven by the real docker CLI 28.2.2 against
// our daemon. Every test removes its containers and the host must be as it was.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, api, dockling, run } from '../daemon/harness.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';

const isRoot = process.getuid?.() === 0;
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 83 });

const dk = (...args: string[]) => dockling(daemon().host, args);

describe.skipIf(!isRoot)('dockling run', () => {
  it('run --rm busybox echo hi → hi, exit 0, nothing left', async () => {
    const r = await dk('run', '--rm', 'busybox', 'echo', 'hi');
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n', stderr: '' });
    expect((await api(daemon().sock, 'GET', '/v1.50/containers/json?all=1')).json()).toEqual([]);
  });

  // Flags end at the image: what follows is the container's command, --help included (it used to
  // print run's own help). `system install --help` is install's help, not system's, the same way.
  it('a --help after the image is the command\'s; before it, run\'s', async () => {
    const theirs = await dk('run', '--rm', 'busybox', 'sh', '-c', 'echo "$1"', 'sh', '--help');
    expect(theirs).toMatchObject({ code: 0, stdout: '--help\n', stderr: '' });
    expect((await dk('run', '--help')).stdout).toContain('Usage:  dockling run [OPTIONS] IMAGE [COMMAND] [ARG...]');
    expect((await dk('system', 'install', '--help')).stdout).toContain('Usage:  dockling system install');
  });

  it('exit codes: the container\'s 3; 127 for a command not found', async () => {
    const three = await dk('run', 'busybox', 'sh', '-c', 'echo err >&2; exit 3');
    expect(three).toMatchObject({ code: 3, stdout: '', stderr: 'err\n' });
    const missing = await dk('run', '--rm', 'busybox', 'nope');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('dockling: Error response from daemon: failed to create task for container: exec: "nope": executable file not found in $PATH');
  });

  it('-i pipes stdin; -it without a terminal says so (exit 1; tty.test.ts has the terminal)', async () => {
    const r = await dockling(daemon().host, ['run', '-i', '--rm', 'busybox', 'cat'], { input: Buffer.from('piped\n') });
    expect(r).toMatchObject({ code: 0, stdout: 'piped\n' });
    const t = await dk('run', '-it', '--rm', 'busybox', 'sh');
    expect(t).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
  });

  it('-d, logs, ps, stop, rm', async () => {
    const started = await dk('run', '-d', '--name', 'bg', '-e', 'WHO=world', 'busybox', 'sh', '-c', 'echo hello $WHO; sleep 100');
    expect(started.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    await new Promise((r) => setTimeout(r, 300));
    expect((await dk('logs', 'bg')).stdout).toBe('hello world\n');
    expect((await dk('ps', '--format', '{{.Names}} {{.State}}')).stdout).toBe('bg running\n');
    expect(await dk('stop', '-t', '0', 'bg')).toMatchObject({ code: 0, stdout: 'bg\n' });
    expect((await dk('wait', 'bg')).stdout).toBe('137\n');
    expect((await dk('ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}')).stdout).toMatch(/^bg Exited \(137\) /);
    expect(await dk('rm', 'bg')).toMatchObject({ code: 0, stdout: 'bg\n' });
  });
});

const present = existsSync(DOCKER);
describe.skipIf(!isRoot || !present)('the real docker CLI', () => {
  const docker = (...args: string[]) => run(DOCKER, args, { env: { DOCKER_HOST: daemon().host, DOCKER_CONFIG: join(daemon().dir, 'docker-config') } });

  it('docker run --rm busybox echo hi; exit codes 3 and 127', async () => {
    expect(await docker('run', '--rm', 'busybox', 'echo', 'hi')).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect((await docker('run', '--rm', 'busybox', 'sh', '-c', 'exit 3')).code).toBe(3);
    const missing = await docker('run', '--rm', 'busybox', 'nope');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('docker: Error response from daemon: failed to create task for container: exec: "nope": executable file not found in $PATH');
  });

  it('docker run -v: a host directory and a named volume that outlives the container', async () => {
    const r = await docker('run', '--rm', '-v', `${daemon().dir}:/host:ro`, 'busybox', 'ls', '/host/d.sock');
    expect(r).toMatchObject({ code: 0, stdout: '/host/d.sock\n' });
    await docker('run', '--rm', '-v', 'runvol:/v', 'busybox', 'sh', '-c', 'echo kept > /v/x');
    expect(await docker('run', '--rm', '-v', 'runvol:/v', 'busybox', 'cat', '/v/x')).toMatchObject({ code: 0, stdout: 'kept\n' });
    expect(await docker('volume', 'rm', 'runvol')).toMatchObject({ code: 0, stdout: 'runvol\n' });
  });

  it('echo piped | docker run -i --rm busybox cat', async () => {
    const r = await run(DOCKER, ['run', '-i', '--rm', 'busybox', 'cat'], { input: Buffer.from('piped\n'), env: { DOCKER_HOST: daemon().host, DOCKER_CONFIG: join(daemon().dir, 'docker-config') } });
    expect(r).toMatchObject({ code: 0, stdout: 'piped\n' });
  });

  it('docker run -d, logs, ps, inspect, stop, start, kill, rm -f', async () => {
    const started = await docker('run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo up; sleep 100');
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    await new Promise((r) => setTimeout(r, 300));
    expect((await docker('logs', 'web')).stdout).toBe('up\n');
    const ps = await docker('ps');
    expect(ps.stdout).toMatch(new RegExp(`^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n${id.slice(0, 12)} +busybox +"sh -c 'echo up; sle…" +.* +Up .* +web\n$`));
    expect((await docker('inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'web')).stdout).toBe('running true\n');
    expect(await docker('stop', '-t', '1', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker('inspect', '-f', '{{.State.ExitCode}}', 'web')).stdout).toBe('137\n');
    expect(await docker('start', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect(await docker('kill', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    const notRunning = await docker('kill', 'web');
    expect(notRunning).toMatchObject({ code: 1, stderr: `Error response from daemon: cannot kill container: web: container ${id} is not running\n` });
    await docker('start', 'web');
    const refused = await docker('rm', 'web');
    expect(refused).toMatchObject({ code: 1, stderr: 'Error response from daemon: cannot remove container "/web": container is running: stop the container before removing or force remove\n' });
    expect(await docker('rm', '-f', 'web')).toMatchObject({ code: 0, stdout: 'web\n' });
    expect((await docker('ps', '-aq')).stdout).toBe('');
  });
});
