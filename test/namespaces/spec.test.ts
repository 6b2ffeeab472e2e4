// The OCI bundle (chapter 3): Docker's defaults in config.json, users resolved from the image's
// own /etc/passwd and /etc/group, and the files writeBundle leaves in the bundle.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import type { ImageConfig } from '../../engine/layers/index.js';
import { capMask, DEFAULT_CAPABILITIES, hostResolvConf, resolveUser, specFromContainer, writeBundle } from '../../engine/namespaces/index.js';
import { tempDir } from '../tmp.js';

const image: ImageConfig = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } };

function record(config: Partial<ContainerRecord['Config']> = {}, host: Record<string, unknown> = {}): ContainerRecord {
  return {
    Id: 'c0ffee'.padEnd(64, '0'), Created: '', Path: 'sh', Args: [],
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Image: 'sha256:0', Name: '/x', Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: 'c0ffee000000', Domainname: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Image: 'busybox', Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], ...config },
    HostConfig: host, SnapshotKey: 'k',
  };
}

describe('specFromContainer', () => {
  it("applies Docker's defaults", () => {
    const spec = specFromContainer({ record: record({ Entrypoint: ['/entry'], Cmd: ['a', 'b'], WorkingDir: '/w' }), image });
    expect(spec.ociVersion).toBe('1.0.2');
    expect(spec.process.args).toEqual(['/entry', 'a', 'b']);
    expect(spec.process.cwd).toBe('/w');
    expect(spec.process.env).toEqual(['PATH=/bin', 'HOSTNAME=c0ffee000000', 'A=1', 'HOME=/root']);
    expect(spec.hostname).toBe('c0ffee000000');
    expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
    expect(capMask(spec.process.capabilities.bounding)).toBe('00000000a80425fb');
    expect(spec.process.capabilities.effective).toEqual(DEFAULT_CAPABILITIES);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.mounts.map((m) => `${m.destination} ${m.type}`)).toEqual([
      '/proc proc', '/dev tmpfs', '/dev/pts devpts', '/sys sysfs', '/dev/mqueue mqueue', '/dev/shm tmpfs',
      '/etc/resolv.conf bind', '/etc/hostname bind', '/etc/hosts bind',
    ]);
    expect(spec.mounts.find((m) => m.destination === '/sys')!.options).toContain('ro');
    expect(spec.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }]);
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(spec.linux.cgroupsPath).toBe(`/dockling/${'c0ffee'.padEnd(64, '0')}`);
    expect(spec.linux.resources).toBeUndefined();
  });

  it('turns HostConfig limits into resources, joins given namespaces, and gives non-root no effective caps', () => {
    const spec = specFromContainer({
      record: record({}, { Memory: 33554432, NanoCpus: 1.5e9, PidsLimit: 64, ReadonlyRootfs: true }), image,
      user: { uid: 65534, gid: 65534 }, join: { network: '/run/netns/x' }, cgroupNamespace: false,
    });
    expect(spec.linux.resources).toEqual({ memory: { limit: 33554432 }, cpu: { quota: 150000, period: 100000 }, pids: { limit: 64 } });
    expect(spec.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/x' });
    expect(spec.linux.namespaces.map((n) => n.type)).not.toContain('cgroup');
    expect(spec.root.readonly).toBe(true);
    expect(spec.process.capabilities.effective).toEqual([]);
    expect(spec.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES);
  });

  it('refuses a container with no command (NO_COMMAND) and an unknown capability (UNKNOWN_CAPABILITY)', () => {
    expect(() => specFromContainer({ record: record({ Cmd: [], Entrypoint: null }), image })).toThrow(expect.objectContaining({ code: 'NO_COMMAND' }));
    expect(() => capMask(['CAP_NOPE'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_CAPABILITY' }));
  });
});

describe('resolveUser', () => {
  async function root(): Promise<string> {
    const r = await tempDir('dockling-user-');
    mkdirSync(join(r, 'etc'));
    writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\napp:x:1000:1000::/srv/app:/bin/sh\n');
    writeFileSync(join(r, 'etc/group'), 'root:x:0:\nwheel:x:10:root,app\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n');
    return r;
  }

  it.each([
    ['', { uid: 0, gid: 0, home: '/root', additionalGids: [10] }],
    ['nobody', { uid: 65534, gid: 65534, home: '/home', username: 'nobody' }],
    ['app', { uid: 1000, gid: 1000, home: '/srv/app', additionalGids: [10, 50], username: 'app' }],
    ['1000:staff', { uid: 1000, gid: 50, home: '/srv/app', additionalGids: [10], username: '1000:staff' }],
    ['4242', { uid: 4242, gid: 0, home: '/', username: '4242' }],
    ['4242:4343', { uid: 4242, gid: 4343, home: '/', username: '4242:4343' }],
  ])('-u %j', async (user, expected) => {
    expect(await resolveUser({ rootfs: await root(), user })).toEqual(expected);
  });

  it('refuses unknown names (USER_NOT_FOUND, GROUP_NOT_FOUND)', async () => {
    const r = await root();
    await expect(resolveUser({ rootfs: r, user: 'ghost' })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(resolveUser({ rootfs: r, user: 'app:ghosts' })).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });

  it("reads the image's passwd even through an absolute symlink, never the host's", async () => {
    const r = await tempDir('dockling-user-');
    mkdirSync(join(r, 'etc'));
    mkdirSync(join(r, 'data'));
    writeFileSync(join(r, 'data/passwd'), 'only:x:7:7::/:/bin/sh\n');
    symlinkSync('/data/passwd', join(r, 'etc/passwd'));
    expect((await resolveUser({ rootfs: r, user: 'only' })).uid).toBe(7);
    await expect(resolveUser({ rootfs: r, user: 'root' })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });
});

describe('writeBundle', () => {
  it('writes config.json and the files bound over /etc', async () => {
    const dir = await tempDir('dockling-bundle-');
    const spec = specFromContainer({ record: record(), image, hostname: 'web' });
    await writeBundle({ dir, spec, resolvConf: 'nameserver 192.0.2.1\n' });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(spec);
    expect(readFileSync(join(dir, 'hostname'), 'utf8')).toBe('web\n');
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe('nameserver 192.0.2.1\n');
  });

  it("drops loopback nameservers from the host's resolv.conf", () => {
    expect(hostResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\n')).toBe('nameserver 10.0.0.2\nsearch lan\n');
  });
});
