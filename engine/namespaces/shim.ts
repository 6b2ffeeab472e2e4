// The daemon's half of dockling-shim (chapter 3): start a shim for a container, read the files it
// writes in the container's state directory, wait for its exit file. The shim itself (see
// dockling-shim.c) is a small static C program, because it has to outlive the daemon and cost
// almost nothing while it waits: a Node process per container would cost ~40 MiB each.
import { closeSync, constants, existsSync, openSync, readFileSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { EngineError, internal, run } from '../base/index.js';
import type { Span } from '../trace/index.js';

/** DIR/exit, as the shim writes it. `error` is ours: set when the shim died without writing one. */
export interface ExitRecord {
  code: number;
  signal: number;
  oomKilled: boolean;
  finishedAt: string;
  error?: string;
}

/** A terminal's size in character cells, as Docker's ConsoleSize [rows, cols] and resize?h=&w=. */
export interface TerminalSize {
  rows: number;
  cols: number;
}

/** DIR/start.json: both pids and their /proc start times (field 22, clock ticks since boot). */
export interface ShimStart {
  shimPid: number;
  shimStart: number;
  pid: number;
  pidStart: number;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUILD_HINT = 'build it with `cc -static -Os -Wall -o dist/engine/namespaces/dockling-shim engine/namespaces/dockling-shim.c` (Debian: apt-get install gcc libc6-dev)';

/**
 * Where the compiled shim is: next to this module once compiled (dist/engine/namespaces/), or,
 * when this file runs from source (tests), in dist/ beside the source tree.
 */
export function shimBinaryPath(): string {
  const candidates = [
    fileURLToPath(new URL('./dockling-shim', import.meta.url)),
    fileURLToPath(new URL('../../dist/engine/namespaces/dockling-shim', import.meta.url)),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new EngineError({
    code: 'SHIM_NOT_BUILT', kind: 'failed-precondition',
    message: `dockling-shim is not built (looked at ${candidates.join(', ')}): ${BUILD_HINT}`,
    data: { candidates },
  });
}

export interface StartShimOptions {
  /** The container's state directory: the shim writes pid, start.json, container.log, exit here. */
  stateDir: string;
  /** The container command, e.g. the runtime's `unshare … sh -c recipe`. */
  argv: string[];
  /** Make DIR/stdin, a FIFO relayed to the container's stdin (`docker run -i`). */
  stdin?: boolean;
  /** Give the container a pseudo-terminal (`docker run -t`) of this size (0 × 0: the kernel's default). */
  tty?: TerminalSize;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  span?: Span;
  /** ARGV reports on fd 3 whether the container's command started (dockling-init does): the
   *  shim then says "ok" only once it has, and passes on the reason when it has not. */
  ready?: boolean;
  /** A mount point the shim unmounts when the container has exited (its root filesystem). */
  unmountAtExit?: string;
  /** How long the shim may take to report that the container runs. */
  timeoutMs?: number;
  binary?: string;
}

// #region start-shim
/**
 * Starts a shim and resolves once the container runs. The shim forks twice in effect: the
 * process we spawn (the launcher) exits as soon as the detached shim reports "ok" — or copies
 * the shim's error to its stderr and exits 1 — so the daemon learns about a failed exec here,
 * synchronously, and keeps no child of its own.
 */
export async function startShim(opts: StartShimOptions): Promise<ShimStart & { notStarted?: string }> {
  const stateDir = resolve(opts.stateDir);
  const binary = opts.binary ?? shimBinaryPath();
  await mkdir(stateDir, { recursive: true });
  // A restarted container reuses its directory: last run's facts must not answer for this one.
  await Promise.all(['exit', 'start.json', 'stdin', 'resize'].map((name) => rm(join(stateDir, name), { force: true })));
  const tty = opts.tty ? ['--tty', '--size', `${opts.tty.rows}x${opts.tty.cols}`] : [];
  const args = ['--state', stateDir, ...(opts.stdin ? ['--stdin'] : []), ...tty, ...(opts.ready ? ['--ready'] : []), ...(opts.unmountAtExit ? ['--unmount', opts.unmountAtExit] : []), '--', ...opts.argv];
  const { code, stderr, stdout } = await runLauncher({ binary, args, env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs ?? 10_000 });
  if (code !== 0) {
    throw new EngineError({
      code: 'SHIM_START_FAILED', kind: 'internal',
      message: `starting ${opts.argv[0]} under dockling-shim failed: ${stderr.trim() || `exit ${code}`}`,
      data: { stateDir, argv: opts.argv, exitCode: code, stderr },
    });
  }
  const start = await readShimStart(stateDir);
  if (!start) throw internal('SHIM_START_FAILED', `dockling-shim reported ok but wrote no ${join(stateDir, 'start.json')}`, { stateDir });
  // With --ready, a line here means the container's command never ran ("127 exec: x: No such
  // file or directory", "125 step "mount /data" failed: ..."): its exit follows at once.
  const notStarted = stdout.trim() || undefined;
  opts.span?.event('shim.started', { stateDir, shimPid: start.shimPid, pid: start.pid, argv: opts.argv, ...(notStarted ? { notStarted } : {}) });
  return notStarted ? { ...start, notStarted } : start;
}
// #endregion start-shim

async function runLauncher(a: { binary: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<{ code: number; stderr: string; stdout: string }> {
  // No env given: Docker's default PATH and nothing else — never the daemon's own environment.
  const env = Object.fromEntries(Object.entries(a.env ?? { PATH: DEFAULT_PATH }).filter((kv): kv is [string, string] => kv[1] !== undefined));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineError({
      code: 'SHIM_START_TIMEOUT', kind: 'unavailable',
      message: `dockling-shim did not report within ${a.timeoutMs} ms (state ${a.args[1]})`,
      data: { stateDir: a.args[1], timeoutMs: a.timeoutMs },
    })), a.timeoutMs);
  });
  // run() goes through the daemon's fork server when there is one (base/spawn-server.ts).
  const launched = run([a.binary, ...a.args], { env, cwd: a.cwd, allowFailure: true }).catch((err: unknown) => {
    throw internal('SHIM_START_FAILED', `spawn ${a.binary}: ${(err as Error).message} — ${BUILD_HINT}`, { binary: a.binary }, err);
  });
  try {
    const r = await Promise.race([launched, late]);
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  } finally {
    clearTimeout(timer);
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export const readShimStart = (stateDir: string) => readJson<ShimStart>(join(stateDir, 'start.json'));

/** DIR/exit, or undefined while the container runs (or never ran). */
export const readExit = (stateDir: string) => readJson<ExitRecord>(join(stateDir, 'exit'));

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined if there is no such process. */
export function processStartTicks(pid: number): number | undefined {
  const stat = readProcStat(pid);
  return stat ? stat.startTicks : undefined;
}

function readProcStat(pid: number): { state: string; startTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command in parentheses and may itself contain ') ': fields count from the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', startTicks: Number(rest[19]) };
}

/**
 * Whether `pid` is still the process we started. process.kill(pid, 0) alone is not enough:
 * a zombie answers it (an exited shim not yet reaped by init), and after a reboot or a long
 * uptime the number may belong to someone else — the start time recorded at start tells.
 */
export function isAlive(pid: number, startTicks?: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || startTicks === 0 || stat.startTicks === startTicks;
}

export interface WaitExitOptions {
  stateDir: string;
  shimPid: number;
  shimStart?: number;
  signal?: AbortSignal;
  /** How often to look when no inotify event comes (and whether the shim still lives). */
  pollMs?: number;
}

// #region wait-exit
/**
 * Resolves with the exit record once DIR/exit appears. fs.watch on the directory wakes us at
 * the rename that publishes it; a slow poll covers what inotify misses (network filesystems,
 * a watch set up just after the rename) and notices a shim that died without writing one —
 * then the container's fate is unknown and we say so: code 255, error 'supervisor died'.
 */
export function waitExit(opts: WaitExitOptions): Promise<ExitRecord> {
  return new Promise((resolveWait, reject) => {
    let watcher: FSWatcher | undefined;
    let settled = false;
    const finish = (result: ExitRecord | Error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      watcher?.close();
      opts.signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolveWait(result);
    };
    const check = async () => {
      try {
        const exit = await readExit(opts.stateDir);
        if (exit) return finish(exit);
        if (isAlive(opts.shimPid, opts.shimStart)) return;
        // The shim writes exit before it exits: look once more, the rename may have just landed.
        const late = await readExit(opts.stateDir);
        finish(late ?? { code: 255, signal: 0, oomKilled: false, finishedAt: new Date().toISOString(), error: 'supervisor died' });
      } catch (err) {
        finish(err as Error);
      }
    };
    const onAbort = () => finish(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    const timer = setInterval(() => void check(), opts.pollMs ?? 1000);
    try {
      watcher = watch(opts.stateDir, (_event, name) => {
        if (name === 'exit') void check();
      });
      watcher.on('error', () => watcher?.close()); // the poll still runs
    } catch {
      // No inotify (limits reached, odd filesystem): the poll alone will do.
    }
    void check();
  });
}
// #endregion wait-exit

/**
 * DIR/stdin opened for writing, as a stream. Opened non-blocking: a FIFO open for writing
 * waits for a reader, and once the shim is gone there is none — ENXIO then, not a hang.
 * Ending the stream closes the container's stdin (it reads EOF).
 */
export function openStdin(stateDir: string): Writable {
  let fd: number;
  try {
    fd = openSync(join(stateDir, 'stdin'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new EngineError({
      code: 'STDIN_CLOSED', kind: 'failed-precondition',
      message: `the container's stdin ${join(stateDir, 'stdin')} is not open (not started with stdin, or exited)`,
      data: { stateDir, errno: (err as NodeJS.ErrnoException).code }, cause: err,
    });
  }
  return new Socket({ fd, readable: false, writable: true });
}

// #region resize-terminal
/**
 * Resizes a TTY container's terminal: one "ROWS COLS" line into DIR/resize, which the shim
 * turns into ioctl(master, TIOCSWINSZ) — and the kernel into SIGWINCH for the container.
 * Non-blocking open, as for stdin: no shim (exited, or no terminal) is ENXIO/ENOENT, not a hang.
 */
export function resizeTerminal(stateDir: string, size: TerminalSize): void {
  const path = join(stateDir, 'resize');
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new EngineError({
      code: 'TERMINAL_NOT_OPEN', kind: 'failed-precondition',
      message: `the container's terminal ${path} is not open (not started with a TTY, or exited)`,
      data: { stateDir, errno: (err as NodeJS.ErrnoException).code }, cause: err,
    });
  }
  try {
    writeSync(fd, `${size.rows} ${size.cols}\n`);
  } finally {
    closeSync(fd);
  }
}
// #endregion resize-terminal
