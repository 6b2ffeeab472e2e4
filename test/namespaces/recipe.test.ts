// The recipe (chapter 3), without root: the argv that becomes the container, the steps script
// it runs, and initCommand's mount points resolved inside the root (an image's symlink cannot
// aim a mount at the host).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../engine/unionfs/index.js';
import { findInitHelper, initCommand, planArgv, planInit, specFromContainer, stepsScript, type InitPlan, type Spec } from '../../engine/namespaces/index.js';
import { tempDir } from '../tmp.js';

function spec(): Spec {
  const record: ContainerRecord = {
    Id: 'cd'.repeat(32), Created: '', Path: 'true', Args: [],
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    Image: 'sha256:0', Name: '/x', Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: 'box', Domainname: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Image: 'busybox', Env: ['PATH=/bin'], Cmd: ['true'] },
    HostConfig: {}, SnapshotKey: 'k',
  };
  return specFromContainer({ record, image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
}

const INIT = '/opt/dockling-init';

describe('planArgv', () => {
  it('is unshare around /bin/sh -c <steps>', () => {
    const argv = planArgv(planInit(spec(), { initPath: INIT }));
    expect(argv.slice(0, 12)).toEqual(['unshare', '--fork', '--pid', '--net', '--ipc', '--uts', '--mount', '--cgroup', '--propagation', 'private', '--', '/bin/sh']);
    expect(argv[12]).toBe('-c');
    expect(argv).toHaveLength(14);
  });

  it('enters cgroups first, then joins namespaces with nsenter', () => {
    const s = spec();
    s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: '/run/netns/n 1' } : n));
    const argv = planArgv(planInit(s, { initPath: INIT, cgroupProcs: ['/sys/fs/cgroup/pids/d/x/cgroup.procs', '/sys/fs/cgroup/memory/d/x/cgroup.procs'] }));
    expect(argv.slice(0, 7)).toEqual([
      '/bin/sh', '-c', 'echo $$ > /sys/fs/cgroup/pids/d/x/cgroup.procs && echo $$ > /sys/fs/cgroup/memory/d/x/cgroup.procs && exec "$@"', 'dockling-cgroups',
      'nsenter', '--net=/run/netns/n 1', '--',
    ]);
    expect(argv[7]).toBe('unshare');
    expect(argv).not.toContain('--net');
  });
});

describe('stepsScript', () => {
  const plan: InitPlan = {
    cgroupProcs: [], join: [], unshare: ['mount'],
    steps: [{ name: 'first step', command: 'echo one', sys: [] }, { name: 'second', command: 'false && echo unreachable', sys: [] }, { name: 'third', command: 'echo three', sys: [] }],
    init: { path: INIT, args: [], env: [] },
  };
  const sh = (env: Record<string, string> = {}) => spawnSync('/bin/sh', ['-c', stepsScript(plan)], { env: { PATH: process.env['PATH']!, ...env } });

  it('stops at the first failing step, names it, exits 125', () => {
    const r = sh();
    expect(r.status).toBe(125);
    expect(r.stdout.toString()).toBe('one\n');
    expect(r.stderr.toString()).toBe('dockling: step "second" failed (status 1)\n');
  });

  it('prints each step name with DOCKLING_TRACE_STEPS=1', () => {
    expect(sh({ DOCKLING_TRACE_STEPS: '1' }).stderr.toString()).toBe('dockling-step: first step\ndockling-step: second\ndockling: step "second" failed (status 1)\n');
  });
});

describe('initCommand', () => {
  it('resolves mount points inside the root: an absolute symlink in the image stays in it', async () => {
    const bundle = await tempDir('dockling-recipe-');
    mkdirSync(join(bundle, 'rootfs/data'), { recursive: true });
    symlinkSync('/data', join(bundle, 'rootfs/etc')); // /etc -> /data inside the image
    symlinkSync('/', join(bundle, 'rootfs/up'));
    for (const f of ['hostname', 'hosts', 'resolv.conf']) writeFileSync(join(bundle, f), '');
    const s = spec();
    s.mounts.push({ destination: '/up/vol', type: 'bind', source: '/srv', options: ['rbind'] });
    const { plan } = initCommand({ bundle, spec: s, initPath: INIT });
    const byName = Object.fromEntries(plan.steps.map((x) => [x.name, x.command]));
    expect(byName['mount /etc/hosts']).toBe('mkdir -p rootfs/data && touch rootfs/data/hosts && mount --rbind hosts rootfs/data/hosts');
    expect(byName['mount /up/vol']).toBe('mkdir -p rootfs/vol && mount --rbind /srv rootfs/vol');
    // below /dev the image's files do not matter: the recipe's tmpfs is there
    expect(byName['device /dev/null']).toBe('mknod -m 666 rootfs/dev/null c 1 3');
  });

  it('joins a prepared network namespace when given one', async () => {
    const bundle = await tempDir('dockling-recipe-');
    mkdirSync(join(bundle, 'rootfs'));
    const { argv, plan } = initCommand({ bundle, spec: spec(), initPath: INIT, netnsPath: '/run/netns/n1' });
    expect(plan.join).toEqual([{ type: 'network', path: '/run/netns/n1' }]);
    expect(planArgv(plan).slice(0, 3)).toEqual(['nsenter', '--net=/run/netns/n1', '--']);
    // what the engine runs: dockling-init with the plan it wrote, private to root
    expect(argv).toEqual([INIT, '--plan', join(bundle, 'init.plan')]);
    expect(statSync(join(bundle, 'init.plan')).mode & 0o777).toBe(0o600);
    const fields = readFileSync(join(bundle, 'init.plan'), 'latin1').split('\0');
    expect(fields.slice(0, 8)).toEqual(['join network', 'setns', '2', 'network', '/run/netns/n1', 'unshare', 'unshare', '5']);
  });
});

describe('findInitHelper', () => {
  it('names the packages to install when the helper is missing (INIT_HELPER_MISSING)', () => {
    expect(() => findInitHelper('/nonexistent/dockling-init')).toThrow(expect.objectContaining({ code: 'INIT_HELPER_MISSING', data: expect.objectContaining({ packages: ['gcc', 'libc6-dev'] }) }));
  });
});
