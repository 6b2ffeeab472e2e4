// The init planner, chapter 3: from a bundle's config.json to the InitPlan that starts it — the
// namespaces to make or join, and the recipe of named steps that builds the container's world
// inside them (runtime-spec config.md "Mounts", config-linux.md "Default Devices", "Masked
// Paths", "Readonly Paths"). Pure: no file is read, nothing is run; recipe.ts turns the plan
// into the command, and the trace and the site show exactly these steps.
//
// Every command is relative to the bundle directory, so a step reads like what a reader would
// type there:  mount -t proc -o nosuid,noexec,nodev proc rootfs/proc
import { invalid } from '../base/index.js';
import { bpfHex, compileSeccomp } from './seccomp.js';
import { refusedNames } from './seccomp-profile.js';
import { capMask } from './spec.js';
import type { InitPlan, InitStep, LinuxDevice, NamespaceType, Spec, SpecMount } from './types.js';

// #region namespace-flags
/** Each namespace kind as unshare(1) and nsenter(1) spell it (`network` is `--net`). */
export const NAMESPACE_FLAGS: Record<NamespaceType, string> = {
  pid: '--pid', network: '--net', mount: '--mount', ipc: '--ipc', uts: '--uts', user: '--user', cgroup: '--cgroup',
};
// #endregion namespace-flags

/** The devices every container gets (config-linux.md "Default Devices"), made with mknod in its /dev tmpfs. */
export const DEFAULT_DEVICES: LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666 },
];

/** The symlinks a /dev is expected to have (runc and crun make the same ones). */
export const DEV_LINKS: Array<[link: string, target: string]> = [
  ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'], ['/dev/ptmx', 'pts/ptmx'], ['/dev/core', '/proc/kcore'],
];

/** Options that say how a mount propagates, not how it is made: the whole namespace is private already. */
const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);

// #region mount-flags
/** mount(2)'s flag bits (linux/mount.h), for the options mount(8) turns into flags, not data. */
export const MS = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, SYNCHRONOUS: 0x10, REMOUNT: 0x20, MANDLOCK: 0x40, DIRSYNC: 0x80,
  NOATIME: 0x400, NODIRATIME: 0x800, BIND: 0x1000, REC: 0x4000, PRIVATE: 0x40000, RELATIME: 0x200000, STRICTATIME: 0x1000000,
} as const;

const FLAG_OPTIONS: Record<string, number> = {
  ro: MS.RDONLY, rw: 0, nosuid: MS.NOSUID, suid: 0, nodev: MS.NODEV, dev: 0, noexec: MS.NOEXEC, exec: 0,
  sync: MS.SYNCHRONOUS, async: 0, mand: MS.MANDLOCK, dirsync: MS.DIRSYNC, noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME, relatime: MS.RELATIME, strictatime: MS.STRICTATIME, bind: MS.BIND, rbind: MS.BIND | MS.REC, defaults: 0,
};

/** `-o a,b,c` as mount(8) splits it: the flag bits, and the rest as the filesystem's own data. */
export function mountFlags(options: string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (PROPAGATION.has(o)) continue;
    if (o in FLAG_OPTIONS) flags |= FLAG_OPTIONS[o]!;
    else data.push(o);
  }
  return { flags, data: data.join(',') };
}
// #endregion mount-flags

/** Flags as the plan file writes them: hex, as linux/mount.h does. */
const hex = (n: number) => `0x${n.toString(16)}`;

/** Quotes a word for /bin/sh only when it needs it, so most steps stay as typed. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_/.,:=+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface PlanOptions {
  /** The static helper's path on the host (init-helper.ts finds it). */
  initPath: string;
  /** cgroup.procs files to enter before unsharing (from the cgroup planner). */
  cgroupProcs?: string[];
  /** Where a destination is, relative to the bundle; default rootfs + destination. The executor
   *  passes a resolver that follows the image's symlinks inside the root, never out of it. */
  target?: (destination: string) => string;
  /** Whether a bind source is a file (its mount point is then a file, made with touch). */
  sourceIsFile?: (source: string) => boolean;
}

