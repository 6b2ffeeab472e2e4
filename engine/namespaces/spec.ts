// The OCI runtime bundle, chapter 3: a directory with config.json (runtime-spec config.md and
// config-linux.md) and the container's root filesystem. specFromContainer applies Docker's
// defaults — the capability set, the masked and read-only /proc paths, the /proc /dev /sys
// mounts, PATH and HOSTNAME — to a container record, so that dockling's recipe, `runc run` and
// `crun run` all start the same container from the same bundle.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../base/index.js';
import type { ContainerRecord, ScopedPath } from '../unionfs/index.js';
import { resolveInRoot } from '../unionfs/index.js';
import type { ImageConfig } from '../layers/index.js';
import { seccompFor } from './seccomp-profile.js';
import type { Capabilities, LinuxDevice, LinuxNamespace, Resources, Spec, SpecMount, User } from './types.js';

export const OCI_VERSION = '1.0.2';
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// #region capabilities
/** Capability numbers (linux/capability.h): the bit each one is in a mask like CapEff. */
export const CAPABILITY_BITS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5,
  CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

/** Docker's default set (moby oci/caps/defaults.go): root in a container keeps these 14. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/**
 * `--cap-add` / `--cap-drop` (HostConfig.CapAdd, CapDrop) on top of the default set, as Docker
 * reads them: `SYS_ADMIN` or `CAP_SYS_ADMIN`, any case; `ALL` adds every capability, and a drop of
 * `ALL` starts from none (then the adds). A name the kernel does not have is refused.
 */
