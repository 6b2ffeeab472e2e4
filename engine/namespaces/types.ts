// Chapter 3's vocabulary for running a container: the OCI runtime bundle's config.json (a
// readable subset of runtime-spec v1.0: config.md and config-linux.md) and the InitPlan the
// planner derives from it. The bundle is the hand-off between the engine and any runtime:
// dockling's own recipe, `runc run` and `crun run` all start the very same directory.
//
// A container's start, as `dockling run busybox echo hi` does it:
//   1. the engine mounts the container's overlay at <bundle>/rootfs (in the host's namespace, as
//      containerd does) and writes <bundle>/config.json = specFromContainer(...);
//   2. planInit(spec) turns the spec into an InitPlan: which namespaces to unshare or join, the
//      cgroups to enter first, and the ordered steps that build the container's world (mounts,
//      /dev, masked and read-only paths, hostname) — each a command line a reader could type;
//   3. initCommand(plan) writes the plan for `dockling-init --plan`, which makes each step's
//      system calls itself; planArgv(plan) is the same start typed by hand, `unshare --fork
//      --pid --mount … -- /bin/sh -c '<steps>'` — both end in pivot_root, capabilities, uid, exec;
//   4. the user's process is pid 1 of the new pid namespace; when it exits, its parent outside
//      exits the same way and the namespaces vanish with their last process.

/** Namespace kinds, with the runtime-spec's names (`network`, not `net`). */
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

/** A namespace to create (no path) or to join (path = /proc/<pid>/ns/<kind> or a bind-mounted file). */
export interface LinuxNamespace {
  type: NamespaceType;
  path?: string;
}

/** Capability names as the spec writes them: `CAP_CHOWN`. */
export interface Capabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable?: string[];
  ambient?: string[];
}

export interface Rlimit {
  type: string; // RLIMIT_NOFILE …
  soft: number;
  hard: number;
}

export interface User {
  uid: number;
  gid: number;
  additionalGids?: number[];
  /** Not in the spec: the name the user typed (`nobody`), kept for inspect and the trace. */
  username?: string;
}

export interface Process {
  terminal: boolean;
  user: User;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Capabilities;
  noNewPrivileges: boolean;
  rlimits?: Rlimit[];
}

export interface Root {
  /** Relative to the bundle (`rootfs`) or absolute. */
  path: string;
  readonly: boolean;
}

/** One mount, in the spec's words: bind mounts have type `bind` and options `rbind`/`bind`. */
export interface SpecMount {
  destination: string;
  type: string;
  /** For bind mounts: absolute, or relative to the bundle. */
  source: string;
  options: string[];
}

export interface Resources {
  memory?: { limit?: number };
  cpu?: { quota?: number; period?: number };
  pids?: { limit?: number };
  /** The device cgroup's rules (config-linux.md "Device allowlist"), for runc and crun; a
   *  privileged container's single rule allows every device: { allow: true, access: 'rwm' }. */
  devices?: Array<{ allow: boolean; type?: 'a' | 'b' | 'c'; major?: number; minor?: number; access?: string }>;
}

export interface LinuxDevice {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A seccomp action, as the runtime-spec (and libseccomp) names it. */
export type SeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG';

/** One comparison of a system call's argument (index 0–5); a rule's comparisons must all hold. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  /** SCMP_CMP_EQ, SCMP_CMP_NE or SCMP_CMP_MASKED_EQ ((arg & value) == valueTwo); the others are refused. */
  op: string;
}

/** One rule: these calls (with these arguments, if any) get this action. Rules for one call are tried in order. */
export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** linux.seccomp (config-linux.md "Seccomp"): the filter runc, crun and dockling-init load before the exec. */
export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: LinuxSyscall[];
}

export interface Linux {
  namespaces: LinuxNamespace[];
  maskedPaths: string[];
  readonlyPaths: string[];
  cgroupsPath?: string;
  resources?: Resources;
  devices?: LinuxDevice[];
  /** Absent: no filter (--privileged, --security-opt seccomp=unconfined). */
  seccomp?: LinuxSeccomp;
}

/** config.json. */
export interface Spec {
  ociVersion: string;
  process: Process;
  root: Root;
  hostname?: string;
  mounts: SpecMount[];
  linux: Linux;
  annotations?: Record<string, string>;
}

/** One named step of the in-container recipe: a command line a reader could type, and the same
 *  step as dockling-init's plan records (operation, then arguments: see dockling-init.c). */
export interface InitStep {
  name: string;
  command: string;
  sys: string[][];
}

/**
 * What starting a container takes, as data: the trace records it, the site draws it, tests
 * compare it. Commands are written relative to the bundle directory (the recipe's cwd).
 */
export interface InitPlan {
  /** cgroup.procs files the process writes its pid into before it unshares (so a cgroup
   *  namespace is rooted at the container's cgroup). */
  cgroupProcs: string[];
  /** Existing namespaces to enter first (nsenter). */
  join: Array<{ type: NamespaceType; path: string }>;
  /** New namespaces to make (unshare). */
  unshare: NamespaceType[];
  /** The in-container recipe, in order; the last step execs the init helper. */
  steps: InitStep[];
  /** The helper's argv (also the last step's command, without `cd`/`exec`/`env`). */
  init: { path: string; args: string[]; env: string[] };
}
