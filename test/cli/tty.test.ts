// Chapter 3, terminals: `run -it`, `start -a`/`attach` of a TTY container, the resize endpoint,
// a TTY container outliving a SIGKILLed daemon (the shim holds the pty master), and `exec -it`
// (a terminal of the exec's own, made by dockling-pty in the container). The CLIs run under a
// real pseudo-terminal made by util-linux `script` (see pty-session.ts). Every test removes its
// containers; the host must be as it was.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, MAIN, api, dockling, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/runtime-leftovers.js';
import { ptySession, type PtySession } from './pty-session.js';

const isRoot = process.getuid?.() === 0;
const hasScript = existsSync('/usr/bin/script');
const net = bridgeArgs(85);
let d: RunningDaemon;
const parentsBefore = cgroupParents();

beforeAll(async () => {
  if (!isRoot || !hasScript) return;
  d = await startDaemon({ args: net.args });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
});

afterEach(async () => {
  if (!isRoot || !hasScript) return;
  const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
  for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
  expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

const dk = (...args: string[]) => dockling(d.host, args);
const cli = () => `${process.execPath} ${MAIN} -H ${d.host}`;
/** busybox's prompt, maybe followed by its cursor query (ESC [6n) or clear-to-end (ESC [J). */
const PROMPT = /\/ # (\x1b\[6n|\x1b\[J)*$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The session's exit code, or a failure that shows what its terminal showed: a CLI that never
 * exits must fail the test, not hang it (and is killed, so the run leaves no process behind).
 */
function exitOf(s: PtySession, ms = 15_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new Error(`the session did not exit within ${ms} ms; its terminal showed ${JSON.stringify(s.output())}`));
    }, ms);
  });
  return Promise.race([s.exit, late]).finally(() => clearTimeout(timer));
}

/**
 * The terminal the session's command runs on (script's slave, /dev/pts/N of the host): script's
 * child, the shell running the command, has it as stdin. Resizing it is what a window does.
 */
function terminalOf(s: PtySession): string {
  const [shell] = readFileSync(`/proc/${s.child.pid}/task/${s.child.pid}/children`, 'utf8').trim().split(' ');
  return readlinkSync(`/proc/${shell}/fd/0`);
}

/**
 * `CLI -it C sh` that prints its size at start and at each SIGWINCH: the session's terminal is
 * resized (as a window is), the CLI must pass it on; then ^C, typed, must end it as SIGINT.
 */
async function resizedExec(execIt: string): Promise<void> {
  const s = ptySession(`${execIt} sh -c 'trap "stty size" WINCH; stty size; while :; do sleep 0.1; done'`);
  await s.waitFor(/30 100\r\n/);
  execFileSync('stty', ['-F', terminalOf(s), 'rows', '40', 'cols', '120']); // SIGWINCH for the CLI
  await s.waitFor(/40 120\r\n/);
  s.type('\x03');
  expect(await exitOf(s)).toBe(130);
  expect(s.output()).toMatch(/^30 100\r\n40 120\r\n\^C$/);
}

/** The container's log as `logs` prints it, polled until `pattern` shows up. */
async function logsUntil(id: string, pattern: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 60 && !pattern.test(text); i++) {
    text = (await dk('logs', id)).stdout;
    if (!pattern.test(text)) await sleep(100);
  }
  return text;
}