// #region plan-init
export function planInit(spec: Spec, opts: PlanOptions): InitPlan {
  const join = spec.linux.namespaces.filter((n) => n.path).map((n) => ({ type: n.type, path: n.path! }));
  const unshare = spec.linux.namespaces.filter((n) => !n.path).map((n) => n.type);
  if (!unshare.includes('mount')) throw invalid('MOUNT_NAMESPACE_REQUIRED', 'the container needs a new mount namespace to build its root in', { namespaces: spec.linux.namespaces });
  if (unshare.includes('user') || join.some((n) => n.type === 'user')) throw invalid('USER_NAMESPACE_UNSUPPORTED', 'user namespaces are not supported yet', {});

  const root = spec.root.path.replace(/\/+$/, '');
  const at = opts.target ?? ((dest: string) => `${root}${dest === '/' ? '' : dest}`);
  const steps: InitStep[] = [];
  const step = (name: string, command: string, sys: string[][]) => steps.push({ name, command, sys });

  // 1. nothing done in here may reach the host: propagation private, before any mount.
  step('make-private', 'mount --make-rprivate /', [['mount', '', '/', '', hex(MS.REC | MS.PRIVATE), '']]);
  // 2. pivot_root needs the new root to be a mount point: bind it onto itself.
  step('bind-root', `mount --rbind ${quote(root)} ${quote(root)}`, [['mount', root, root, '', hex(MS.BIND | MS.REC), '']]);
  if (spec.hostname && unshare.includes('uts')) step('hostname', `hostname ${quote(spec.hostname)}`, [['hostname', spec.hostname]]);
  // A new network namespace has only `lo`, and it is down (a joined one was set up outside).
  if (unshare.includes('network')) step('loopback', 'ip link set lo up', [['lo-up']]);
  // 3. the spec's mounts, in its order (/proc, /dev, /dev/pts, /sys, …, /etc files, volumes).
  for (const m of spec.mounts) step(`mount ${m.destination}`, ...mountCommand(m, at(m.destination), opts.sourceIsFile));
  // 4. /dev: a fresh tmpfs holds only the devices a container may use, and the usual links.
  if (spec.mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs')) {
    const devices = [...DEFAULT_DEVICES, ...(spec.linux.devices ?? []).filter((d) => !DEFAULT_DEVICES.some((x) => x.path === d.path))];
    for (const d of devices) {
      const mode = (d.fileMode ?? 0o666).toString(8);
      const node: [string, string[][]] = [`mknod -m ${mode} ${quote(at(d.path))} ${d.type} ${d.major} ${d.minor}`, [['mknod', at(d.path), mode, d.type, String(d.major), String(d.minor)]]];
      // A device in a directory of its own (--privileged's /dev/net/tun): the directory first.
      const dir = d.path.slice(0, d.path.lastIndexOf('/'));
      if (dir !== '/dev') step(`device ${d.path}`, `mkdir -p ${quote(at(dir))} && ${node[0]}`, [['mkdir', at(dir)], ...node[1]]);
      else step(`device ${d.path}`, ...node);
    }
    for (const [link, target] of DEV_LINKS) step(`link ${link}`, `ln -s ${target} ${quote(at(link))}`, [['symlink', target, at(link)]]);
    // With a terminal (-t), stdin is the pty slave the shim made. It comes from the host's devpts,
    // not from the container's new /dev/pts instance, so no name in the container leads to it:
    // bind it onto /dev/console, as runc does, and `tty` (ttyname) finds it there. mount(8)
    // follows the /proc/self/fd/0 link to the slave; the host's /dev/pts is still in view here.
    if (spec.process.terminal) step('console', `touch ${quote(at('/dev/console'))} && mount --bind /proc/self/fd/0 ${quote(at('/dev/console'))}`, [['touch', at('/dev/console')], ['mount', '/proc/self/fd/0', at('/dev/console'), '', hex(MS.BIND), '']]);
  }
  // 5. masked paths: /dev/null over a file, an empty read-only tmpfs over a directory; the kernel
  //    decides which is which, and a path this kernel lacks is skipped (runc does the same).
  for (const p of spec.linux.maskedPaths) {
    const t = quote(at(p));
    step(`mask ${p}`, `if [ -d ${t} ]; then mount -t tmpfs -o ro,nosuid,nodev,noexec tmpfs ${t}; elif [ -e ${t} ]; then mount --bind /dev/null ${t}; fi`, [['mask', at(p)]]);
  }
  // 6. read-only paths: a bind onto itself, then a remount of that one mount read-only.
  for (const p of spec.linux.readonlyPaths) {
    const t = quote(at(p));
    step(`readonly ${p}`, `if [ -e ${t} ]; then mount --bind ${t} ${t} && mount -o remount,bind,ro ${t}; fi`, [['readonly', at(p)]]);
  }
  if (spec.root.readonly) step('readonly-root', `mount -o remount,bind,ro ${quote(root)}`, [['remount', root, hex(MS.RDONLY)]]);
  // 7. the seccomp filter, compiled to BPF here; dockling-init keeps it and loads it as its very
  //    last act before the exec (after pivot_root, capabilities and setuid, which it forbids
  //    nothing of). As a command it is only a note: a shell cannot load a filter for its child.
  if (spec.linux.seccomp) {
    const refused = refusedNames(spec.linux.seccomp);
    // The default profile refuses ~85 of the table's calls: short enough to read. A profile of
    // your own that allows a few calls only is said the other way round.
    const what = refused.length <= 150 ? `refuses ${refused.join(' ')}` : `allows only the profile's list (default ${spec.linux.seccomp.defaultAction})`;
    step('seccomp', `: seccomp, loaded by dockling-init just before exec: ${quote(what)}`, [['seccomp', bpfHex(compileSeccomp(spec.linux.seccomp))]]);
  }
  // 8. the helper: pivot_root into the new root, drop capabilities, become the user, exec.
  const init = initArgs(spec, opts.initPath);
  step('exec-init', `cd ${quote(root)} && exec env -i ${init.env.map(quote).join(' ')} ${[init.path, ...init.args].map(quote).join(' ')}`, [['env', ...init.env], ['init', root, ...init.args]]);
  return { cgroupProcs: [...(opts.cgroupProcs ?? [])], join, unshare, steps, init };
}
// #endregion plan-init

