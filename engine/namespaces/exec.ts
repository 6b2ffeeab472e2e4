// Exec, chapter 3: a second process in a running container (`docker exec`, runtime-spec's
// "exec" as runc does it). Nothing is made: every namespace already exists, held by the
// container's pid 1, so the new process *joins* them — the cgroup first, then the namespaces:
//
//   /bin/sh -c 'echo $$ > …/cgroup.procs && exec "$@"'      join the container's cgroups
//   nsenter --target <pid 1> --mount --uts --ipc --net --pid --cgroup --root --wd --
//   /proc/self/fd/3 --no-pivot --uid … --caps … -- COMMAND   dockling-init in exec mode
//
// Why /proc/self/fd/3: after nsenter --mount --root, the host's files (our dockling-init among
// them) are out of sight. The daemon opens the helper and hands it down as fd 3; the magic link
// still reaches it from inside (runc re-executes itself the same way). Why --no-pivot: the
// container's mount namespace already has the container's root as "/" — see dockling-init.c.
// The process gets the container's environment, capabilities and no_new_privs from the
// bundle's config.json, changed by what exec asked for (-e, -u, -w), as `runc exec` does.
//
// With a terminal (`exec -t`), one more helper stands between nsenter and dockling-init:
//
//   /proc/self/fd/4 --size 30x100 --owner 0 --resize 5 -- /proc/self/fd/3 --no-pivot …
//
// dockling-pty (see dockling-pty.c), handed down as fd 4 the same way. Already inside the
// container, it opens the container's /dev/ptmx, runs the rest on the new /dev/pts/N and relays
// the master: our stdin in, the terminal's output out on stdout, and "ROWS COLS" lines from the
// pipe on fd 5 turned into the terminal's size.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { EngineError } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import type { CgroupPlan } from './cgroup-plan.js';
import { containerPidOf, traceUsage } from './container-facts.js';
import { findInitHelper } from './init-helper.js';
import { NAMESPACE_FLAGS, quote } from './planner.js';
import { bpfHex, compileSeccomp } from './seccomp.js';
import type { TerminalSize } from './shim.js';
import { capMask, resolveUser } from './spec.js';
import type { Spec, User } from './types.js';

/** What `docker exec` asks for (ExecConfig in the API). */
export interface ExecConfig {
  cmd: string[];
  /** KEY=value, on top of the container's environment. */
  env?: string[];
  /** `-u`: name, uid, name:group or uid:gid, looked up in the container's /etc/passwd. */
  user?: string;
  /** `-w`: the working directory; the container's when empty. */
  workingDir?: string;
}

/** The exec as data: the argv to spawn (fd `helperFd` must be the helper) and its environment. */
export interface ExecPlan {
  argv: string[];
  env: Record<string, string>;
}

/** The fd the helper is passed on (stdin, stdout, stderr come first). */
export const EXEC_HELPER_FD = 3;
/** With a terminal: the fd dockling-pty is passed on, and the one its resizes come on. */
export const EXEC_PTY_FD = 4;
export const EXEC_RESIZE_FD = 5;
export const PTY_HELPER_NAME = 'dockling-pty';

// #region plan-exec
/**
 * Pure: the container's process spec, changed by the exec's config, as one command. `user` is
 * already resolved (the container's own user when exec gave none).
 */
