// Chapter 3's runtime on the real kernel: a busybox container made from the offline base image
// is started by the recipe (rootfs, user, network, cgroup, bundle, ports, shim), its output is
// in the log, its exit code in the record, and everything it acquired is gone after its exit:
// no mount under the test's root, no cgroup, no veth or bridge, no process.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContentStore, ImageStore, makeBaseImage } from '../../engine/layers/index.js';
import { ContainerFs, createSnapshotter, type CreateRequest, type ContainerRecord } from '../../engine/unionfs/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { NetworkStore, Runtime, Supervisor, connectContainer, readLog, findInitHelper } from '../../engine/namespaces/index.js';
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
if (skip) console.warn('skipping runtime tests: needs root and the built helpers (npm run build)');

let root = '';
let containers: ContainerFs;
let runtime: Runtime;
/** A second daemon on the same root: a new Runtime over a new Supervisor, as after a restart. */
let restarted: () => Runtime;
let bridge = '';
let networks: NetworkStore;
const made: string[] = [];
/** The `dockling` parent groups that existed before: the ones the runtime made go at the end. */

beforeAll(async () => {
  if (skip) return;
  root = await tempDir('dockling-rt-');
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(root, 'content'), tracer });
  await content.init();
  const images = new ImageStore({ content, tracer });
  await makeBaseImage({ store: images, tmpRoot: join(root, 'tmp'), tag: 'busybox:latest' });
  const snapshotter = await createSnapshotter({ root: join(root, 'snapshots'), tracer });
  containers = new ContainerFs({ root: join(root, 'containers'), snapshotter, images, content, tracer, tmpRoot: join(root, 'tmp') });
  bridge = `dlrt${randomBytes(3).toString('hex')}`;
  networks = new NetworkStore({ stateDir: join(root, 'network'), tracer, defaultSubnet: '10.213.77.0/24', defaultBridge: bridge, userPool: '10.213.128.0/17' });
  await networks.init();
  const supervisor = new Supervisor({ root: join(root, 'run'), tracer });
  const deps = { store: containers.store, snapshotter, networks, tracer, imageConfig: async (r: ContainerRecord) => (await images.resolve(r.Image)).config };
  runtime = new Runtime({ supervisor, ...deps });
  restarted = () => new Runtime({ supervisor: new Supervisor({ root: join(root, 'run'), tracer }), ...deps });
});

afterEach(async () => {
  if (skip) return;
  // Every container a test made is stopped and removed, then nothing of ours may be left.
  for (const id of made.splice(0)) {
    const c = await containers.get(id).catch(() => undefined);
    if (!c) continue;
    if (c.State.Running) await runtime.stop(c, 0);
    const stopped = await containers.get(id);
    await runtime.remove(stopped);
    await containers.remove({ container: id, force: true });
    runtime.removed(stopped);
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(root));
  expect(mounts).toEqual([]);
  expect(existsSync('/sys/fs/cgroup/memory/dockling') ? execFileSync('ls', ['/sys/fs/cgroup/memory/dockling']).toString().split('\n').filter((n) => made.includes(n)) : []).toEqual([]);
  expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(bridge);
});

