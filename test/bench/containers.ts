// Chapter 3's benchmarks: containers started by a real `dockling daemon`, against the OCI
// runtimes and podman doing the same work, both measured in this run, alternating, medians.
// Each comparison prints one line:
//   bench <name>: <ours> vs <peer> = <ratio>x (target <= <goal>)
//
//  1. one container running /bin/true through the API (create, start, wait, delete over the
//     unix socket, no CLI start-up, --network none) vs `runc run` / `crun run` of a bundle with
//     the same busybox rootfs, and vs the floor `unshare -fpmuin --mount-proc chroot ROOTFS`;
//  2. the CLI: `dockling run --rm --network none busybox true` vs `podman run --rm --network none`
//     of the same image (imported into podman from a `dockling save` archive);
//  3. N detached `sleep 3600` containers (N = 100, 1000) through the API: time to start them all,
//     the supervisors' PSS per container — dockling-shim, the only process of ours between the
//     daemon and the container's pid 1 (dockling-init forks pid 1 and leaves it to the shim,
//     as conmon holds a runc container) — and how many run at once; podman
//     `run -d` (N = 100 only: it takes ~0.26 s per container to start and as long to remove).
//
// Runs alone as `node dist/test/bench/containers.js` (or from run.ts). Needs root, runc, crun,
// unshare and a static busybox; installs podman with apt-get if missing (never in CI). Every
// container, mount and cgroup it makes is removed before it exits; processes are killed by pid.
// Host quirks: crun refuses cgroup v1 "hybrid" hosts whose cgroup2 mount offers a controller, so
// hugetlb is moved to v1 for the single-container part and put back (as the tests do); podman is
// pointed at runc for the same reason, and its default rlimits above our hard limits are pinned
// to the hard ones.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdHugetlbForCrun } from '../namespaces/hybrid-cgroups.js';
import { median, must, sleep, timed } from './common.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/engine/cli/main.js');
const W = join(process.env.DOCKLING_BENCH_DIR ?? '/tmp/dockling-bench', 'containers');
const RUNS = Number(process.env.DOCKLING_BENCH_CONTAINER_RUNS ?? 11);
const PODMAN_RUNS = Number(process.env.DOCKLING_BENCH_PODMAN_RUNS ?? 7);
const MANY = (process.env.DOCKLING_BENCH_MANY ?? '100,1000').split(',').filter(Boolean).map(Number);
/** Requests in flight while starting many containers (a client pool, like `xargs -P`). */
const PARALLEL = Number(process.env.DOCKLING_BENCH_PARALLEL ?? 16);
const PODMAN_MANY = Number(process.env.DOCKLING_BENCH_PODMAN_MANY ?? 100);
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox';
/** Parent groups the runtimes make on first start (ours, and podman's cgroupfs manager), deepest first. */
const HIERARCHIES = ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'net_cls', 'perf_event', 'pids', 'systemd', 'unified', 'hugetlb'];
const CGROUP_PARENTS = ['dockling', 'libpod_parent/conmon', 'libpod_parent'].flatMap((g) => HIERARCHIES.map((h) => `/sys/fs/cgroup/${h}/${g}`));

// ---------------------------------------------------------------- small helpers

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : `${v.toFixed(0)}ms`);

function line(name: string, ours: string, peer: string, ratio: number, goal: string): void {
  console.log(`bench ${name}: ${ours} vs ${peer} = ${ratio.toFixed(2)}x (target <= ${goal})`);
}

function sh(cmd: string): string {
  return spawnSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout ?? '';
}

function pssOf(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Runs `fn` over `items` with at most `width` in flight. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

// ---------------------------------------------------------------- the daemon and its API

interface Api { status: number; text: string; json: <T = any>() => T }

function api(sock: string, method: string, path: string, body?: unknown): Promise<Api> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: sock, method, path, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolvePromise({ status: res.statusCode!, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface Daemon { sock: string; dataRoot: string; child: ChildProcess; stop(): Promise<void> }

async function startDaemon(dir: string): Promise<Daemon> {
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'd.sock');
  const child = spawn(process.execPath, [MAIN, 'daemon', '--data-root', dataRoot, '-H', `unix://${sock}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited early:\n${log}`);
    if (existsSync(sock) && (await api(sock, 'GET', '/_ping').then((r) => r.status === 200, () => false))) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`daemon did not come up:\n${log}`); }
    await sleep(50);
  }
  return { sock, dataRoot, child, stop };
}