export function planExec(a: { spec: Spec; pid: number; cgroupProcs: string[]; user: User & { home?: string }; config: ExecConfig; tty?: TerminalSize }): ExecPlan {
  const p = a.spec.process;
  // Environment: the container's, then exec's -e (a later KEY wins), HOME for a -u user, and
  // with a terminal TERM=xterm unless the container says otherwise (as dockerd does).
  const env: Record<string, string> = {};
  const set = (kv: string) => {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  };
  p.env.forEach(set);
  if (a.tty) env.TERM ??= 'xterm';
  if (a.config.user && a.user.home) env.HOME = a.user.home;
  (a.config.env ?? []).forEach(set);
  // Docker gives a non-root user the bounding set but nothing effective (as at start).
  const bounding = capMask(p.capabilities.bounding);
  const effective = a.user.uid === 0 ? bounding : '0'.repeat(16);
  const init = ['--no-pivot', '--uid', String(a.user.uid), '--gid', String(a.user.gid)];
  if (a.user.additionalGids?.length) init.push('--groups', a.user.additionalGids.join(','));
  init.push('--cwd', a.config.workingDir || p.cwd, '--caps', bounding, '--effective', effective);
  if (p.noNewPrivileges) init.push('--no-new-privs');
  // The container's seccomp filter holds for every process in it, exec'd ones too.
  if (a.spec.linux.seccomp) init.push('--seccomp', bpfHex(compileSeccomp(a.spec.linux.seccomp)));
  // The namespaces the container has, joined through its pid 1; --root and --wd put us at its root.
  const kinds = a.spec.linux.namespaces.map((n) => NAMESPACE_FLAGS[n.type]);
  // -t: first the terminal, made inside the container and owned by the exec's user.
  const terminal = a.tty
    ? [`/proc/self/fd/${EXEC_PTY_FD}`, '--size', `${a.tty.rows}x${a.tty.cols}`, '--owner', String(a.user.uid), '--resize', String(EXEC_RESIZE_FD), '--']
    : [];
  const command = [`/proc/self/fd/${EXEC_HELPER_FD}`, ...init, '--', ...a.config.cmd];
  const nsenter = ['nsenter', '--target', String(a.pid), ...kinds, '--root', '--wd', '--', ...terminal, ...command];
  if (a.cgroupProcs.length === 0) return { argv: nsenter, env };
  const enter = a.cgroupProcs.map((f) => `echo $$ > ${quote(f)}`).join(' && ');
  return { argv: ['/bin/sh', '-c', `${enter} && exec "$@"`, 'dockling-exec', ...nsenter], env };
}
// #endregion plan-exec

/**
 * A started exec: its pipes and, once it has exited, its code (128+signal when killed). With a
 * terminal, stdout is everything the terminal shows; stderr only what failed before it existed.
 */
export interface ExecProcess {
  pid: number;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code once the process has exited and its output is drained. */
  exited: Promise<number>;
  /** With a terminal, gives it a new size (and the process a SIGWINCH); else does nothing. */
  resize(size: TerminalSize): void;
}

/** dockling-pty, built beside dockling-init by build-helpers.sh. */
function findPtyHelper(): string {
  const path = join(dirname(findInitHelper()), PTY_HELPER_NAME);
  if (existsSync(path)) return path;
  throw new EngineError({
    code: 'PTY_HELPER_MISSING', kind: 'failed-precondition',
    message: `${path} is missing: it is built by \`npm run build\` with \`cc -static\` from engine/namespaces/dockling-pty.c`,
    data: { path },
  });
}

/** The helpers as fds for the child, closed here once it has its own copies. */
function openHelpers(tty: boolean): number[] {
  const paths = tty ? [findInitHelper(), findPtyHelper()] : [findInitHelper()];
  return paths.map((path) => openSync(path, 'r'));
}

/**
 * Runs `config` inside the running container whose pid 1 is `pid`: reads its bundle's
 * config.json, resolves `-u` in the container's own /etc/passwd (/proc/<pid>/root), spawns.
 * `tty` gives the process a terminal of that size (0 × 0: the kernel's default).
 */
