// Runs a chapter page's "Try it" blocks (try-it.ts) for real, the way a reader would: a fresh
// `dockling daemon` of its own (data root and socket in a temporary directory, its own bridge),
// the offline base image made first, then every command of every block in order, in one scratch
// directory, with `dockling` on the PATH. `localhost:5000` — where the chapters put a registry —
// becomes a free loopback port of the same width. Afterwards the containers, the daemon and
// what it made (mounts, cgroups, the bridge) are taken away.
//
//   node dist/test/chapters/try-it-run.js chapters/2-union-fs.md [more pages…]   (as root)
//
// Runs on this machine take turns (a lock in the temporary directory): each page's daemon uses
// the same subnet.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAIN, api, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { bridgeArgs, cgroupParents, leftovers, removeCgroupParents, NOTHING } from '../daemon/host-leftovers.js';
import { matchOutput, parseTryIt, type TryBlock, type TryCommand } from './try-it.js';

/** The third octet of the pages' daemons (one at a time): 102 is no other test's. */
export const TRY_IT_OCTET = 102;
const COMMAND_TIMEOUT_MS = 120_000;
export const READERS_REGISTRY = 'localhost:5000';

export interface CommandResult {
  block: TryBlock;
  command: TryCommand;
  /** What it printed (stdout and stderr as they came). */
  output: string;
  status: number | null;
  /** Null when it did what the page says. */
  failure: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free loopback port of four digits, so that a table printed with it keeps its columns. */
async function freeFourDigitPort(): Promise<number> {
  for (;;) {
    const port = 5001 + Math.floor(Math.random() * 4998);
    const free = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
    });
    if (free) return port;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((r) => {
    const c = createConnection({ host: 'localhost', port });
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

/** Runs one command as the reader's shell would, stderr into stdout; null status when killed. */
function runCommand(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ output: string; status: number | null }> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', ['-c', `exec 2>&1\n${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[killed after ${COMMAND_TIMEOUT_MS / 1000} s]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, COMMAND_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ output, status: code });
    });
  });
}

/**
 * One page at a time on this machine: two daemons on one subnet would fight over its routes. A
 * directory made with mkdir (atomic) holds the owner's pid; one whose owner is gone is taken over.
 */
