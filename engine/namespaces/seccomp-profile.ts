// The default seccomp profile, chapter 3: which system calls a container may not make, written
// as the runtime-spec's linux.seccomp (config-linux.md "Seccomp") so that runc and crun load the
// same filter dockling-init loads (seccomp.ts compiles it to BPF for dockling-init).
//
// A DENY-list, where Docker's default profile is an ALLOW-list. Docker's default action is
// "fail with EPERM", and it names the ~350 calls ordinary programs need; a call it has never heard
// of (a new kernel's) is refused. Ours is the reverse: the default action is "allow", and the
// table below names the calls Docker's profile refuses, each with why — about fifty, which a
// reader can hold in mind, and each row is a lesson in what a container must not reach. The
// price: a system call added by a newer kernel is allowed until someone adds a row (Docker's
// list fails closed there; ours fails open). Capabilities remain the main wall — most rows are
// calls the kernel already refuses without a capability the container lacks; the filter is the
// second wall, and the only one for calls that need no capability at all: keyctl (the keyring is
// not namespaced), unshare(CLONE_NEWUSER) (any user may make a user namespace, and inside it the
// kernel's less-travelled code is reachable), userfaultfd, io_uring, personality(ADDR_NO_RANDOMIZE).
//
// As in Docker, a row marked `unlessCap` goes away when the container holds that capability
// (so adding CAP_SYS_ADMIN re-allows mount and unshare), and `--privileged` or
// `--security-opt seccomp=unconfined` load no filter at all.
import { invalid } from '../base/index.js';
import type { LinuxSeccomp, LinuxSyscall, SeccompArg } from './types.js';

/** errno values a rule returns (asm-generic/errno-base.h). */
export const EPERM = 1;
export const ENOSYS = 38;

/** One row of the deny-list: the calls, why, and the capability that re-allows them. */
export interface DeniedCalls {
  names: string[];
  why: string;
  /** Any of these capabilities in the container's bounding set drops the row (Docker's "includes caps"). */
  unlessCap?: string[];
  /** Only when the arguments match (all of them); otherwise the call is allowed. */
  args?: SeccompArg[];
  /** EPERM unless said. */
  errno?: number;
}