afterAll(() => {
  runtime?.close();
  // The shared parent cgroups are removed once, at the end of the run (test/global-setup.ts).
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function create(cmd: string[], request: Partial<CreateRequest> = {}): Promise<ContainerRecord> {
  const c = await containers.create({ request: { Image: 'busybox', Cmd: cmd, ...request } as CreateRequest });
  made.push(c.Id);
  return c;
}

async function output(id: string): Promise<string> {
  let out = '';
  for await (const e of readLog({ path: runtime.logPath(id) })) out += e.line.toString();
  return out;
}

async function runToEnd(cmd: string[], request: Partial<CreateRequest> = {}): Promise<{ code: number; out: string; record: ContainerRecord }> {
  const c = await create(cmd, request);
  const waiting = runtime.wait(c.Id, 'next-exit');
  await runtime.start(c);
  const { StatusCode } = await waiting;
  return { code: StatusCode, out: await output(c.Id), record: await containers.get(c.Id) };
}

describe.skipIf(skip)('Runtime', () => {
  it('runs echo: output in the log, exit 0 in the record, hostname = the short id', async () => {
    const r = await runToEnd(['sh', '-c', 'echo hi; hostname; echo err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.out).toBe(`hi\n${r.record.Id.slice(0, 12)}\nerr\n`);
    expect(r.record.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3, OOMKilled: false, Pid: 0 });
  });

  it('stop: SIGTERM ignored by pid 1 (no handler) escalates to SIGKILL → 137', async () => {
    const c = await create(['sleep', '100']);
    await runtime.start(c);
    const running = await containers.get(c.Id);
    expect(running.State).toMatchObject({ Status: 'running', Running: true });
    const t0 = Date.now();
    await runtime.stop(running, 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await containers.get(c.Id)).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
  });

  it('a SIGKILL from outside the daemon is still 137: State.Pid is pid 1 itself, the shim its parent', async () => {
    const c = await create(['sleep', '100']);
    await runtime.start(c);
    const waiting = runtime.wait(c.Id, 'next-exit');
    const pid = (await containers.get(c.Id)).State.Pid;
    expect(pid).toBeGreaterThan(1);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u0000100\u0000');
    // its parent is the shim (a subreaper: dockling-init forked pid 1 and left)
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(readFileSync(`/proc/${ppid}/cmdline`, 'utf8')).toContain('dockling-shim');
    process.kill(pid, 'SIGKILL');
    expect((await waiting).StatusCode).toBe(137);
  });

  it('-m 8m: a memory hog is OOM-killed → 137 and OOMKilled', async () => {
    const r = await runToEnd(['sh', '-c', 'x=a; while true; do x="$x$x"; done'], { HostConfig: { Memory: 8 * 1024 * 1024, MemorySwap: 8 * 1024 * 1024 } } as Partial<CreateRequest>);
    expect(r.code).toBe(137);
    expect(r.record.State.OOMKilled).toBe(true);
  });

  it('--pids-limit 5: fork fails past the limit', async () => {
    const r = await runToEnd(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait; echo done'], { HostConfig: { PidsLimit: 5 } } as Partial<CreateRequest>);
    expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: "sh: can't fork: Resource temporarily unavailable\n" });
  });

  it('--network none: lo only', async () => {
    const r = await runToEnd(['ls', '/sys/class/net'], { HostConfig: { NetworkMode: 'none' } } as Partial<CreateRequest>);
    expect(r.out.trim()).toBe('lo');
  });

  it('two containers on the bridge reach each other; a published port answers on 127.0.0.1', async () => {
    const port = 20000 + (process.pid % 20000);
    const server = await create(['sh', '-c', 'while true; do echo pong | nc -l -p 80; done'], {
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    } as Partial<CreateRequest>);
    await runtime.start(server);
    const net = await runtime.network(server.Id);
    expect(net?.ip).toMatch(/^10\.213\.77\./);
    expect(net?.ports).toEqual([{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'tcp' }]);
    const ping = await runToEnd(['ping', '-c1', '-W2', net!.ip!]);
    expect(ping.code).toBe(0);
    expect(ping.out).toContain('1 packets received');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.end('ping\n'));
      let got = '';
      s.on('data', (b) => (got += b));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    expect(reply).toBe('pong\n');
  });

  // Found by the crash tests (a build killed while a RUN step's container started): the undo
  // list of a start lives in the daemon's memory, so a daemon killed midway left the process,
  // the cgroup, the network namespace and the mounted root with nobody to release them.
  it('a start the daemon was killed in is undone by the next daemon: process, cgroup, network namespace, root', async () => {
    const c = await create(['sleep', '600']);
    await runtime.start(c);
    const started = await containers.get(c.Id);
    const pid = started.State.Pid;
    const dir = join(root, 'run', c.Id);
    // What a daemon killed after the shim launched pid 1, before "running" was saved, leaves.
    await containers.store.save({ ...started, State: { ...started.State, Status: 'created', Running: false, Pid: 0 } });
    writeFileSync(join(dir, 'starting'), '');
    const netns = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(c.Id) && l.includes('netns'));
    expect(netns).toHaveLength(1);
    const next = restarted();
    try {
      await next.adopt();
    } finally {
      next.close();
    }
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(dir, 'starting'))).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(c.Id))).toEqual([]);
    expect((await containers.get(c.Id)).State).toMatchObject({ Status: 'created', Running: false });
  });

  // Found by the long crash run (25 kills per operation): a bridge was left on the host. An
  // endpoint whose container is gone, and a bridge no endpoint is on, are released at start.
  it('the next daemon releases an endpoint whose container is gone, then the bridge no one is on', async () => {
    const ghost = randomBytes(32).toString('hex'); // a container id the store never had
    const net = await connectContainer({ networks, containerId: ghost, name: 'ghost', network: 'bridge', stateDir: networks.stateDir });
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).toContain(bridge);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(net.netnsPath!);
    const next = restarted();
    try {
      await next.adopt();
    } finally {
      next.close();
    }
    expect(await networks.endpoints()).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(net.netnsPath!);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(bridge);
    expect((await networks.record('bridge')).BridgePlan).toBeNull();
  });

  it('start of a missing command: the error says "executable file not found", exit 127 recorded', async () => {
    const c = await create(['nope']);
    const message = 'failed to create task for container: exec: "nope": executable file not found in $PATH';
    await expect(runtime.start(c)).rejects.toMatchObject({ code: 'CONTAINER_EXEC_FAILED', message });
    // Found missing before anything ran (as runc does): the container stays created, like dockerd's.
    expect((await containers.get(c.Id)).State).toMatchObject({ Status: 'created', Running: false, ExitCode: 127, Error: message });
  });

  it('start of a file that is not executable: permission denied, exit 126 recorded', async () => {
    const c = await create(['/etc/passwd']);
    await expect(runtime.start(c)).rejects.toMatchObject({ code: 'CONTAINER_EXEC_FAILED', message: 'failed to create task for container: exec: "/etc/passwd": permission denied' });
    expect((await containers.get(c.Id)).State).toMatchObject({ Status: 'created', ExitCode: 126 });
  });
});