export function capabilitiesOf(host: Record<string, unknown>): string[] {
  const list = (k: string) => (Array.isArray(host[k]) ? (host[k] as unknown[]).map((c) => String(c).toUpperCase()) : []);
  const norm = (c: string) => (c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`);
  const [add, drop] = [list('CapAdd').map(norm), list('CapDrop').map(norm)];
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && CAPABILITY_BITS[c] === undefined) throw invalid('UNKNOWN_CAPABILITY', `unknown capability: "${c}"`, { capability: c });
  }
  const all = Object.keys(CAPABILITY_BITS);
  const base = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  const added = add.includes('ALL') ? all.filter((c) => !drop.includes(c)) : add;
  return [...base, ...added.filter((c) => !base.includes(c))];
}

/**
 * The capabilities a CapBnd line of /proc/<pid>/status names. A privileged container gets those
 * of the engine itself: no process can hand out a capability it does not hold (capset fails
 * with EPERM), and a host may run its engine without some (this one lacks CAP_SYS_RESOURCE).
 */
export function boundingCapabilities(status: string): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const mask = hex ? BigInt(`0x${hex}`) : (1n << 41n) - 1n;
  return Object.keys(CAPABILITY_BITS).filter((c) => (mask >> BigInt(CAPABILITY_BITS[c]!)) & 1n);
}

/** The 16-hex-digit mask /proc/<pid>/status shows: default set → 00000000a80425fb. */
export function capMask(names: string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITY_BITS[name];
    if (bit === undefined) throw invalid('UNKNOWN_CAPABILITY', `unknown capability: ${name}`, { capability: name });
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}
// #endregion capabilities

// #region docker-defaults
/** /proc and /sys paths a container must not read: a file gets /dev/null over it, a dir an empty tmpfs. */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Paths a container may read but not write: bind-mounted onto themselves, then remounted read-only. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The kernel filesystems every container gets (moby oci/defaults.go), in mount order. */
export const DEFAULT_MOUNTS: SpecMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
];

/** The files the engine writes into the bundle and binds over the image's own (Docker's way). */
export const ETC_FILES: Array<{ destination: string; source: string }> = [
  { destination: '/etc/resolv.conf', source: 'resolv.conf' },
  { destination: '/etc/hostname', source: 'hostname' },
  { destination: '/etc/hosts', source: 'hosts' },
];
// #endregion docker-defaults

/** Replaces `K=…` in `env` or appends it (Docker's ReplaceOrAppendEnvValues). */
function setEnv(env: string[], entry: string): void {
  const key = entry.slice(0, entry.indexOf('=') + 1);
  const i = env.findIndex((e) => e.startsWith(key));
  if (i >= 0) env[i] = entry;
  else env.push(entry);
}

function resourcesOf(host: Record<string, unknown>): Resources | undefined {
  const num = (k: string) => (typeof host[k] === 'number' && (host[k] as number) > 0 ? (host[k] as number) : undefined);
  const r: Resources = {};
  if (num('Memory')) r.memory = { limit: num('Memory') };
  // --cpus=1.5 arrives as NanoCpus=1.5e9: a quota of 150 ms per 100 ms period.
  if (num('NanoCpus')) r.cpu = { quota: Math.round((num('NanoCpus')! * 100_000) / 1e9), period: 100_000 };
  else if (num('CpuQuota')) r.cpu = { quota: num('CpuQuota'), period: num('CpuPeriod') ?? 100_000 };
  if (num('PidsLimit')) r.pids = { limit: num('PidsLimit') };
  return Object.keys(r).length ? r : undefined;
}

// #region spec-from-container
/**
 * A container's config.json. Pure: the user is resolved beforehand (resolveUser reads the
 * image's /etc/passwd), and `mounts` are the volumes and binds asked for on top of the defaults.
 */
export function specFromContainer(args: {
  record: ContainerRecord;
  image: ImageConfig;
  /** root.path: `rootfs` (relative to the bundle) unless told otherwise. */
  rootfs?: string;
  hostname?: string;
  user?: User & { home?: string };
  mounts?: SpecMount[];
  /** Namespaces to join instead of making (a prepared network namespace: { network: path }). */
  join?: Partial<Record<LinuxNamespace['type'], string>>;
  /** Whether to give the container its own cgroup namespace (kernel ≥ 4.6). */
  cgroupNamespace?: boolean;
  /** The host's devices, for a privileged container (host-devices.ts reads them). */
  hostDevices?: LinuxDevice[];
  /** The engine's own capabilities, which a privileged container gets (default: all of them). */
  hostCapabilities?: string[];
}): Spec {
  const { record } = args;
  const config = record.Config;
  const hostname = args.hostname ?? (config.Hostname || record.Id.slice(0, 12));
  const user = args.user ?? { uid: 0, gid: 0 };
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (argv.length === 0) throw invalid('NO_COMMAND', `no command specified for container ${record.Id.slice(0, 12)}`, { id: record.Id });

  // Environment, in Docker's order: PATH, HOSTNAME, TERM, then the config's, then HOME.
  const env = [DEFAULT_PATH, `HOSTNAME=${hostname}`, ...(config.Tty ? ['TERM=xterm'] : [])];
  for (const e of config.Env ?? args.image.config?.Env ?? []) if (e.includes('=')) setEnv(env, e);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${args.user?.home ?? '/root'}`);

  // --privileged (HostConfig.Privileged): every capability (--cap-add and --cap-drop do not
  // matter then, as in Docker), no seccomp filter, nothing masked or read-only, /sys writable,
  // and every device of the host. Root in such a container is root on the host.
  const privileged = record.HostConfig['Privileged'] === true;
  // Docker gives a non-root user the bounding set but no effective or permitted capabilities.
  const caps = privileged ? [...(args.hostCapabilities ?? Object.keys(CAPABILITY_BITS))] : capabilitiesOf(record.HostConfig);
  const capabilities: Capabilities = user.uid === 0
    ? { bounding: [...caps], effective: [...caps], permitted: [...caps] }
    : { bounding: [...caps], effective: [], permitted: [] };

  const kinds: LinuxNamespace['type'][] = ['pid', 'network', 'ipc', 'uts', 'mount', ...(args.cgroupNamespace === false ? [] : ['cgroup' as const])];
  const namespaces = kinds.map((type) => (args.join?.[type] ? { type, path: args.join[type] } : { type }));
  const limits = resourcesOf(record.HostConfig);
  const resources = privileged ? { ...limits, devices: [{ allow: true, access: 'rwm' }] } : limits;
  // Docker's default seccomp profile (or none, or the one asked for): seccomp-profile.ts.
  const seccomp = seccompFor({ hostConfig: record.HostConfig, capabilities: capabilities.bounding });

  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: config.Tty,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids?.length ? { additionalGids: user.additionalGids } : {}), ...(user.username ? { username: user.username } : {}) },
      args: argv,
      env,
      cwd: config.WorkingDir || '/',
      capabilities,
      noNewPrivileges: true,
    },
    root: { path: args.rootfs ?? 'rootfs', readonly: record.HostConfig['ReadonlyRootfs'] === true },
    hostname,
    mounts: [
      ...DEFAULT_MOUNTS.map((m) => ({ ...m, options: privileged && m.destination === '/sys' ? m.options.filter((o) => o !== 'ro') : [...m.options] })),
      ...ETC_FILES.map((f) => ({ destination: f.destination, type: 'bind', source: f.source, options: ['rbind', 'rprivate'] })),
      ...(args.mounts ?? []),
    ],
    linux: {
      namespaces,
      maskedPaths: privileged ? [] : [...MASKED_PATHS],
      readonlyPaths: privileged ? [] : [...READONLY_PATHS],
      cgroupsPath: `/dockling/${record.Id}`,
      ...(resources ? { resources } : {}),
      ...(privileged && args.hostDevices?.length ? { devices: args.hostDevices.map((d) => ({ ...d })) } : {}),
      ...(seccomp ? { seccomp } : {}),
    },
  };
}
// #endregion spec-from-container