/** Types into an interactive busybox sh: `tty`, `stty size`, arithmetic, exit. */
async function shellSession(cmd: string): Promise<{ code: number; out: string }> {
  const s = ptySession(cmd);
  await s.waitFor(PROMPT);
  // The CLI sends our size right after start (a container created without a terminal has none
  // until then); the shell's prompt can come first, so let that request land before asking.
  await sleep(800);
  const mark = s.output().length;
  s.type('tty; stty size\r');
  await s.waitFor(/\d+ \d+\r\n\/ # /, { from: mark });
  s.type('echo $((6*7)); exit\r');
  const code = await exitOf(s);
  return { code, out: s.output() };
}

describe.skipIf(!isRoot || !hasScript)('dockling with a terminal (-t)', () => {
  it('run -it --rm busybox sh: tty is /dev/console (the slave), stty size is ours (30 100), 6*7 is 42, exit 0', async () => {
    const { code, out } = await shellSession(`${cli()} run -it --rm busybox sh`);
    expect(code).toBe(0);
    expect(out).toMatch(/\r\n\/dev\/console\r\n30 100\r\n/); // the slave, bound on /dev/console (planner.ts)
    expect(out).toContain('\r\n42\r\n');
    expect((await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json()).toEqual([]);
  });

  it('-it without a terminal: "the input device is not a TTY", exit 1; -t alone works (raw output)', async () => {
    const it1 = await dockling(d.host, ['run', '-it', '--rm', 'busybox', 'sh'], { input: Buffer.from('exit\n') });
    expect(it1).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
    const t = await dk('run', '-t', '--rm', 'busybox', 'echo', 'hi');
    expect(t).toMatchObject({ code: 0, stdout: 'hi\r\n' }); // the container's terminal turns \n into \r\n
  });

  it('resize?h=30&w=100 reaches the container as SIGWINCH and a new size; logs of a TTY are raw stdout', async () => {
    const r = await dk('run', '-dt', '--name', 'winch', 'busybox', 'sh', '-c', 'trap "stty size" WINCH; echo ready; while :; do sleep 0.1; done');
    expect(r.code).toBe(0);
    expect(await logsUntil('winch', /ready/)).toBe('ready\r\n');
    expect((await api(d.sock, 'POST', '/v1.50/containers/winch/resize?h=30&w=100')).status).toBe(200);
    expect(await logsUntil('winch', /30 100/)).toBe('ready\r\n30 100\r\n');
    expect((await api(d.sock, 'POST', '/v1.50/containers/winch/resize?h=x&w=100')).status).toBe(400);
    const inspect = (await api(d.sock, 'GET', '/v1.50/containers/winch/json')).json() as { Config: { Tty: boolean } };
    expect(inspect.Config.Tty).toBe(true);
  });

  it('stop of a TTY container: 137, and unshare\'s complaint (on the terminal, so stdout) is not in its logs', async () => {
    expect(await dk('run', '-dt', '--name', 'stopped', 'busybox', 'sh', '-c', 'echo up; sleep 100')).toMatchObject({ code: 0 });
    await logsUntil('stopped', /up/);
    expect(await dk('stop', '-t', '0', 'stopped')).toMatchObject({ code: 0 });
    expect((await dk('wait', 'stopped')).stdout).toBe('137\n');
    expect((await dk('logs', 'stopped')).stdout).toBe('up\r\n');
  });

  // `attach` ends with POST /wait?condition=not-running, sent as the container exits: it used to
  // hang now and then (the supervisor's wait looked at state.json, then registered — an exit
  // recorded in between was lost; see test/namespaces/supervisor-wait.test.ts).
  it('start -ai and attach of a TTY container', async () => {
    const created = await dk('create', '-it', '--name', 'later', 'busybox', 'sh');
    expect(created.code).toBe(0);
    const { code, out } = await shellSession(`${cli()} start -ai later`);
    expect(code).toBe(0);
    expect(out).toContain('\r\n42\r\n');
    expect(await dk('run', '-dit', '--name', 'again', 'busybox', 'sh')).toMatchObject({ code: 0 });
    const s = ptySession(`${cli()} attach again`);
    await sleep(500); // attach shows output from now on: type Enter for a fresh prompt
    s.type('\r');
    await s.waitFor(PROMPT);
    s.type('stty size; exit 3\r');
    await s.waitFor(/30 100\r\n/);
    expect(await exitOf(s)).toBe(3);
  });
});

describe.skipIf(!isRoot || !hasScript)('exec with a terminal (-t)', () => {
  it('exec -it C sh: the exec\'s own /dev/pts/0 (the container has none), our size (30 100), 42, exit 0', async () => {
    expect(await dk('run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000')).toMatchObject({ code: 0 });
    const { code, out } = await shellSession(`${cli()} exec -it plain sh`);
    expect(code).toBe(0);
    expect(out).toMatch(/\r\n\/dev\/pts\/0\r\n30 100\r\n/);
    expect(out).toContain('\r\n42\r\n');
  });

  it('exec -it: our terminal resized reaches the exec (SIGWINCH, new size); ^C there is its SIGINT (130)', async () => {
    expect(await dk('run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000')).toMatchObject({ code: 0 });
    await resizedExec(`${cli()} exec -it plain`);
  });
});

describe.skipIf(!isRoot || !hasScript)('a TTY container and the daemon\'s death', () => {
  it('run -dit survives a daemon SIGKILL: still running, still logged, resizable and attachable after restart', async () => {
    const started = await dk('run', '-dit', '--name', 'survivor', 'busybox', 'sh', '-c', 'trap "stty size" WINCH; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done');
    expect(started.code).toBe(0);
    expect(await logsUntil('survivor', /tick 1\r\n/)).toMatch(/^tick 0\r\ntick 1\r\n/);
    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    await sleep(600); // ticks while no daemon is looking
    d = await startDaemon({ dir: d.dir, args: net.args });
    const state = (await api(d.sock, 'GET', '/v1.50/containers/survivor/json')).json() as { State: { Running: boolean } };
    expect(state.State.Running).toBe(true);
    const before = (await dk('logs', 'survivor')).stdout.split('\n').length;
    expect(before).toBeGreaterThan(4);
    expect((await api(d.sock, 'POST', '/v1.50/containers/survivor/resize?h=25&w=81')).status).toBe(200);
    expect(await logsUntil('survivor', /25 81\r\n/)).toContain('25 81\r\n');
    const s = ptySession(`${cli()} attach survivor`);
    await s.waitFor(/tick \d+\r\n/, { from: s.output().length });
    s.type('\x03'); // ^C through the terminal: SIGINT for the foreground process group
    expect(await exitOf(s)).toBe(130);
  });
});

const hasDocker = existsSync(DOCKER);
describe.skipIf(!isRoot || !hasScript || !hasDocker)('the real docker CLI with a terminal', () => {
  it('docker run -it --rm busybox sh: 42, /dev/console, 30 100, exit 0', async () => {
    const env = `DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')}`;
    const { code, out } = await shellSession(`env ${env} ${DOCKER} run -it --rm busybox sh`);
    expect(code).toBe(0);
    expect(out).toMatch(/\r\n\/dev\/console\r\n30 100\r\n/); // the slave, bound on /dev/console (planner.ts)
    expect(out).toContain('\r\n42\r\n');
  });

  it('docker exec -it C sh: /dev/pts/0, 30 100, 42, exit 0; resized with our terminal; ^C is 130', async () => {
    const env = `DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')}`;
    expect(await dk('run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000')).toMatchObject({ code: 0 });
    const { code, out } = await shellSession(`env ${env} ${DOCKER} exec -it plain sh`);
    expect(code).toBe(0);
    expect(out).toMatch(/\r\n\/dev\/pts\/0\r\n30 100\r\n/);
    expect(out).toContain('\r\n42\r\n');
    await resizedExec(`env ${env} ${DOCKER} exec -it plain`);
  });
});