async function create(sock: string, cmd: string[]): Promise<string> {
  const r = await api(sock, 'POST', '/v1.50/containers/create', { Image: 'busybox:latest', Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.json<{ Id: string }>().Id;
}

async function startIt(sock: string, id: string): Promise<void> {
  const r = await api(sock, 'POST', `/v1.50/containers/${id}/start`);
  if (r.status !== 204) throw new Error(`start: ${r.status} ${r.text}`);
}

async function remove(sock: string, id: string): Promise<void> {
  const r = await api(sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
  if (r.status !== 204 && r.status !== 404) throw new Error(`delete: ${r.status} ${r.text}`);
}

/** One `docker run` without the CLI: create, wait (asked before start, as the CLI does), start, delete. */
async function apiRunTrue(sock: string): Promise<number> {
  const t0 = performance.now();
  const id = await create(sock, ['/bin/true']);
  const waited = api(sock, 'POST', `/v1.50/containers/${id}/wait`);
  await startIt(sock, id);
  const w = await waited;
  await remove(sock, id);
  const t = performance.now() - t0;
  if (w.status !== 200 || w.json<{ StatusCode: number }>().StatusCode !== 0) throw new Error(`wait: ${w.status} ${w.text}`);
  return t;
}

// ---------------------------------------------------------------- the peers' bundle and podman

/** A static busybox with its applet links: the runc/crun bundle's rootfs and the floor's chroot. */
function prepareRootfs(): { rootfs: string; bundle: string } {
  const rootfs = join(W, 'rootfs');
  const bundle = join(W, 'bundle');
  if (!existsSync(join(rootfs, '.complete'))) {
    sh(`rm -rf ${rootfs} && mkdir -p ${rootfs}/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,var,run} && chmod 1777 ${rootfs}/tmp`);
    sh(`cp ${BUSYBOX} ${rootfs}/bin/busybox && chroot ${rootfs} /bin/busybox --install -s`);
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(rootfs, '.complete'), '');
  }
  if (!existsSync(join(bundle, 'config.json'))) {
    sh(`rm -rf ${bundle} && mkdir -p ${bundle} && cp -a ${rootfs} ${bundle}/rootfs && cd ${bundle} && runc spec`);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['/bin/true'];
    spec.root.readonly = true;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  }
  return { rootfs, bundle };
}

let runSeq = 0;
const runtimeRun = (runtime: 'runc' | 'crun', bundle: string) => timed(runtime, ['run', '--bundle', bundle, `dkl-bench-${runtime}-${process.pid}-${runSeq++}`]);

/** podman with its own storage under W, runc (crun refuses this host), cgroupfs, file events. */
interface Podman { argv: string[]; env: Record<string, string>; image: string; note: string }

async function preparePodman(daemon: Daemon): Promise<Podman | string> {
  if (spawnSync('podman', ['--version']).status !== 0) {
    const policy = sh('apt-cache policy podman');
    console.log(`  podman missing; apt-cache policy podman: ${policy.split('\n').slice(1, 3).map((l) => l.trim()).join('; ')}`);
    const inst = spawnSync('apt-get', ['install', '-y', '-qq', 'podman'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (inst.status !== 0 || spawnSync('podman', ['--version']).status !== 0) return `apt-get install -y podman failed: ${(inst.stderr ?? '').trim().split('\n').pop()}`;
  }
  const dir = join(W, 'podman');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  // root here lacks CAP_SYS_RESOURCE: podman's default nofile/nproc (1048576/4194304) above our
  // hard limits make every start fail, so the container ulimits are pinned to the hard limits.
  const nofile = sh('ulimit -Hn').trim();
  let nproc = sh('ulimit -Hu').trim();
  if (nproc === 'unlimited' || Number(nproc) > 32768) nproc = '32768';
  writeFileSync(join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n`);
  const argv = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'overlay'];
  const env = { CONTAINERS_CONF: join(dir, 'containers.conf') };
  const archive = join(W, 'busybox-save.tar');
  await must(process.execPath, [MAIN, 'save', '-o', archive, 'busybox:latest'], { DOCKLING_HOST: `unix://${daemon.sock}` });
  const loaded = await timed('podman', [...argv, 'load', '-i', archive], env);
  if (loaded.code !== 0) return `podman load failed: ${loaded.stderr.trim().split('\n').pop()}`;
  const image = /Loaded image(?:\(s\))?: (\S+)/.exec(loaded.stdout)?.[1] ?? 'docker.io/library/busybox:latest';
  const probe = await timed('podman', [...argv, 'run', '--rm', '--pull', 'never', '--network', 'none', image, 'true'], env);
  if (probe.code !== 0) return `podman run failed: ${probe.stderr.trim().split('\n').pop()}`;
  const version = (await timed('podman', ['--version'])).stdout.trim();
  return { argv, env, image, note: `${version}, runtime runc, cgroupfs, overlay, own storage in ${dir}` };
}

/**
 * Unmounts what podman left under its storage (its overlay driver bind-mounts its own home),
 * once the `podman container cleanup` processes conmon starts at each exit have finished (they
 * mount it again).
 */
async function unmountUnder(dir: string): Promise<void> {
  for (let i = 0; i < 200 && sh(`ps -eo args`).split("\n").some((l) => l.includes(dir) && !l.startsWith("ps ")); i++) await sleep(100);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(dir + '/'));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
}

// ---------------------------------------------------------------- profile from the trace

/** Median `ms` of each span op under container.start, and of start→exit, from the daemon's trace. */
function profile(dataRoot: string): string {
  const file = join(dataRoot, 'trace', 'events.jsonl');
  if (!existsSync(file)) return 'no trace';
  const events = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; span: string; parent: string | null; op: string; phase: string; ms?: number; data?: any });
  const starts = new Set(events.filter((e) => e.op === 'container.start' && e.phase === 'end').map((e) => e.span));
  const byOp = new Map<string, number[]>();
  const add = (op: string, v: number) => { if (!byOp.has(op)) byOp.set(op, []); byOp.get(op)!.push(v); };
  for (const e of events) {
    if (e.phase !== 'end' || e.ms === undefined) continue;
    if (e.op === 'container.start' || (e.parent && starts.has(e.parent))) add(e.op, e.ms);
    else if (e.op === 'net.disconnect' || e.op === 'container.remove' || e.op === 'snapshot.remove') add(e.op, e.ms);
    else if (e.op === 'http.request') add(`http ${(e.data as any)?.status ?? ''}`, e.ms);
  }
  // From the shim's start to the exit the daemon saw: the recipe (sh, unshare, dockling-init) + /bin/true.
  const shimAt = new Map<string, number>();
  for (const e of events) if (e.op === 'shim.started') shimAt.set(e.data?.stateDir?.split('/').pop(), e.t);
  for (const e of events) if (e.op === 'process.exit' && e.phase === 'start' && shimAt.has(e.data?.id)) add('shim→exit seen', e.t - shimAt.get(e.data.id)!);
  const order = ['container.start', 'overlay.mount', 'net.connect', 'cgroup.create', 'process.start', 'shim→exit seen', 'net.disconnect', 'container.remove'];
  return order.filter((op) => byOp.has(op)).map((op) => `${op} ${median(byOp.get(op)!).toFixed(1)}`).join(', ');
}

// ---------------------------------------------------------------- the benchmarks

async function oneContainer(daemon: Daemon, podman: Podman | string, bundle: string, rootfs: string): Promise<void> {
  // crun 1.8 refuses a cgroup v1 "hybrid" host whose cgroup2 mount offers a controller (main()
  // moves hugetlb for this part when it can; when it cannot, crun is reported as skipped).
  const crunProbe = await runtimeRun('crun', bundle);
  const crunSkip = crunProbe.code === 0 ? null : crunProbe.stderr.trim().split('\n').pop() ?? `exit ${crunProbe.code}`;
  const runcProbe = await runtimeRun('runc', bundle);
  if (runcProbe.code !== 0) throw new Error(`runc run failed: ${runcProbe.stderr}`);
  const floor = () => timed('unshare', ['-fpmuin', '--mount-proc', 'chroot', rootfs, '/bin/true']);
  await apiRunTrue(daemon.sock); // warm-up (first container, first cgroup parents)
  await floor();
  const ours: number[] = [];
  const runc: number[] = [];
  const crun: number[] = [];
  const fl: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    ours.push(await apiRunTrue(daemon.sock));
    const a = await runtimeRun('runc', bundle);
    if (a.code !== 0) throw new Error(`runc: ${a.stderr}`);
    runc.push(a.ms);
    if (!crunSkip) crun.push((await runtimeRun('crun', bundle)).ms);
    fl.push((await floor()).ms);
  }
  const o = median(ours);
  line('api-run-true-vs-runc', ms(o), ms(median(runc)), o / median(runc), '1.0');
  if (crunSkip) console.log(`bench api-run-true-vs-crun: skipped (crun refuses this host without remounting hugetlb to cgroup v1: "${crunSkip}")`);
  else line('api-run-true-vs-crun', ms(o), ms(median(crun)), o / median(crun), 'report');
  line('api-run-true-vs-unshare-floor', ms(o), ms(median(fl)), o / median(fl), 'report');
  console.log(`  (${RUNS} runs each, alternating; ours = create+wait+start+delete over the socket, --network none; runc = \`runc run\` of a read-only busybox bundle from \`runc spec\`)`);
  console.log(`  (our profile, median ms from the daemon's trace: ${profile(daemon.dataRoot)})`);

  // The CLI: a whole `dockling run` process against a whole `podman run` process.
  if (typeof podman === 'string') {
    console.log(`bench cli-run-true: skipped (${podman})`);
    return;
  }
  const cliOurs: number[] = [];
  const cliPodman: number[] = [];
  const env = { DOCKLING_HOST: `unix://${daemon.sock}` };
  for (let r = 0; r < PODMAN_RUNS; r++) {
    cliOurs.push((await must(process.execPath, [MAIN, 'run', '--rm', '--network', 'none', 'busybox', 'true'], env)).ms);
    cliPodman.push((await must('podman', [...podman.argv, 'run', '--rm', '--pull', 'never', '--network', 'none', podman.image, 'true'], podman.env)).ms);
  }
  const c = median(cliOurs);
  line('cli-run-true', ms(c), ms(median(cliPodman)), c / median(cliPodman), '0.4');
  console.log(`  (${PODMAN_RUNS} runs each, alternating; \`dockling run --rm --network none busybox true\` vs \`podman run --rm --network none\` of the image from \`dockling save\` | \`podman load\`; ${podman.note})`);
}

interface ManyResult { n: number; totalMs: number; running: number; pssKiB: number[] }

/** N detached `sleep 600` containers through the API; measured, then all removed. */
async function manyOurs(daemon: Daemon, n: number, report: (r: ManyResult) => void): Promise<void> {
  const ids: string[] = [];
  try {
    const t0 = performance.now();
    await pool(Array.from({ length: n }, (_, i) => i), PARALLEL, async () => {
      const id = await create(daemon.sock, ['sleep', '3600']);
      ids.push(id);
      await startIt(daemon.sock, id);
    });
    const totalMs = performance.now() - t0;
    await sleep(2000); // let lazily touched pages settle, as the peer script does
    const list = (await api(daemon.sock, 'GET', '/v1.50/containers/json')).json<Array<{ Id: string; State: string }>>();
    const running = list.filter((c) => ids.includes(c.Id) && c.State === 'running').length;
    const pssKiB = ids.map((id) => {
      const start = JSON.parse(readFileSync(join(daemon.dataRoot, 'run', id, 'start.json'), 'utf8')) as { shimPid: number };
      return pssOf(start.shimPid);
    }).filter((v) => !Number.isNaN(v));
    report({ n, totalMs, running, pssKiB }); // before the removal, which can take minutes at N=1000
  } finally {
    const t0 = performance.now();
    await pool(ids, PARALLEL, (id) => remove(daemon.sock, id).catch((err) => console.error(`  remove ${id}: ${err.message}`)));
    console.log(`  (removed ${ids.length} of ours in ${ms(performance.now() - t0)})`);
  }
}

async function manyPodman(podman: Podman, n: number): Promise<ManyResult> {
  const ids: string[] = [];
  const tag = `dkl-bench-${process.pid}`;
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await must('podman', [...podman.argv, 'run', '-d', '--pull', 'never', '--network', 'none', '--name', `${tag}-${i}`, podman.image, 'sleep', '600'], podman.env);
      ids.push(r.stdout.trim());
    }
    const totalMs = performance.now() - t0;
    await sleep(2000);
    const inspect = await must('podman', [...podman.argv, 'inspect', '--format', '{{.State.Running}} {{.State.ConmonPid}}', ...ids], podman.env);
    const rows = inspect.stdout.trim().split('\n').map((l) => l.split(' '));
    const running = rows.filter((r) => r[0] === 'true').length;
    const pssKiB = rows.map((r) => pssOf(Number(r[1]))).filter((v) => !Number.isNaN(v));
    return { n, totalMs, running, pssKiB };
  } finally {
    const t0 = performance.now();
    // By the ids (and names) this run made, in batches.
    const names = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
    for (let i = 0; i < names.length; i += 50) await timed('podman', [...podman.argv, 'rm', '-f', '-i', '-t', '0', ...names.slice(i, i + 50)], podman.env);
    console.log(`  (removed ${n} podman containers in ${ms(performance.now() - t0)})`);
  }
}