// #region bundle
/**
 * Writes the bundle: config.json, and the hostname, hosts and resolv.conf files the spec binds
 * over the image's. The rootfs directory is the caller's: it mounts the container's overlay
 * there (in the host's mount namespace, as containerd does) before any runtime starts.
 */
export async function writeBundle(args: { dir: string; spec: Spec; resolvConf?: string; hosts?: string }): Promise<void> {
  const name = args.spec.hostname ?? '';
  const hosts = args.hosts ??
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n' +
    'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
  await writeFile(join(args.dir, 'hostname'), `${name}\n`);
  await writeFile(join(args.dir, 'hosts'), hosts);
  await writeFile(join(args.dir, 'resolv.conf'), args.resolvConf ?? hostResolvConf());
  // Written anew at every start, so not fsynced: a torn file after a crash is rewritten before use.
  await writeFile(join(args.dir, 'config.json'), JSON.stringify(args.spec, null, 2) + '\n');
}

/** The host's resolv.conf without loopback nameservers, which mean nothing in another network namespace. */
export function hostResolvConf(text?: string): string {
  let src = text;
  if (src === undefined) {
    try {
      src = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      src = '';
    }
  }
  const kept = src.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  return kept.join('\n').replace(/\n*$/, '\n');
}
// #endregion bundle

// #region resolve-user
/**
 * `-u` / the image's USER, as Docker reads it: `name`, `uid`, `name:group`, `uid:gid`, looked up
 * in the container's own /etc/passwd and /etc/group (never the host's). A numeric uid absent from
 * passwd is allowed (gid 0); a name that is absent is an error. Supplementary groups are the
 * groups that list the user as a member.
 */
export async function resolveUser(args: { rootfs: string; user?: string }): Promise<User & { home: string }> {
  const spec = (args.user ?? '').trim();
  const [userPart = '', groupPart] = spec.split(':', 2) as [string, string | undefined];
  const passwd = readTable(resolveInRoot(args.rootfs, '/etc/passwd', { followLast: true }));
  const group = readTable(resolveInRoot(args.rootfs, '/etc/group', { followLast: true }));
  const numeric = (s: string) => /^\d+$/.test(s);

  let uid = 0, gid = 0, home = '/', name: string | undefined;
  const entry = userPart === '' ? passwd.find((p) => p[2] === '0') : passwd.find((p) => (numeric(userPart) ? p[2] === userPart : p[0] === userPart));
  if (entry) {
    [name, uid, gid, home] = [entry[0], Number(entry[2]), Number(entry[3]), entry[5] || '/'];
  } else if (userPart === '') {
    home = '/root';
  } else if (numeric(userPart)) {
    uid = Number(userPart);
  } else {
    throw invalid('USER_NOT_FOUND', `unable to find user ${userPart}: no matching entries in passwd file`, { user: userPart });
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = group.find((row) => (numeric(groupPart) ? row[2] === groupPart : row[0] === groupPart));
    if (g) gid = Number(g[2]);
    else if (numeric(groupPart)) gid = Number(groupPart);
    else throw invalid('GROUP_NOT_FOUND', `unable to find group ${groupPart}: no matching entries in group file`, { group: groupPart });
  }
  const additionalGids = name === undefined ? [] : group
    .filter((row) => (row[3] ?? '').split(',').includes(name!) && Number(row[2]) !== gid)
    .map((row) => Number(row[2]));
  return { uid, gid, home, ...(additionalGids.length ? { additionalGids } : {}), ...(spec ? { username: spec } : {}) };
}

/** Colon-separated rows of a passwd or group file; a missing file is an empty table. */
function readTable(path: ScopedPath): string[][] {
  let text = '';
  try {
    text = readFileSync(path.host, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}
// #endregion resolve-user