async function takeOctetLock(): Promise<() => void> {
  const dir = join(tmpdir(), `dockling-try-it-${TRY_IT_OCTET}.lock`);
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Its pid, once written (a lock a moment old may not have it yet: alive until shown otherwise).
      const owner = Number(readFileSync(join(dir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive = owner > 0 || Date.now() - statSync(dir).mtimeMs < 5000;
      try {
        if (owner > 0) process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(dir, { recursive: true, force: true });
      else await sleep(200);
    }
  }
}

/** What one page needs while it runs: its daemon, its scratch directory, its background jobs. */
class PageRun {
  private readonly background: ChildProcess[] = [];
  private constructor(readonly daemon: RunningDaemon, readonly bridge: string, readonly dir: string, readonly env: NodeJS.ProcessEnv, readonly port: number, private readonly parentsBefore: string[]) {}

  static async start(): Promise<PageRun> {
    const parentsBefore = cgroupParents();
    const net = bridgeArgs(TRY_IT_OCTET);
    const daemon = await startDaemon({ args: net.args });
    try {
      const made = await api(daemon.sock, 'POST', '/dockling/base-image');
      if (made.status !== 201) throw new Error(`the base image: ${made.status} ${made.text}`);
      const dir = await mkdtemp(join(tmpdir(), 'dockling-try-it-'));
      const bin = join(dir, '.bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'dockling'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} "$@"\n`);
      chmodSync(join(bin, 'dockling'), 0o755);
      const work = join(dir, 'work');
      mkdirSync(work);
      const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, DOCKLING_HOST: daemon.host, DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(dir, '.docker'), HOME: dir };
      return new PageRun(daemon, net.bridge, work, env, await freeFourDigitPort(), parentsBefore);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }

  /** `localhost:5000` → this page's registry port, in a command or an expected line. */
  local(text: string): string {
    return text.replaceAll(READERS_REGISTRY, `localhost:${this.port}`);
  }

  async run(block: TryBlock, c: TryCommand): Promise<CommandResult> {
    const command = this.local(c.command);
    if (c.background) {
      const child = spawn('bash', ['-c', `exec ${command}`], { cwd: this.dir, env: this.env, stdio: 'ignore', detached: true });
      this.background.push(child);
      // A server it starts on the page's port is waited for; anything else gets a moment.
      if (command.includes(`:${this.port}`)) {
        const deadline = Date.now() + 15_000;
        while (!(await portAnswers(this.port))) {
          if (child.exitCode !== null || Date.now() > deadline) return { block, command: c, output: '', status: child.exitCode, failure: `the background command did not start listening on port ${this.port}` };
          await sleep(50);
        }
      } else await sleep(500);
      return { block, command: c, output: '', status: null, failure: null };
    }
    const { output, status } = await runCommand(command, this.env, this.dir);
    let failure: string | null = null;
    if (status !== c.exit) failure = `exited ${status ?? 'by a signal'}, the page says ${c.exit}`;
    else if (c.expected) {
      const m = matchOutput(c.expected.map((l) => this.local(l)), output);
      if (!m.ok) failure = m.why;
    }
    return { block, command: c, output, status, failure };
  }

  /** Background jobs, containers, the daemon, the scratch directory; then the host is checked. */
  async stop(): Promise<void> {
    for (const child of this.background) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await sleep(this.background.length ? 300 : 0);
    const list = await api(this.daemon.sock, 'GET', '/containers/json?all=1').then((r) => r.json() as Array<{ Id: string }>, () => []);
    for (const c of list) await api(this.daemon.sock, 'DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
    const dataRoot = this.daemon.dataRoot;
    await this.daemon.stop();
    removeCgroupParents(this.parentsBefore);
    await rm(resolve(this.dir, '..'), { recursive: true, force: true });
    const left = leftovers({ dataRoot, bridge: this.bridge, containerIds: list.map((c) => c.Id) });
    if (JSON.stringify(left) !== JSON.stringify(NOTHING)) throw new Error(`the page left things behind: ${JSON.stringify(left)}`);
  }
}

/** Every command of every block of the page at `path`, in order; stops at the first failure. */
export async function runPage(path: string, onResult: (r: CommandResult) => void = () => {}): Promise<CommandResult[]> {
  const blocks = parseTryIt(basename(path), readFileSync(path, 'utf8'));
  const results: CommandResult[] = [];
  if (blocks.length === 0) return results;
  const unlock = await takeOctetLock();
  let page: PageRun;
  try {
    page = await PageRun.start();
  } catch (err) {
    unlock();
    throw err;
  }
  try {
    for (const block of blocks) {
      for (const c of block.commands) {
        const r = await page.run(block, c);
        results.push(r);
        onResult(r);
        if (r.failure) return results;
      }
    }
  } finally {
    await page.stop().finally(unlock);
  }
  return results;
}

/** How a result reads in a report: where, the command, and what went wrong. */
export function describeResult(r: CommandResult): string {
  const head = `${r.block.page}:${r.command.line}: $ ${r.command.command.split('\n')[0]}`;
  return r.failure ? `FAIL ${head}\n  ${r.failure}\n  output:\n${r.output.split('\n').map((l) => `    | ${l}`).join('\n')}` : `ok   ${head}`;
}

async function main(): Promise<void> {
  const pages = process.argv.slice(2);
  if (pages.length === 0) throw new Error('usage: node dist/test/chapters/try-it-run.js chapters/PAGE.md …');
  if (process.getuid?.() !== 0) throw new Error('the try-it blocks run the engine for real: run as root');
  let failed = 0;
  for (const page of pages) {
    const results = await runPage(page, (r) => console.log(describeResult(r)));
    if (results.some((r) => r.failure)) failed++;
    console.log(`${page}: ${results.filter((r) => !r.failure).length} command(s) as the page says${results.some((r) => r.failure) ? ', then a failure' : ''}`);
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