async function manyContainers(daemon: Daemon, podman: Podman | string): Promise<void> {
  const hardNofile = Number(sh('ulimit -Hn').trim());
  console.log(`  (detached: our client keeps ${PARALLEL} create+start requests in flight; podman: one \`podman run -d\` after another, as in the peer script; nofile hard limit ${hardNofile}, pid_max ${readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()})`);
  let peer: ManyResult | null = null;
  if (typeof podman !== 'string' && PODMAN_MANY > 0) {
    peer = await manyPodman(podman, PODMAN_MANY);
    const sum = peer.pssKiB.reduce((a, b) => a + b, 0);
    console.log(`  (podman N=${peer.n}: all started in ${ms(peer.totalMs)}, ${(peer.totalMs / peer.n).toFixed(0)} ms each; ${peer.running} running; conmon PSS ${(sum / peer.pssKiB.length).toFixed(0)} KiB each)`);
  }
  for (const n of MANY) {
    await manyOurs(daemon, n, (r) => {
      const each = r.totalMs / r.n;
    const sum = r.pssKiB.reduce((a, b) => a + b, 0);
    const pssEach = sum / Math.max(1, r.pssKiB.length);
    console.log(`  (ours N=${n}: all started in ${ms(r.totalMs)}, ${each.toFixed(1)} ms each; ${r.running} running; shim PSS ${pssEach.toFixed(0)} KiB each over ${r.pssKiB.length} shims; no other process of ours per container)`);
    if (peer) {
      const peerEach = peer.totalMs / peer.n;
      const note = n === peer.n ? '' : `-vs-podman-${peer.n}`;
      line(`start-detached-${n}${note} (per container)`, `${each.toFixed(1)}ms`, `${peerEach.toFixed(0)}ms`, each / peerEach, '0.25');
    } else {
      console.log(`bench start-detached-${n}: skipped (${typeof podman === 'string' ? podman : 'DOCKLING_BENCH_PODMAN_MANY=0'})`);
    }
    line(`supervisor-pss-per-container-${n}`, `${pssEach.toFixed(0)}KiB`, '200KiB', pssEach / 200, '1.0');
    // wanted/running: 1.00x when every container ran at once, above 1 for each one missing.
    line(`containers-running-${n}`, String(r.running), String(n), n / Math.max(1, r.running), '1.0');
    });
  }
  if (peer) console.log(`  (podman measured at N=${peer.n} only: ~0.26 s per start and as much per removal make N=1000 take ~9 minutes)`);
}