/**
 * One spec mount as mkdir + mount(8): `mount -t TYPE -o OPTS SOURCE TARGET`, or a (read-only)
 * bind — and the same as plan records. A read-only bind takes two calls, as in mount(8): the
 * kernel ignores MS_RDONLY when it makes a bind, so it is a remount afterwards.
 */
function mountCommand(m: SpecMount, target: string, sourceIsFile?: (source: string) => boolean): [string, string[][]] {
  const t = quote(target);
  const options = m.options.filter((o) => !PROPAGATION.has(o));
  const isBind = m.type === 'bind' || options.includes('bind') || options.includes('rbind');
  if (!isBind) {
    const o = options.length ? ` -o ${options.join(',')}` : '';
    const { flags, data } = mountFlags(options);
    return [`mkdir -p ${t} && mount -t ${m.type}${o} ${quote(m.source)} ${t}`, [['mkdir', target], ['mount', m.source, target, m.type, hex(flags), data]]];
  }
  const isFile = sourceIsFile?.(m.source) ?? false;
  const parent = target.slice(0, target.lastIndexOf('/')) || '/';
  const point = isFile ? `mkdir -p ${quote(parent)} && touch ${t}` : `mkdir -p ${t}`;
  const rec = options.includes('rbind');
  const bind = `mount ${rec ? '--rbind' : '--bind'} ${quote(m.source)} ${t}`;
  const ro = options.includes('ro');
  const sys = [...(isFile ? [['mkdir', parent], ['touch', target]] : [['mkdir', target]]), ['mount', m.source, target, '', hex(MS.BIND | (rec ? MS.REC : 0)), '']];
  if (ro) sys.push(['remount', target, hex(MS.RDONLY)]);
  return [`${point} && ${bind}${ro ? ` && mount -o remount,bind,ro ${t}` : ''}`, sys];
}

/** dockling-init's argv and the container's environment (see dockling-init.c for the flags). */
function initArgs(spec: Spec, path: string): InitPlan['init'] {
  const p = spec.process;
  const caps = capMask(p.capabilities.bounding);
  const effective = capMask(p.capabilities.effective);
  const args = ['--uid', String(p.user.uid), '--gid', String(p.user.gid)];
  if (p.user.additionalGids?.length) args.push('--groups', p.user.additionalGids.join(','));
  args.push('--cwd', p.cwd, '--caps', caps);
  if (effective !== caps) args.push('--effective', effective);
  if (p.noNewPrivileges) args.push('--no-new-privs');
  args.push('--', ...p.args);
  return { path, args, env: [...p.env] };
}
