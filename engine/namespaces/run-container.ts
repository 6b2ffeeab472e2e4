// Running a bundle in the foreground, chapter 3: spawn the recipe (recipe.ts) with the caller's
// stdio and report how the container's pid 1 ended. The tests and the chapter use it directly;
// the shim (shim.ts) is what keeps a container alive past the daemon.
//
// The spawned process is unshare, on the host; the container's pid 1 is its child. unshare exits
// with pid 1's status, or by the same signal that killed it, so `exit` is the container's.
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EngineError } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { TRACE_STEPS_ENV, initCommand } from './recipe.js';
import type { InitPlan, Spec } from './types.js';

export interface ContainerExit {
  /** The exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningContainer {
  /** The host pid of unshare, which waits for the container. */
  pid: number;
  plan: InitPlan;
  exit: Promise<ContainerExit>;
  /** The host pid of the container's pid 1 (unshare's child), once it exists. */
  initPid(): number | undefined;
  /** Sends a signal to the container's pid 1 (unshare does not forward signals). */
  kill(signal?: NodeJS.Signals): void;
  /** The child process, for its stdio streams when they are pipes. */
  child: ReturnType<typeof spawn>;
}

/** The host's PATH for the recipe's own tools; the container's PATH is in spec.process.env. */
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// #region run-container
export function runContainer(args: {
  bundle: string; spec: Spec; initPath: string; stdio?: StdioOptions; span?: Span;
  cgroupProcs?: string[]; netnsPath?: string; traceSteps?: boolean;
}): RunningContainer {
  const { argv, plan } = initCommand(args);
  const span = args.span?.child('namespaces', 'container.start', {
    bundle: args.bundle, argv: plan.init.args.slice(plan.init.args.indexOf('--') + 1),
    unshare: plan.unshare, join: plan.join, cgroupProcs: plan.cgroupProcs, steps: plan.steps,
  });
  const env = { PATH: HOST_PATH, ...(args.traceSteps ? { [TRACE_STEPS_ENV]: '1' } : {}) };
  const child = spawn(argv[0]!, argv.slice(1), { cwd: args.bundle, stdio: args.stdio ?? 'inherit', env });
  const exit = new Promise<ContainerExit>((resolve, reject) => {
    child.on('error', (e) => {
      const err = new EngineError({ code: 'CONTAINER_START_FAILED', kind: 'internal', message: `cannot run ${argv[0]}: ${e.message}`, data: { argv }, cause: e });
      span?.fail(err);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      span?.event('process.exit', { pid: child.pid ?? null, code, signal });
      span?.end({ code, signal });
      resolve({ code, signal });
    });
  });
  if (child.pid !== undefined) span?.event('container.pid', { pid: child.pid });
  const initPid = () => {
    try {
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return kids.length ? Number(kids[0]) : undefined;
    } catch {
      return undefined;
    }
  };
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    const pid = initPid();
    if (pid !== undefined) process.kill(pid, signal);
    else child.kill(signal);
  };
  return { pid: child.pid ?? -1, plan, exit, initPid, kill, child };
}
// #endregion run-container