async function main(): Promise<void> {
  mkdirSync(W, { recursive: true });
  const parentsBefore = CGROUP_PARENTS.filter((p) => existsSync(p));
  const { rootfs, bundle } = prepareRootfs();
  const daemon = await startDaemon(join(W, `daemon-${process.pid}`));
  try {
    const base = await api(daemon.sock, 'POST', '/dockling/base-image?tag=busybox:latest');
    if (base.status !== 201) throw new Error(`base-image: ${base.status} ${base.text}`);
    const podman = await preparePodman(daemon).catch((err: Error) => `podman set-up failed: ${err.message}`);
    // crun refuses this hybrid cgroup machine unless hugetlb leaves cgroup2: moved for this part
    // only, and put back (the tests' own helper: test/namespaces/hybrid-cgroups.ts).
    const hold = holdHugetlbForCrun(true);
    if (hold.status.state !== 'as-is') console.log(`  (crun: ${hold.status.state === 'moved' ? 'hugetlb moved to cgroup v1 for the single-container runs, put back after' : hold.status.reason})`);
    try {
      await oneContainer(daemon, podman, bundle, rootfs);
    } finally {
      hold.release();
    }
    await manyContainers(daemon, podman);
  } finally {
    // Anything of ours still there (an error midway) goes through the API before the daemon stops.
    const left = await api(daemon.sock, 'GET', '/v1.50/containers/json?all=1').then((r) => r.json<Array<{ Id: string }>>(), () => []);
    await pool(left.map((c) => c.Id), PARALLEL, (id) => remove(daemon.sock, id).catch(() => {}));
    await daemon.stop();
    await unmountUnder(join(W, 'podman'));
    for (const p of CGROUP_PARENTS) {
      if (parentsBefore.includes(p) || !existsSync(p)) continue;
      try { rmdirSync(p); } catch { /* someone else's group is inside: not ours to remove */ }
    }
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(daemon.dataRoot));
    if (mounts.length) console.error(`  LEFTOVER mounts under ${daemon.dataRoot}: ${mounts.length}`);
    else await rm(dirname(daemon.dataRoot), { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
