// The default seccomp profile, chapter 3: which system calls a container may make, written as
// the runtime-spec's linux.seccomp (config-linux.md "Seccomp") so that runc and crun load the
// same filter dockling-init loads (seccomp.ts compiles it to BPF for dockling-init).
//
// An ALLOW-list, as Docker's is: the default action is "fail with EPERM", and the profile names
// the calls a container may make. It is built from two tables. The x86_64 system call table
// (syscalls-x86_64.ts) says which calls exist; the table below, DEFAULT_DENIED, says which of
// them a container may not make, and why — 77 calls in 26 rows, which a reader can hold in mind,
// and each row is a lesson in what a container must not reach. Allowed = the first table minus
// the second (about 285 calls). A call this profile has never heard of (one a newer kernel
// added) is refused: the list fails closed (with ENOSYS, see seccomp.ts). Capabilities remain the main wall — most rows are calls the kernel already
// refuses without a capability the container lacks; the filter is the second wall, and the only
// one for calls that need no capability at all: keyctl (the keyring is not namespaced),
// unshare(CLONE_NEWUSER) (any user may make a user namespace, and inside it the kernel's
// less-travelled code is reachable), userfaultfd, io_uring, personality(ADDR_NO_RANDOMIZE).
//
// As in Docker, a row marked `unlessCap` goes away when the container holds that capability
// (so adding CAP_SYS_ADMIN re-allows mount and unshare), and `--privileged` or
// `--security-opt seccomp=unconfined` load no filter at all.
import { invalid } from '../base/index.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';
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
  /**
   * Refused only in part: the call is still allowed when its arguments match one of these
   * (each a list of comparisons that must all hold, at most one per argument: runc and crun
   * read two comparisons of one argument as "either"). Written as what is allowed, as Docker's
   * profile does, because libseccomp (in runc and crun) cannot order an "allow" and a
   * "refuse" rule for the same call: rules with one action only, then the default.
   */
  allowedWhen?: SeccompArg[][];
  /** EPERM unless said. */
  errno?: number;
}

/** clone(2)'s namespace flags (linux/sched.h): each one makes a new namespace. */
const CLONE_NEWNS_ALL = 0x00020000 /* NEWNS */ | 0x02000000 /* NEWCGROUP */ | 0x04000000 /* NEWUTS */ |
  0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */ | 0x40000000; /* NEWNET */
/** personality(2) bits a container may not set (linux/personality.h); 0xffffffff only asks. */
const ADDR_NO_RANDOMIZE = 0x0040000;
const READ_IMPLIES_EXEC = 0x0400000;
/** (argument & mask) == value. */
const masked = (index: number, mask: number, value: number): SeccompArg => ({ index, value: mask, valueTwo: value, op: 'SCMP_CMP_MASKED_EQ' });
const eq = (index: number, value: number): SeccompArg => ({ index, value, op: 'SCMP_CMP_EQ' });
/** A file type in mknod's mode (sys/stat.h): S_IFMT picks it out. */
const [S_IFMT, S_IFREG, S_IFCHR, S_IFIFO, S_IFSOCK] = [0o170000, 0o100000, 0o020000, 0o010000, 0o140000];
/** Device nodes. Docker lets CAP_MKNOD make any device and its device cgroup refuses opening
 *  all but /dev/null and friends; dockling has no device cgroup, so the filter refuses making
 *  them: mknod may make a file, a fifo, a socket, or a character device 0/0 (an overlay
 *  whiteout). mknod's mode is argument 1 and dev argument 2; mknodat's are 2 and 3. */
