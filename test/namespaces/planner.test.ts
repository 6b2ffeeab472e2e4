// The init planner (chapter 3), without root: the plan for a given spec is exactly the list of
// steps the trace records and the site draws, so it is checked as data, step by step.
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import { planInit, quote, specFromContainer, type Spec } from '../../engine/namespaces/index.js';

function spec(config: Partial<ContainerRecord['Config']> = {}, opts: Parameters<typeof specFromContainer>[0] extends infer A ? Partial<A> : never = {}): Spec {
  const record: ContainerRecord = {
    Id: 'ab'.repeat(32), Created: '', Path: 'sh', Args: [],
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Image: 'sha256:0', Name: '/x', Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: 'box', Domainname: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Image: 'busybox', Env: ['PATH=/bin'], Cmd: ['sh', '-c', 'echo hi'], ...config },
    HostConfig: {}, SnapshotKey: 'k',
  };
  return specFromContainer({ record, image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, ...opts });
}

const INIT = '/opt/dockling/dockling-init';

describe('planInit', () => {
  it('makes every namespace of the spec and lists the steps in order', () => {
    const plan = planInit(spec(), { initPath: INIT });
    expect(plan.unshare).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    expect(plan.join).toEqual([]);
    expect(plan.cgroupProcs).toEqual([]);
    const byName = Object.fromEntries(plan.steps.map((s) => [s.name, s.command]));
    // Each step twice: the command a reader types, and the system calls dockling-init makes.
    expect(plan.steps.slice(0, 5)).toEqual([
      { name: 'make-private', command: 'mount --make-rprivate /', sys: [['mount', '', '/', '', '0x44000', '']] },
      { name: 'bind-root', command: 'mount --rbind rootfs rootfs', sys: [['mount', 'rootfs', 'rootfs', '', '0x5000', '']] },
      { name: 'hostname', command: 'hostname box', sys: [['hostname', 'box']] },
      { name: 'loopback', command: 'ip link set lo up', sys: [['lo-up']] },
      { name: 'mount /proc', command: 'mkdir -p rootfs/proc && mount -t proc -o nosuid,noexec,nodev proc rootfs/proc', sys: [['mkdir', 'rootfs/proc'], ['mount', 'proc', 'rootfs/proc', 'proc', '0xe', '']] },
    ]);
    const sysOf = Object.fromEntries(plan.steps.map((s) => [s.name, s.sys]));
    // tmpfs: nosuid and strictatime are flags, mode and size the filesystem's own data
    expect(sysOf['mount /dev']).toEqual([['mkdir', 'rootfs/dev'], ['mount', 'tmpfs', 'rootfs/dev', 'tmpfs', '0x1000002', 'mode=755,size=65536k']]);
    expect(sysOf['mount /sys']).toEqual([['mkdir', 'rootfs/sys'], ['mount', 'sysfs', 'rootfs/sys', 'sysfs', '0xf', '']]);
    expect(sysOf['device /dev/null']).toEqual([['mknod', 'rootfs/dev/null', '666', 'c', '1', '3']]);
    expect(sysOf['link /dev/fd']).toEqual([['symlink', '/proc/self/fd', 'rootfs/dev/fd']]);
    expect(sysOf['mask /proc/kcore']).toEqual([['mask', 'rootfs/proc/kcore']]);
    expect(sysOf['readonly /proc/sys']).toEqual([['readonly', 'rootfs/proc/sys']]);
    expect(byName['mount /dev']).toBe('mkdir -p rootfs/dev && mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs rootfs/dev');
    expect(byName['mount /sys']).toBe('mkdir -p rootfs/sys && mount -t sysfs -o nosuid,noexec,nodev,ro sysfs rootfs/sys');
    // without sourceIsFile a bind source is taken for a directory (initCommand looks at the file)
    expect(byName['mount /etc/hostname']).toBe('mkdir -p rootfs/etc/hostname && mount --rbind hostname rootfs/etc/hostname');
    expect(byName['device /dev/null']).toBe('mknod -m 666 rootfs/dev/null c 1 3');
    expect(byName['device /dev/tty']).toBe('mknod -m 666 rootfs/dev/tty c 5 0');
    expect(byName['link /dev/fd']).toBe('ln -s /proc/self/fd rootfs/dev/fd');
    expect(byName['mask /proc/kcore']).toBe('if [ -d rootfs/proc/kcore ]; then mount -t tmpfs -o ro,nosuid,nodev,noexec tmpfs rootfs/proc/kcore; elif [ -e rootfs/proc/kcore ]; then mount --bind /dev/null rootfs/proc/kcore; fi');
    expect(byName['readonly /proc/sys']).toBe('if [ -e rootfs/proc/sys ]; then mount --bind rootfs/proc/sys rootfs/proc/sys && mount -o remount,bind,ro rootfs/proc/sys; fi');
    expect(plan.steps.at(-1)).toEqual({
      name: 'exec-init',
      command: `cd rootfs && exec env -i PATH=/bin HOSTNAME=box HOME=/root ${INIT} --uid 0 --gid 0 --cwd / --caps 00000000a80425fb --no-new-privs -- sh -c 'echo hi'`,
      sys: [['env', 'PATH=/bin', 'HOSTNAME=box', 'HOME=/root'], ['init', 'rootfs', '--uid', '0', '--gid', '0', '--cwd', '/', '--caps', '00000000a80425fb', '--no-new-privs', '--', 'sh', '-c', 'echo hi']],
    });
    expect(plan.init).toEqual({ path: INIT, args: ['--uid', '0', '--gid', '0', '--cwd', '/', '--caps', '00000000a80425fb', '--no-new-privs', '--', 'sh', '-c', 'echo hi'], env: ['PATH=/bin', 'HOSTNAME=box', 'HOME=/root'] });
  });

  it('orders the phases: private, root, mounts, devices, links, masks, read-only paths, init', () => {
    const phases = planInit(spec(), { initPath: INIT }).steps.map((s) => s.name.split(' ')[0]);
    // seccomp: the filter, compiled; dockling-init loads it last (test/namespaces/seccomp.test.ts).
    const firsts = [...new Set(phases)];
    expect(firsts).toEqual(['make-private', 'bind-root', 'hostname', 'loopback', 'mount', 'device', 'link', 'mask', 'readonly', 'seccomp', 'exec-init']);
  });

  it('joins namespaces that have a path, enters cgroups, and passes groups, a user and their caps', () => {
    const s = spec({}, { join: { network: '/run/netns/n1' }, user: { uid: 1000, gid: 1000, additionalGids: [10, 50] } });
    const plan = planInit(s, { initPath: INIT, cgroupProcs: ['/sys/fs/cgroup/memory/dockling/x/cgroup.procs'] });
    expect(plan.join).toEqual([{ type: 'network', path: '/run/netns/n1' }]);
    expect(plan.unshare).not.toContain('network');
    expect(plan.steps.map((x) => x.name)).not.toContain('loopback'); // a joined namespace was set up outside
    expect(plan.cgroupProcs).toEqual(['/sys/fs/cgroup/memory/dockling/x/cgroup.procs']);
    expect(plan.init.args.slice(0, 12)).toEqual(['--uid', '1000', '--gid', '1000', '--groups', '10,50', '--cwd', '/', '--caps', '00000000a80425fb', '--effective', '0000000000000000']);
  });

  it('binds files onto files, adds a read-only remount, and makes the root read-only last', () => {
    const s = spec({}, { mounts: [{ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'rprivate'] }, { destination: '/etc/app.conf', type: 'bind', source: '/srv/app.conf', options: ['bind'] }] });
    s.root.readonly = true;
    const plan = planInit(s, { initPath: INIT, sourceIsFile: (src) => src.endsWith('.conf') || src === 'hostname' || src === 'hosts' });
    const byName = Object.fromEntries(plan.steps.map((x) => [x.name, x.command]));
    expect(byName['mount /data']).toBe('mkdir -p rootfs/data && mount --rbind /srv/data rootfs/data && mount -o remount,bind,ro rootfs/data');
    expect(byName['mount /etc/app.conf']).toBe('mkdir -p rootfs/etc && touch rootfs/etc/app.conf && mount --bind /srv/app.conf rootfs/etc/app.conf');
    expect(byName['mount /etc/hosts']).toBe('mkdir -p rootfs/etc && touch rootfs/etc/hosts && mount --rbind hosts rootfs/etc/hosts');
    const sysOf = Object.fromEntries(plan.steps.map((x) => [x.name, x.sys]));
    // a read-only bind is a bind, then a remount: the kernel ignores MS_RDONLY while it binds
    expect(sysOf['mount /data']).toEqual([['mkdir', 'rootfs/data'], ['mount', '/srv/data', 'rootfs/data', '', '0x5000', ''], ['remount', 'rootfs/data', '0x1']]);
    expect(sysOf['mount /etc/app.conf']).toEqual([['mkdir', 'rootfs/etc'], ['touch', 'rootfs/etc/app.conf'], ['mount', '/srv/app.conf', 'rootfs/etc/app.conf', '', '0x1000', '']]);
    expect(plan.steps.at(-3)).toEqual({ name: 'readonly-root', command: 'mount -o remount,bind,ro rootfs', sys: [['remount', 'rootfs', '0x1']] });
  });

  it('does not set the hostname without a UTS namespace of its own (it would be the host\'s)', () => {
    const s = spec();
    s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'uts');
    expect(planInit(s, { initPath: INIT }).steps.map((x) => x.name)).not.toContain('hostname');
  });

  it('refuses a spec without a new mount namespace, or with a user namespace', () => {
    const noMount = spec();
    noMount.linux.namespaces = noMount.linux.namespaces.filter((n) => n.type !== 'mount');
    expect(() => planInit(noMount, { initPath: INIT })).toThrow(expect.objectContaining({ code: 'MOUNT_NAMESPACE_REQUIRED' }));
    const user = spec();
    user.linux.namespaces.push({ type: 'user' });
    expect(() => planInit(user, { initPath: INIT })).toThrow(expect.objectContaining({ code: 'USER_NAMESPACE_UNSUPPORTED' }));
  });

  it('quotes only what the shell would misread', () => {
    expect(quote('rootfs/proc')).toBe('rootfs/proc');
    expect(quote('echo hi')).toBe("'echo hi'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('$HOME')).toBe("'$HOME'");
  });
});