export async function startExec(a: { bundle: string; pid: number; cgroup: CgroupPlan; config: ExecConfig; stdin: boolean; tty?: TerminalSize; span?: Span; tracer?: Tracer; id?: string }): Promise<ExecProcess> {
  const spec = JSON.parse(await readFile(join(a.bundle, 'config.json'), 'utf8')) as Spec;
  const user = a.config.user ? await resolveUser({ rootfs: `/proc/${a.pid}/root`, user: a.config.user }) : spec.process.user;
  const plan = planExec({ spec, pid: a.pid, cgroupProcs: a.cgroup.procsFiles, user, config: a.config, tty: a.tty });
  // container.exec: under the caller's span, or (an exec started over a hijacked connection,
  // which has no request span) a span of its own. `pid` is the container's pid 1 it joins.
  const data = { ...(a.id ? { id: a.id } : {}), pid: a.pid, cmd: a.config.cmd, argv: plan.argv };
  const span = a.span?.child('namespaces', 'container.exec', data) ?? a.tracer?.start('namespaces', 'container.exec', data);
  const helpers = openHelpers(a.tty !== undefined);
  let child: ChildProcess;
  try {
    // fd 3 dockling-init; with a terminal fd 4 dockling-pty and fd 5 the resize pipe
    const extra = a.tty ? [...helpers, 'pipe' as const] : helpers;
    child = spawn(plan.argv[0]!, plan.argv.slice(1), { env: plan.env, stdio: [a.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extra] });
  } finally {
    helpers.forEach((fd) => closeSync(fd)); // the child has its own copies
  }
  const resizes = a.tty ? (child.stdio.at(EXEC_RESIZE_FD) as Writable | undefined) : undefined;
  resizes?.on('error', () => undefined); // a resize racing the exit has nowhere to go
  // The exec'd process's pids (host and container) and the cgroup's usage with it running,
  // traced before its exit is (exec.exit waits for them).
  const traced = span && child.pid ? traceExecProcess({ span, nsenterPid: child.pid, pid1: a.pid, tty: a.tty !== undefined, cmd: a.config.cmd, cgroup: a.cgroup, id: a.id }) : Promise.resolve();
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      span?.fail(err);
      resolve(126);
    });
    child.on('close', (code, signal) => {
      const status = code ?? 128 + (signal ? constants.signals[signal] : 0);
      void traced.then(() => {
        span?.event('exec.exit', { status });
        span?.end();
      });
      resolve(status);
    });
  });
  const resize = (size: TerminalSize) => {
    if (resizes?.writable) resizes.write(`${size.rows} ${size.cols}\n`);
  };
  return { pid: child.pid ?? 0, stdin: child.stdin, stdout: child.stdout!, stderr: child.stderr!, exited, resize };
}

// #region exec-process
/**
 * The exec'd process, found from the nsenter we spawned: joining a pid namespace only applies
 * to children, so nsenter forks, and its child (the first process of the chain inside the
 * container's pid namespace; with -t, dockling-pty's child) becomes the command. Traced as
 * `exec.process` with its pid on the host and in the container, then the cgroup's usage. A
 * command that is over before it is found (a quick `ps`) is not traced: no guess.
 */
async function traceExecProcess(a: { span: Span; nsenterPid: number; pid1: number; tty: boolean; cmd: string[]; cgroup: CgroupPlan; id?: string }): Promise<void> {
  const pid = await execPid(a).catch(() => undefined);
  if (pid === undefined) return;
  const containerPid = await containerPidOf(pid).catch(() => undefined);
  if (containerPid === undefined) return;
  a.span.event('exec.process', { pid, containerPid, argv: a.cmd });
  await traceUsage({ cgroup: a.cgroup, id: a.id ?? '', parent: a.span });
}

async function execPid(a: { nsenterPid: number; pid1: number; tty: boolean }): Promise<number | undefined> {
  const inside = await readlink(`/proc/${a.pid1}/ns/pid`);
  const firstChild = async (pid: number) => Number((await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/)[0] || 0) || undefined;
  let pid = a.nsenterPid;
  let skip = a.tty ? 1 : 0; // dockling-pty stands between nsenter and the command
  for (let tries = 0; tries < 200; tries++) {
    if ((await readlink(`/proc/${pid}/ns/pid`)) === inside) {
      if (skip === 0) return pid;
      skip--;
    }
    const next = await firstChild(pid);
    if (next !== undefined) pid = next;
    else await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}
// #endregion exec-process