const DEVICE_NODES: DeniedCalls[] = ([['mknod', 1], ['mknodat', 2]] as const).map(([name, mode]) => ({
  names: [name], why: 'device nodes: raw access to the host\'s disks, /dev/mem, terminals (no device cgroup here)',
  allowedWhen: [[masked(mode, S_IFMT, 0)], [masked(mode, S_IFMT, S_IFREG)], [masked(mode, S_IFMT, S_IFIFO)], [masked(mode, S_IFMT, S_IFSOCK)],
    [masked(mode, S_IFMT, S_IFCHR), eq(mode + 1, 0)]],
}));
/** Socket families (linux/socket.h) Docker refuses: AF_ALG (38) and AF_VSOCK (40). Allowed:
 *  below 38, 39 (AF_NFC) and 41–45 (AF_KCM … AF_MCTP) named one by one; a newer family is
 *  refused, as a newer call is. Compared as 64-bit numbers, so a family with high bits set (the
 *  kernel reads only the low 32) matches no rule and is refused too. One comparison per
 *  argument in each rule: runc and crun read two comparisons of one argument as "either". */
const SOCKET_FAMILIES: SeccompArg[][] = [[{ index: 0, value: 38, op: 'SCMP_CMP_LT' }], ...[39, 41, 42, 43, 44, 45].map((f) => [eq(0, f)])];

// #region seccomp-denied
/**
 * What Docker's default profile refuses, and why (docs.docker.com "Seccomp security profiles",
 * "Significant syscalls blocked by the default profile"). Where dockling differs, a row says so.
 * Not here, as in Docker since kernel 4.8: ptrace and process_vm_readv/writev. Before 4.8 a
 * tracer could change a call after seccomp had checked it; now the kernel checks again. Tracing
 * a process outside the container is still out of reach: the pid namespace hides it and, for
 * other users' processes, CAP_SYS_PTRACE is missing.
 */