/** clone(2)'s namespace flags (linux/sched.h): each one makes a new namespace. */
const CLONE_NEW: Record<string, number> = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000,
};
/** personality(2) bits a container may not set (linux/personality.h); 0xffffffff only asks. */
const ADDR_NO_RANDOMIZE = 0x0040000;
const READ_IMPLIES_EXEC = 0x0400000;
const masked = (bit: number): SeccompArg => ({ index: 0, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' });
/** A file type in mknod's mode (sys/stat.h): S_IFMT picks it out. */
const fileType = (index: number, type: number): SeccompArg => ({ index, value: 0o170000, valueTwo: type, op: 'SCMP_CMP_MASKED_EQ' });
const [S_IFCHR, S_IFBLK] = [0o020000, 0o060000];
/** Device nodes. Docker lets CAP_MKNOD make any device and its device cgroup refuses opening
 *  all but /dev/null and friends; dockling has no device cgroup, so the filter refuses making
 *  them: every block device (a raw disk of the host), every character device but 0/0 (an
 *  overlay whiteout). mknod's mode is argument 1 and dev argument 2; mknodat's are 2 and 3. */
const DEVICE_NODES: DeniedCalls[] = ([['mknod', 1], ['mknodat', 2]] as const).flatMap(([name, mode]) => [
  { names: [name], why: 'block devices: raw access to the host\'s disks (no device cgroup here)', args: [fileType(mode, S_IFBLK)] },
  { names: [name], why: 'character devices other than a whiteout (0/0): /dev/mem, terminals, the host\'s hardware', args: [fileType(mode, S_IFCHR), { index: mode + 1, value: 0, op: 'SCMP_CMP_NE' }] },
]);

// #region seccomp-denied
/** What Docker's default profile refuses, and why (docs.docker.com "Seccomp security profiles"). */
export const DEFAULT_DENIED: DeniedCalls[] = [
  { names: ['keyctl', 'add_key', 'request_key'], why: 'the kernel keyring is not namespaced: keys of the host and of other containers' },
  { names: ['mount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr'], why: 'mounting: rearranging the filesystem the container was given', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['unshare', 'setns'], why: 'new or other namespaces; unshare(CLONE_NEWUSER) needs no capability at all', unlessCap: ['CAP_SYS_ADMIN'] },
  ...Object.entries(CLONE_NEW).map(([flag, bit]): DeniedCalls => ({ names: ['clone'], why: `clone(CLONE_${flag}): a new namespace, as unshare`, unlessCap: ['CAP_SYS_ADMIN'], args: [masked(bit)] })),
  { names: ['clone3'], why: 'its flags are in memory, where a filter cannot look: ENOSYS makes libc fall back to clone', unlessCap: ['CAP_SYS_ADMIN'], errno: ENOSYS },
  { names: ['ptrace'], why: 'reading and writing another process (before 4.8, a way around seccomp itself)', unlessCap: ['CAP_SYS_PTRACE'] },
  { names: ['init_module', 'finit_module', 'delete_module'], why: 'loading code into the shared kernel', unlessCap: ['CAP_SYS_MODULE'] },
  { names: ['create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl'], why: 'obsolete calls, old attack surface nobody needs' },
  { names: ['kexec_load', 'kexec_file_load', 'reboot'], why: 'replacing or rebooting the host kernel', unlessCap: ['CAP_SYS_BOOT'] },
  { names: ['bpf'], why: 'BPF programs run in the kernel', unlessCap: ['CAP_SYS_ADMIN', 'CAP_BPF'] },
  { names: ['perf_event_open'], why: 'performance counters leak what the host and other containers do', unlessCap: ['CAP_SYS_ADMIN', 'CAP_PERFMON'] },
  { names: ['userfaultfd'], why: 'pausing the kernel mid-copy: a favourite tool of exploits', unlessCap: ['CAP_SYS_PTRACE'] },
  { names: ['open_by_handle_at', 'name_to_handle_at'], why: 'file handles reach files outside the container\'s root (the "shocker" escape)', unlessCap: ['CAP_DAC_READ_SEARCH'] },
  { names: ['swapon', 'swapoff', 'quotactl', 'lookup_dcookie', 'fanotify_init'], why: 'host-wide settings and watches', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['acct'], why: 'process accounting is host-wide', unlessCap: ['CAP_SYS_PACCT'] },
  { names: ['settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'], why: 'the clock is not namespaced: one for the whole host', unlessCap: ['CAP_SYS_TIME'] },
  { names: ['move_pages', 'mbind', 'set_mempolicy', 'migrate_pages', 'get_mempolicy'], why: 'memory placement across the host\'s NUMA nodes', unlessCap: ['CAP_SYS_NICE'] },
  { names: ['iopl', 'ioperm'], why: 'raw I/O ports: hardware', unlessCap: ['CAP_SYS_RAWIO'] },
  { names: ['syslog'], why: 'the kernel log is host-wide', unlessCap: ['CAP_SYSLOG'] },
  { names: ['vhangup'], why: 'hanging up terminals', unlessCap: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'], why: 'a second way into most of the kernel, where a filter cannot see the calls' },
  ...DEVICE_NODES,
  { names: ['personality'], why: 'turning off address randomization (setarch -R) or making data executable', args: [masked(ADDR_NO_RANDOMIZE), { index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] },
  { names: ['personality'], why: 'turning off address randomization (setarch -R) or making data executable', args: [masked(READ_IMPLIES_EXEC), { index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] },
];
// #endregion seccomp-denied

/** The default profile for a container whose bounding set is `capabilities`. */
export function defaultSeccomp(capabilities: string[]): LinuxSeccomp {
  const held = new Set(capabilities);
  const syscalls: LinuxSyscall[] = DEFAULT_DENIED
    .filter((row) => !row.unlessCap?.some((c) => held.has(c)))
    .map((row) => ({ names: [...row.names], action: 'SCMP_ACT_ERRNO', errnoRet: row.errno ?? EPERM, ...(row.args ? { args: row.args.map((a) => ({ ...a })) } : {}) }));
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls };
}

/**
 * The filter a container gets, from HostConfig: none for Privileged or `--security-opt
 * seccomp=unconfined`; the profile given as `seccomp=<JSON>` (the docker CLI reads the file and
 * sends its text); otherwise the default, conditioned on the capabilities.
 */
export function seccompFor(args: { hostConfig: Record<string, unknown>; capabilities: string[] }): LinuxSeccomp | undefined {
  if (args.hostConfig['Privileged'] === true) return undefined;
  const opts = Array.isArray(args.hostConfig['SecurityOpt']) ? (args.hostConfig['SecurityOpt'] as unknown[]).map(String) : [];
  // Docker accepts `seccomp=…` and the older `seccomp:…`.
  const opt = opts.map((o) => /^seccomp[=:]/.exec(o) ? o.slice(8) : undefined).filter((o) => o !== undefined).pop();
  if (opt === undefined) return defaultSeccomp(args.capabilities);
  if (opt === 'unconfined') return undefined;
  return parseProfile(opt, args.capabilities);
}

/**
 * A profile in the OCI shape, or in Docker's own (syscalls with includes/excludes on caps and
 * arches): the Docker-only fields are resolved here, for this container, on x86_64.
 */
export function parseProfile(text: string, capabilities: string[]): LinuxSeccomp {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw invalid('SECCOMP_PROFILE_INVALID', `invalid seccomp profile: ${(err as Error).message} (give --security-opt seccomp=FILE.json, or seccomp=unconfined)`, { profile: text.slice(0, 80) });
  }
  if (typeof raw !== 'object' || raw === null || typeof raw['defaultAction'] !== 'string') {
    throw invalid('SECCOMP_PROFILE_INVALID', 'invalid seccomp profile: it has no defaultAction', { profile: text.slice(0, 80) });
  }
  const held = new Set(capabilities);
  const amd64 = (arches: unknown) => !Array.isArray(arches) || arches.length === 0 || arches.some((a) => a === 'amd64' || a === 'x86_64');
  type DockerRule = LinuxSyscall & { name?: string; includes?: { caps?: string[]; arches?: string[] }; excludes?: { caps?: string[]; arches?: string[] } };
  const rules = ((raw['syscalls'] ?? []) as DockerRule[]).filter((r) =>
    (r.includes?.caps ?? []).every((c) => held.has(c)) && amd64(r.includes?.arches) &&
    !(r.excludes?.caps ?? []).some((c) => held.has(c)) && !(r.excludes?.arches ?? []).some((a) => a === 'amd64'));
  return {
    defaultAction: raw['defaultAction'] as LinuxSeccomp['defaultAction'],
    ...(typeof raw['defaultErrnoRet'] === 'number' ? { defaultErrnoRet: raw['defaultErrnoRet'] } : {}),
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: rules.map((r) => ({
      names: r.names ?? (r.name ? [r.name] : []), action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args?.length ? { args: r.args } : {}),
    })),
  };
}

/** The calls a profile refuses outright or conditionally, for the recipe's readable line. */
export function refusedNames(profile: LinuxSeccomp): string[] {
  const names = new Set<string>();
  for (const r of profile.syscalls ?? []) if (r.action !== 'SCMP_ACT_ALLOW') for (const n of r.names) names.add(r.args?.length ? `${n}(some args)` : n);
  return [...names];
}
