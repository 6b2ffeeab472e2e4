// The processes behind `npm run traces` (record.ts): a real `dockling daemon` with its own data
// root, bridge and subnet; the `dockling` CLI run against it in a scenario's directory, as a
// reader would type it there; a `dockling registry` on a free loopback port when a scenario needs
// one. Each process is stopped by its pid; what is made is registered in a Cleanup the moment it
// is made and released in reverse order (STYLE.md habit 10).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: this file runs as dist/test/traces/session.js. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/engine/cli/main.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Releases run in reverse order of acquisition; one failing does not stop the others. */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<void> | void }> = [];
  add(what: string, fn: () => Promise<void> | void): void {
    this.steps.push({ what, fn });
  }
  /** Runs every release; returns what failed, one line each. */
  async run(): Promise<string[]> {
    const failed: string[] = [];
    for (const { what, fn } of this.steps.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        failed.push(`${what}: ${(err as Error).message}`);
      }
    }
    return failed;
  }
}

/** A child process that can be stopped by its pid: SIGTERM, then SIGKILL after `graceMs`. */
function stoppable(child: ChildProcess, graceMs: number): () => Promise<void> {
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}

/** Polls `ready` every 50 ms until it answers true; fails with the process's last output. */
async function waitFor(what: string, child: ChildProcess, log: () => string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited early (${child.exitCode}):\n${log()}`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up in 20 s:\n${log()}`);
    await sleep(50);
  }
}

function keepTail(child: ChildProcess): () => string {
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => log;
}

export interface Daemon {
  pid: number;
  dataRoot: string;
  /** Where the daemon appends its trace: what the recorder slices scenarios out of. */
  traceFile: string;
  /** The environment a `dockling` command needs to reach this daemon, and no one's credentials. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((r) => {
    const req = request({ socketPath: sock, path: '/_ping' }, (res) => {
      res.resume();
      r(res.statusCode === 200);
    });
    req.on('error', () => r(false));
    req.end();
  });
}

/** `dockling daemon` in `dir`: its data root, socket, an empty daemon.json and a docker config. */
export async function startDaemon(a: { dir: string; netArgs: string[] }): Promise<Daemon> {
  const dataRoot = join(a.dir, 'root');
  const sock = join(a.dir, 'd.sock');
  mkdirSync(join(a.dir, 'docker-config'), { recursive: true });
  writeFileSync(join(a.dir, 'daemon.json'), '{}\n'); // not the host's /etc/docker/daemon.json
  const argv = [MAIN, 'daemon', '--data-root', dataRoot, '-H', `unix://${sock}`, '--config-file', join(a.dir, 'daemon.json'), ...a.netArgs];
  // A process group of its own: a ^C at the terminal reaches the recorder, which cleans up, and
  // not the daemon, which must still be there to remove the containers.
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = keepTail(child);
  const stop = stoppable(child, 10_000);
  try {
    await waitFor('dockling daemon', child, log, async () => existsSync(sock) && (await ping(sock)));
  } catch (err) {
    await stop();
    throw err;
  }
  const env = { DOCKLING_HOST: `unix://${sock}`, DOCKER_CONFIG: join(a.dir, 'docker-config') };
  return { pid: child.pid!, dataRoot, traceFile: join(dataRoot, 'trace', 'events.jsonl'), env, stop };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `dockling ARGS` in `cwd`, as a reader would run it there. */
export function dockling(a: { args: string[]; cwd: string; env: Record<string, string> }): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, ...a.args], { cwd: a.cwd, env: { ...process.env, ...a.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? -1, stdout, stderr: signal ? `${stderr}(killed by ${signal})` : stderr }));
  });
}

/** A loopback port no one listens on now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

export interface Registry {
  pid: number;
  /** HOST:PORT, as image references name it. */
  address: string;
  /** The registry's own trace (`--trace`): the server side of a push and a pull. */
  traceFile: string;
  stop(): Promise<void>;
}

/** `dockling registry` on 127.0.0.1:`port`, storing in `dataRoot` (a directory of `cwd`), traced. */
export async function startRegistry(a: { port: number; cwd: string; dataRoot: string; traceFile: string }): Promise<Registry> {
  const address = `127.0.0.1:${a.port}`;
  const argv = [MAIN, 'registry', '--listen', address, '--data-root', a.dataRoot, '--trace', a.traceFile];
  const child = spawn(process.execPath, argv, { cwd: a.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true }); // as the daemon
  const log = keepTail(child);
  const stop = stoppable(child, 5_000);
  const answers = () => fetch(`http://${address}/v2/`).then((r) => r.ok, () => false);
  try {
    await waitFor('dockling registry', child, log, answers);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, address, traceFile: resolve(a.cwd, a.traceFile), stop };
}