export const DEFAULT_DENIED: DeniedCalls[] = [
  { names: ['keyctl', 'add_key', 'request_key'], why: 'the kernel keyring is not namespaced: keys of the host and of other containers' },
  { names: ['mount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr'], why: 'mounting: rearranging the filesystem the container was given', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['unshare', 'setns'], why: 'new or other namespaces; unshare(CLONE_NEWUSER) needs no capability at all', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['clone'], why: 'clone with a CLONE_NEW… flag: a new namespace, as unshare', unlessCap: ['CAP_SYS_ADMIN'], allowedWhen: [[masked(0, CLONE_NEWNS_ALL, 0)]] },
  { names: ['clone3'], why: 'its flags are in memory, where a filter cannot look: ENOSYS makes libc fall back to clone', unlessCap: ['CAP_SYS_ADMIN'], errno: ENOSYS },
  { names: ['sethostname', 'setdomainname'], why: 'the UTS namespace\'s names: only with CAP_SYS_ADMIN, as in Docker', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise'], why: 'comparing, taking and advising other processes\' files and memory: ptrace\'s cousins', unlessCap: ['CAP_SYS_PTRACE'] },
  { names: ['init_module', 'finit_module', 'delete_module'], why: 'loading code into the shared kernel', unlessCap: ['CAP_SYS_MODULE'] },
  { names: ['create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl', 'getpmsg', 'putpmsg', 'afs_syscall', 'tuxcall', 'security', 'vserver', 'epoll_ctl_old', 'epoll_wait_old'], why: 'obsolete or never implemented: old attack surface nobody needs' },
  { names: ['kexec_load', 'kexec_file_load', 'reboot'], why: 'replacing or rebooting the host kernel', unlessCap: ['CAP_SYS_BOOT'] },
  { names: ['bpf'], why: 'BPF programs run in the kernel', unlessCap: ['CAP_SYS_ADMIN', 'CAP_BPF'] },
  { names: ['perf_event_open'], why: 'performance counters leak what the host and other containers do', unlessCap: ['CAP_SYS_ADMIN', 'CAP_PERFMON'] },
  { names: ['userfaultfd'], why: 'pausing the kernel mid-copy: a favourite tool of exploits', unlessCap: ['CAP_SYS_PTRACE'] },
  { names: ['open_by_handle_at', 'name_to_handle_at'], why: 'file handles reach files outside the container\'s root (the "shocker" escape)', unlessCap: ['CAP_DAC_READ_SEARCH'] },
  { names: ['swapon', 'swapoff', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'fanotify_init'], why: 'host-wide settings and watches', unlessCap: ['CAP_SYS_ADMIN'] },
  { names: ['acct'], why: 'process accounting is host-wide', unlessCap: ['CAP_SYS_PACCT'] },
  { names: ['settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'], why: 'the clock is not namespaced: one for the whole host', unlessCap: ['CAP_SYS_TIME'] },
  { names: ['move_pages', 'mbind', 'set_mempolicy', 'migrate_pages', 'get_mempolicy', 'set_mempolicy_home_node'], why: 'memory placement across the host\'s NUMA nodes', unlessCap: ['CAP_SYS_NICE'] },
  { names: ['iopl', 'ioperm'], why: 'raw I/O ports: hardware', unlessCap: ['CAP_SYS_RAWIO'] },
  { names: ['syslog'], why: 'the kernel log is host-wide', unlessCap: ['CAP_SYSLOG'] },
  { names: ['vhangup'], why: 'hanging up terminals', unlessCap: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'], why: 'a second way into most of the kernel, where a filter cannot see the calls' },
  { names: ['socket'], why: 'AF_ALG (the kernel\'s crypto API, a recent source of kernel bugs) and AF_VSOCK (talking to the hypervisor): refused as in Docker', allowedWhen: SOCKET_FAMILIES },
  ...DEVICE_NODES,
  { names: ['personality'], why: 'turning off address randomization (setarch -R) or making data executable; Docker allows only a few values, dockling any without these bits',
    allowedWhen: [[masked(0, ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC, 0)], [eq(0, 0xffffffff)]] },
];
// #endregion seccomp-denied

// #region default-seccomp
/**
 * The default profile for a container whose bounding set is `capabilities`: every call of the
 * x86_64 table, minus the rows above that apply. A row refused outright is simply not named (the
 * default action refuses it); a row refused in part becomes ALLOW rules with its arguments; a
 * row with its own errno (clone3) is named with it.
 */
export function defaultSeccomp(capabilities: string[]): LinuxSeccomp {
  const held = new Set(capabilities);
  const rows = DEFAULT_DENIED.filter((row) => !row.unlessCap?.some((c) => held.has(c)));
  const denied = new Set(rows.flatMap((row) => row.names));
  const allowed = Object.keys(SYSCALLS_X86_64).filter((name) => !denied.has(name));
  const syscalls: LinuxSyscall[] = [{ names: allowed, action: 'SCMP_ACT_ALLOW' }];
  for (const row of rows) {
    for (const args of row.allowedWhen ?? []) syscalls.push({ names: [...row.names], action: 'SCMP_ACT_ALLOW', args: args.map((a) => ({ ...a })) });
    if (row.errno !== undefined && row.errno !== EPERM) syscalls.push({ names: [...row.names], action: 'SCMP_ACT_ERRNO', errnoRet: row.errno });
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: ['SCMP_ARCH_X86_64'], syscalls };
}
// #endregion default-seccomp

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

/**
 * The calls of the x86_64 table a profile does not simply allow, in number order, for the
 * recipe's readable line: `keyctl`, or `clone(some args)` when only some arguments are allowed.
 */
export function refusedNames(profile: LinuxSeccomp): string[] {
  const rules = profile.syscalls ?? [];
  const out: string[] = [];
  for (const name of Object.keys(SYSCALLS_X86_64)) {
    const mine = rules.filter((r) => r.names.includes(name));
    const plain = mine.find((r) => !r.args?.length);
    const action = plain && mine.indexOf(plain) === 0 ? plain.action : mine.length ? undefined : profile.defaultAction;
    if (action === undefined) out.push(`${name}(some args)`);
    else if (action !== 'SCMP_ACT_ALLOW') out.push(name);
  }
  return out;
}
