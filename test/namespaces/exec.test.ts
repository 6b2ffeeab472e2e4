// Chapter 3's exec on the real kernel: a second process joins a running busybox container —
// its pid namespace (ps shows the container's pid 1), its hostname, its files, its
// capabilities, its users — and its exit code comes back. planExec is checked as data first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContentStore, ImageStore, makeBaseImage } from '../../engine/layers/index.js';
import { ContainerFs, createSnapshotter, type CreateRequest, type ContainerRecord } from '../../engine/unionfs/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { NetworkStore, Runtime, Supervisor, findInitHelper, planExec, startExec, type ExecConfig, type Spec, type TerminalSize } from '../../engine/namespaces/index.js';
import { tempDir } from '../tmp.js';

const isRoot = process.getuid?.() === 0;
const helper = (() => {
  try {
    return findInitHelper();
  } catch {
    return undefined;
  }
})();
const skip = !isRoot || !helper;

describe('planExec', () => {
  const spec = {
    process: { env: ['PATH=/bin', 'HOME=/root'], cwd: '/app', noNewPrivileges: true, user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: [], permitted: [] }, args: ['sleep'] },
    linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] },
  } as unknown as Spec;

  it('cgroups first, then nsenter into pid 1\'s namespaces, then the helper in exec mode', () => {
    const plan = planExec({ spec, pid: 42, cgroupProcs: ['/sys/fs/cgroup/pids/dockling/c/cgroup.procs'], user: { uid: 0, gid: 0 }, config: { cmd: ['ls', '/'] } });
    expect(plan.argv).toEqual([
      '/bin/sh', '-c', 'echo $$ > /sys/fs/cgroup/pids/dockling/c/cgroup.procs && exec "$@"', 'dockling-exec',
      'nsenter', '--target', '42', '--pid', '--net', '--mount', '--root', '--wd', '--',
      '/proc/self/fd/3', '--no-pivot', '--uid', '0', '--gid', '0', '--cwd', '/app', '--caps', '0000000000000021', '--effective', '0000000000000021', '--no-new-privs', '--', 'ls', '/',
    ]);
    expect(plan.env).toEqual({ PATH: '/bin', HOME: '/root' });
  });

  it('-e overrides, -u sets HOME and drops effective capabilities, -w the cwd', () => {
    const config: ExecConfig = { cmd: ['id'], env: ['A=1', 'PATH=/x'], user: 'nobody', workingDir: '/tmp' };
    const plan = planExec({ spec, pid: 1, cgroupProcs: [], user: { uid: 65534, gid: 65534, home: '/home' }, config });
    expect(plan.argv[0]).toBe('nsenter');
    expect(plan.argv.join(' ')).toContain('--uid 65534 --gid 65534 --cwd /tmp --caps 0000000000000021 --effective 0000000000000000');
    expect(plan.env).toEqual({ PATH: '/x', HOME: '/home', A: '1' });
  });

  it('-t: dockling-pty (fd 4) inside the namespaces, before the helper: size, owner, resize fd; TERM=xterm', () => {
    const plan = planExec({ spec, pid: 7, cgroupProcs: [], user: { uid: 1000, gid: 1000 }, config: { cmd: ['sh'] }, tty: { rows: 30, cols: 100 } });
    const at = plan.argv.indexOf('--wd') + 2;
    expect(plan.argv.slice(at, at + 10)).toEqual(['/proc/self/fd/4', '--size', '30x100', '--owner', '1000', '--resize', '5', '--', '/proc/self/fd/3', '--no-pivot']);
    expect(plan.argv.slice(-2)).toEqual(['--', 'sh']);
    expect(plan.env).toEqual({ PATH: '/bin', HOME: '/root', TERM: 'xterm' });
    // the container's own TERM, then -e, win over the default
    const withTerm = { ...spec, process: { ...spec.process, env: [...spec.process.env, 'TERM=vt100'] } } as Spec;
    expect(planExec({ spec: withTerm, pid: 7, cgroupProcs: [], user: { uid: 0, gid: 0 }, config: { cmd: ['sh'] }, tty: { rows: 0, cols: 0 } }).env.TERM).toBe('vt100');
    expect(planExec({ spec, pid: 7, cgroupProcs: [], user: { uid: 0, gid: 0 }, config: { cmd: ['sh'], env: ['TERM=dumb'] }, tty: { rows: 0, cols: 0 } }).env.TERM).toBe('dumb');
  });
});

let root = '';
let containers: ContainerFs;
let runtime: Runtime;
let bridge = '';
let web: ContainerRecord;

beforeAll(async () => {
  if (skip) return;
  root = await tempDir('dockling-exec-');
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(root, 'content'), tracer });
  await content.init();
  const images = new ImageStore({ content, tracer });
  await makeBaseImage({ store: images, tmpRoot: join(root, 'tmp'), tag: 'busybox:latest' });
  const snapshotter = await createSnapshotter({ root: join(root, 'snapshots'), tracer });
  containers = new ContainerFs({ root: join(root, 'containers'), snapshotter, images, content, tracer, tmpRoot: join(root, 'tmp') });
  bridge = `dlex${randomBytes(3).toString('hex')}`;
  const networks = new NetworkStore({ stateDir: join(root, 'network'), tracer, defaultSubnet: '10.213.78.0/24', defaultBridge: bridge, userPool: '10.213.128.0/17' });
  await networks.init();
  const supervisor = new Supervisor({ root: join(root, 'run'), tracer });
  runtime = new Runtime({ supervisor, store: containers.store, snapshotter, networks, tracer, imageConfig: async (r) => (await images.resolve(r.Image)).config });
  web = await containers.create({ request: { Image: 'busybox', Cmd: ['sh', '-c', 'echo inside > /tmp/f; exec sleep 100'] } as CreateRequest });
  await runtime.start(web);
  web = await containers.get(web.Id);
});

