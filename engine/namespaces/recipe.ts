// The in-container recipe, chapter 3: an InitPlan as the one command that becomes the
// container. Two forms of the same steps, both spawned with cwd = the bundle:
//
//   dockling-init --plan <bundle>/init.plan          what the engine runs (initCommand)
//
// dockling-init reads the plan's records (planFile) and makes each step's system calls itself —
// mount(2), mknod(2), sethostname(2), unshare(2) … — because forty commands cost forty forks
// and execs, about 80 ms, where the system calls take under 5. The same plan, typed by hand as
// commands (planArgv; the tests run it and compare what the container sees), is
//
//   [sh -c 'echo $$ > …/cgroup.procs && exec "$@"']   enter the container's cgroups first
//   [nsenter --net=/run/netns/x]                       join a prepared network namespace
//   unshare --fork --pid --mount --uts --ipc --net --cgroup --propagation private --
//   /bin/sh -c '<the plan's steps>'                    mounts, /dev, masks, hostname …
//     … exec env -i PATH=… dockling-init --uid 0 … -- sh    pivot_root, caps, uid, exec
//
// Why not Node itself: unshare(CLONE_NEWPID|CLONE_NEWNS…) applies to the calling
// thread, and the kernel refuses CLONE_NEWNS (and CLONE_NEWUSER) in a multi-threaded process —
// Node always has its libuv and V8 threads. So the namespaces are made by a single-threaded
// program: dockling-init, or unshare(1) in the typed form.
// Why the last step is a C helper: after pivot_root the host's dynamic binaries cannot run (their
// shared libraries are gone with the old root), the image may have no tools at all, and busybox's
// setpriv cannot drop the capability bounding set; dockling-init is static and does it all.
//
// --fork matters: unshare --pid puts the *children* of unshare in the new pid namespace, so the
// shell that runs the steps is its pid 1, and so is the user's process it finally execs into.
// dockling-init forks for the same reason, and its parent, outside, ends as pid 1 ended.
import { statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { invalid } from '../base/index.js';
import { resolveInRoot } from '../unionfs/index.js';
import { NAMESPACE_FLAGS, planInit, quote } from './planner.js';
import type { InitPlan, Spec } from './types.js';

/** The environment variable that makes each step print `dockling-step: NAME` on stderr. */
export const TRACE_STEPS_ENV = 'DOCKLING_TRACE_STEPS';

/** Exit status of the recipe when a step before the helper fails (Docker's "the runtime failed"). */
export const SETUP_FAILED_STATUS = 125;

// #region script
/**
 * The plan's steps as one /bin/sh script. `step` names what runs next (and prints it when
 * tracing); `|| fail` after each command stops at the first failure with the step's name.
 */
export function stepsScript(plan: InitPlan): string {
  const lines = [
    // fd 3, when open, is dockling-shim's readiness pipe: the failure is reported there too.
    `fail() { s=$?; echo "dockling: step \\"$step\\" failed (status $s)" >&2; { echo "${SETUP_FAILED_STATUS} step \\"$step\\" failed (status $s)" >&3; } 2>/dev/null; exit ${SETUP_FAILED_STATUS}; }`,
    `step() { step=$1; if [ "\${${TRACE_STEPS_ENV}:-}" = 1 ]; then echo "dockling-step: $1" >&2; fi; }`,
  ];
  for (const s of plan.steps) lines.push(`step ${quote(s.name)}`, `${s.command} || fail`);
  return lines.join('\n') + '\n';
}
// #endregion script

// #region plan-file
/** The plan file's name in the bundle. */
export const PLAN_FILE = 'init.plan';

/**
 * The plan as dockling-init --plan reads it: records of NUL-terminated fields, each NAME, OP,
 * COUNT and COUNT arguments — first the cgroups to enter, the namespaces to join and to make
 * (then dockling-init forks: the child is pid 1), then every step's system calls in order.
 */
export function planFile(plan: InitPlan): Buffer {
  const fields: string[] = [];
  const record = (name: string, op: string, args: string[]) => fields.push(name, op, String(args.length), ...args);
  for (const f of plan.cgroupProcs) record('cgroup', 'cgroup', [f]);
  for (const n of plan.join) record(`join ${n.type}`, 'setns', [n.type, n.path]);
  record('unshare', 'unshare', plan.unshare);
  for (const s of plan.steps) for (const [op, ...args] of s.sys) record(s.name, op!, args);
  const bad = fields.find((f) => f.includes('\0'));
  if (bad !== undefined) throw invalid('PLAN_FIELD_NUL', `a NUL byte cannot pass to dockling-init: ${JSON.stringify(bad)}`, { field: bad });
  return Buffer.from(fields.map((f) => `${f}\0`).join(''));
}
// #endregion plan-file

// #region argv
/** The plan typed by hand: cgroups, then joins, then unshare around the steps script. */
export function planArgv(plan: InitPlan): string[] {
  const inner = ['/bin/sh', '-c', stepsScript(plan)];
  const unshare = ['unshare', '--fork', ...plan.unshare.map((t) => NAMESPACE_FLAGS[t]), '--propagation', 'private', '--', ...inner];
  const joined = plan.join.length ? ['nsenter', ...plan.join.map((n) => `${NAMESPACE_FLAGS[n.type]}=${n.path}`), '--', ...unshare] : unshare;
  if (plan.cgroupProcs.length === 0) return joined;
  const enter = plan.cgroupProcs.map((f) => `echo $$ > ${quote(f)}`).join(' && ');
  return ['/bin/sh', '-c', `${enter} && exec "$@"`, 'dockling-cgroups', ...joined];
}
// #endregion argv

/**
 * The command that, spawned with cwd = bundle and stdio attached, becomes the container — it
 * writes <bundle>/init.plan (0600: it holds the container's environment) for
 * `dockling-init --plan`. The container's pid 1 is the user's process. Mount points are resolved inside the root the way the container would
 * see them (an image's symlink cannot point a mount at the host), and bind sources are looked at
 * to know whether their mount point is a file or a directory.
 */
export function initCommand(args: { bundle: string; spec: Spec; initPath: string; cgroupProcs?: string[]; netnsPath?: string }): { argv: string[]; plan: InitPlan } {
  const spec: Spec = args.netnsPath
    ? { ...args.spec, linux: { ...args.spec.linux, namespaces: args.spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: args.netnsPath } : n)) } }
    : args.spec;
  const rootAbs = isAbsolute(spec.root.path) ? spec.root.path : join(args.bundle, spec.root.path);
  const fresh = spec.mounts.filter((m) => m.type !== 'bind' && !m.options.includes('bind') && !m.options.includes('rbind'));
  const target = (dest: string): string => {
    // Below a kernel filesystem the recipe mounts (/dev, /proc, /sys), the image's files are
    // hidden: resolve the mount point, then join the rest as written.
    const under = fresh.filter((m) => dest.startsWith(`${m.destination}/`)).sort((a, b) => b.destination.length - a.destination.length)[0];
    if (under) return `${target(under.destination)}${dest.slice(under.destination.length)}`;
    const host = resolveInRoot(rootAbs, dest, { followLast: true }).host;
    return isAbsolute(spec.root.path) ? host : relative(args.bundle, host);
  };
  const sourceIsFile = (source: string) => statSync(isAbsolute(source) ? source : join(args.bundle, source), { throwIfNoEntry: false })?.isFile() ?? false;
  const plan = planInit(spec, { initPath: args.initPath, cgroupProcs: args.cgroupProcs, target, sourceIsFile });
  const path = join(args.bundle, PLAN_FILE);
  writeFileSync(path, planFile(plan), { mode: 0o600 });
  return { argv: [args.initPath, '--plan', path], plan };
}