afterAll(async () => {
  if (skip) return;
  const c = await containers.get(web.Id);
  if (c.State.Running) await runtime.stop(c, 0);
  const stopped = await containers.get(web.Id);
  await runtime.remove(stopped);
  await containers.remove({ container: web.Id, force: true });
  runtime.close();
  expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(root))).toEqual([]);
  expect(existsSync(`/sys/fs/cgroup/pids/dockling/${web.Id}`)).toBe(false);
  expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(bridge);
  // The shared parent cgroups are removed once, at the end of the run (test/global-setup.ts).
});

async function exec(config: ExecConfig, input?: string, tty?: TerminalSize): Promise<{ code: number; out: string; err: string }> {
  const t = await runtime.target(web);
  const p = await startExec({ bundle: t.bundle, pid: t.pid, cgroup: t.cgroup, config, stdin: input !== undefined, tty });
  let out = '';
  let err = '';
  p.stdout.on('data', (b: Buffer) => (out += b));
  p.stderr.on('data', (b: Buffer) => (err += b));
  p.stdin?.end(input);
  return { code: await p.exited, out, err };
}

describe.skipIf(skip)('exec in a running container', () => {
  it('sees the container\'s pid namespace: ps lists its pid 1', async () => {
    const r = await exec({ cmd: ['ps', '-o', 'pid,args'] });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s*1 sleep 100$/m);
  });

  it('has the container\'s hostname, files and cgroup', async () => {
    const r = await exec({ cmd: ['sh', '-c', 'hostname; cat /tmp/f; cat /proc/self/cgroup | grep pids'] });
    const [hostname, file, cgroup] = r.out.split('\n');
    expect([hostname, file]).toEqual([web.Id.slice(0, 12), 'inside']);
    expect(cgroup).toMatch(/^\d+:pids:\/$/); // the root of its cgroup namespace: the container's group
  });

  it('holds Docker\'s default capabilities (CapEff a80425fb), none as -u nobody', async () => {
    expect((await exec({ cmd: ['grep', 'CapEff', '/proc/self/status'] })).out).toBe('CapEff:\t00000000a80425fb\n');
    const nobody = await exec({ cmd: ['sh', '-c', 'id -u; grep CapEff /proc/self/status'], user: 'nobody' });
    expect(nobody.out).toBe('65534\nCapEff:\t0000000000000000\n');
  });

  it('-e, -w and stdin', async () => {
    expect((await exec({ cmd: ['sh', '-c', 'echo $A; pwd'], env: ['A=1'], workingDir: '/etc' })).out).toBe('1\n/etc\n');
    expect((await exec({ cmd: ['cat'] }, 'piped\n')).out).toBe('piped\n');
  });

  it('-t: a terminal from the container\'s own devpts, of the size asked, owned by the -u user; one output stream', async () => {
    const script = 'tty; stty size; ls -ln $(tty); echo $(ls /dev/pts); echo to-stderr >&2; exit 3';
    const r = await exec({ cmd: ['sh', '-c', script], user: 'nobody' }, undefined, { rows: 20, cols: 70 });
    expect(r.code).toBe(3);
    expect(r.err).toBe(''); // the terminal has one stream: stderr came out on it
    const [tty, size, ls, pts, stderr] = r.out.split('\r\n');
    // the only terminal of the container's devpts instance (the host's has others)
    expect(tty).toBe('/dev/pts/0');
    expect(pts).toBe('0 ptmx');
    expect(size).toBe('20 70');
    expect(ls).toMatch(/^crw--w---- +1 65534 +5 /); // owner nobody, group tty (devpts gid=5)
    expect(stderr).toBe('to-stderr');
  });

  it('-t: resize gives the running process a new size and SIGWINCH; ^C typed is SIGINT', async () => {
    const t = await runtime.target(web);
    const script = 'trap "stty size" WINCH; echo ready; while :; do sleep 0.1; done';
    const p = await startExec({ bundle: t.bundle, pid: t.pid, cgroup: t.cgroup, config: { cmd: ['sh', '-c', script] }, stdin: true, tty: { rows: 10, cols: 40 } });
    let out = '';
    const waiting = new Set<() => void>();
    p.stdout.on('data', (b: Buffer) => {
      out += b;
      for (const w of waiting) w();
    });
    const shown = (pattern: RegExp) => new Promise<void>((resolve) => {
      const check = () => pattern.test(out) && waiting.delete(check) && resolve();
      waiting.add(check);
      check();
    });
    await shown(/ready\r\n/);
    p.resize({ rows: 50, cols: 160 });
    await shown(/50 160\r\n/);
    p.stdin!.write('\x03');
    expect(await p.exited).toBe(130);
    expect(out).toBe('ready\r\n50 160\r\n^C');
  });

  it('exit code 7; 127 for a missing command', async () => {
    expect((await exec({ cmd: ['sh', '-c', 'exit 7'] })).code).toBe(7);
    const missing = await exec({ cmd: ['nope'] });
    expect(missing.code).toBe(127);
    expect(missing.err).toContain('dockling-init: exec: nope');
  });
});
