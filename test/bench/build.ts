// Chapter 5's benchmark: one small Dockerfile built by `dockling build` and by `buildah build
// --layers` (the peer of ../shared/reference/peer-baselines.md section f), both measured in this
// run, alternating, medians. Each comparison prints one line:
//   bench <name>: <ours> vs <peer> = <ratio>x (target <= <goal>)
//
//  1. build-cold: `--no-cache`, every step run and committed (buildah keeps each as a cache layer);
//  2. build-cached: the same build again with nothing changed, every step a cache hit.
//
// The Dockerfile (FROM and six steps: ENV, WORKDIR, RUN, COPY of 64 KiB of random bytes in base64,
// RUN, CMD) and its context are made here as peer-bench/build-prep.sh makes them. Both builders
// start from the same busybox rootfs tar (test/build/busybox-base.ts), imported as
// localhost/busybox:latest: ours into a fresh `dockling daemon` with its own data root and bridge,
// buildah into storage of its own (test/build/buildah-store.ts: runc, overlay, containers.conf
// with ulimits this root may set, its default network like our RUN steps' bridge). One untimed
// build each first. Until `dockling build` exists the lines say `skipped (…)`, and buildah's own
// figures are printed as a note. Afterwards both images are exported and compared
// (compare-images.ts), untimed. Rounds: DOCKLING_BENCH_BUILD_RUNS (7).
//
// Runs alone as `node dist/test/bench/build.js` (or from run.ts, DOCKLING_BENCH_ONLY=build).
// Needs root, buildah, runc and a static busybox. The daemon is stopped by its pid; its bridge,
// the cgroup parents it made, the buildah storage and every directory are removed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_CHANGES, BASE_NAME, baseRootfsTar, buildahAvailable, compareImages, readImageArchive, writeContext } from '../build/buildah-harness.js';
import { BuildahStore, mountsUnder } from '../build/buildah-store.js';
import { removeTempDirs } from '../tmp.js';
import { median, must, sleep, timed, type Done } from './common.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/engine/cli/main.js');
const W = join(process.env.DOCKLING_BENCH_DIR ?? '/tmp/dockling-bench', 'build');
const RUNS = Number(process.env.DOCKLING_BENCH_BUILD_RUNS ?? 7);
const OUR_TAG = 'bench/build';
const PEER_TAG = 'localhost/bench/build:latest';
/** The daemon's own bridge: 10.213.99.0/24 is no test's (test/daemon/runtime-leftovers.ts picks theirs). */
const BRIDGE = `dkb${process.pid.toString(16)}`;
const BRIDGE_SUBNET = '10.213.99.0/24';
const CGROUP_PARENTS = ['cpu', 'cpuacct', 'freezer', 'memory', 'pids', 'unified'].map((c) => `/sys/fs/cgroup/${c}/dockling`);

const DOCKERFILE = `FROM ${BASE_NAME}
ENV APP_HOME=/app GREETING=hello
WORKDIR /app
RUN echo "$GREETING" > /app/a.txt && echo one > /app/b.txt
COPY data.txt /app/data.txt
RUN echo two >> /app/b.txt && wc -c /app/data.txt > /app/size.txt
CMD ["/bin/sh", "-c", "cat /app/a.txt"]
`;

/** `head -c 65536 /dev/urandom | base64`: 76 columns a line, ~88 KB. */
function base64Data(): string {
  return `${randomBytes(65536).toString('base64').replace(/.{76}/g, '$&\n').replace(/\n$/, '')}\n`;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

function line(name: string, ours: number, peer: number, goal: string): void {
  console.log(`bench ${name}: ${secs(ours)} vs ${secs(peer)} = ${(ours / peer).toFixed(2)}x (target <= ${goal})`);
}

/** Releases run in reverse order of acquisition (STYLE.md habit 10). */
class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<void> | void }> = [];
  add(what: string, fn: () => Promise<void> | void): void { this.steps.push({ what, fn }); }
  async run(): Promise<void> {
    for (const { what, fn } of this.steps.reverse()) {
      try { await fn(); } catch (err) { console.error(`  cleanup (${what}): ${(err as Error).message}`); }
    }
  }
}

// ---------------------------------------------------------------- our daemon

interface Daemon { env: Record<string, string>; dataRoot: string; stop(): Promise<void> }

function ping(sock: string): Promise<boolean> {
  return new Promise((r) => {
    const req = request({ socketPath: sock, path: '/_ping' }, (res) => { res.resume(); r(res.statusCode === 200); });
    req.on('error', () => r(false));
    req.end();
  });
}

/** A `dockling daemon` with its own data root, bridge and (empty) daemon.json; stopped by its pid. */
async function startDaemon(dir: string): Promise<Daemon> {
  mkdirSync(join(dir, 'docker-config'), { recursive: true });
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'd.sock');
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const argv = [MAIN, 'daemon', '--data-root', dataRoot, '-H', `unix://${sock}`, '--config-file', join(dir, 'daemon.json'), '--bridge', BRIDGE, '--bip', BRIDGE_SUBNET];
  const child: ChildProcess = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited early:\n${log}`);
    if (existsSync(sock) && (await ping(sock))) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`daemon did not come up:\n${log}`); }
    await sleep(50);
  }
  return { env: { DOCKLING_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') }, dataRoot, stop };
}

/** What the daemon made on the host and does not take away itself: its bridge, new cgroup parents. */
function removeDaemonLeftovers(cgroupsBefore: string[]): void {
  if (spawnSync('ip', ['link', 'show', BRIDGE]).status === 0) spawnSync('ip', ['link', 'del', BRIDGE]);
  for (const p of CGROUP_PARENTS) {
    if (cgroupsBefore.includes(p) || !existsSync(p)) continue;
    try { rmdirSync(p); } catch { /* someone else's group is inside: not ours to remove */ }
  }
}

// ---------------------------------------------------------------- the two builders

interface Builder { name: string; build(noCache: boolean): Promise<Done> }

/** `dockling build -q`; the image ID is its output. */
function ourBuilder(d: Daemon, ctx: string): Builder {
  return {
    name: 'dockling build',
    build: (noCache) => timed(process.execPath, [MAIN, 'build', '-q', '-t', OUR_TAG, ...(noCache ? ['--no-cache'] : []), ctx], d.env, { sync: true }),
  };
}

/** `buildah build -q --layers` in the private storage; the image ID is its output. */
function peerBuilder(store: BuildahStore, ctx: string): Builder {
  return {
    name: 'buildah build --layers',
    build: (noCache) => timed('buildah', store.buildArgv(['-q', ...(noCache ? ['--no-cache'] : []), '-t', PEER_TAG], ctx), store.env as Record<string, string>, { sync: true }),
  };
}

const idOf = (d: Done) => d.stdout.trim().split('\n').pop() ?? '';

function mustSucceed(b: Builder, d: Done): Done {
  if (d.code !== 0) throw new Error(`${b.name} exited ${d.code}: ${d.stderr.trim()}`);
  return d;
}

/** Rounds of one kind, alternating which builder goes first; the IDs each built. */
async function rounds(sides: Builder[], noCache: boolean): Promise<Array<{ ms: number[]; ids: Set<string> }>> {
  const out = sides.map(() => ({ ms: [] as number[], ids: new Set<string>() }));
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i);
    for (const i of order) {
      const d = mustSucceed(sides[i]!, await sides[i]!.build(noCache));
      out[i]!.ms.push(d.ms);
      out[i]!.ids.add(idOf(d));
    }
  }
  return out;
}

/** Both final images exported and compared, untimed: the benchmark measures the same result. */
async function sameImages(d: Daemon, store: BuildahStore, dir: string): Promise<string[]> {
  mkdirSync(join(dir, 'ours'), { recursive: true });
  mkdirSync(join(dir, 'peer'), { recursive: true });
  await must(process.execPath, [MAIN, 'save', '-o', join(dir, 'ours.tar'), OUR_TAG], d.env);
  await store.run(['push', '-q', PEER_TAG, `docker-archive:${join(dir, 'peer.tar')}:${PEER_TAG}`]);
  return compareImages(await readImageArchive(join(dir, 'ours.tar'), join(dir, 'ours')), await readImageArchive(join(dir, 'peer.tar'), join(dir, 'peer')));
}

async function main(): Promise<void> {
  const reason = buildahAvailable();
  if (reason) {
    for (const name of ['build-cold', 'build-cached']) console.log(`bench ${name}: skipped (buildah cannot run here: ${reason})`);
    return;
  }
  const runDir = join(W, `run-${process.pid}`);
  const cgroupsBefore = CGROUP_PARENTS.filter((p) => existsSync(p));
  const cleanup = new Cleanup();
  try {
    mkdirSync(runDir, { recursive: true });
    cleanup.add('bench dir', () => { try { rmdirSync(W); } catch { /* not empty: kept, as the other parts keep theirs */ } });
    // Never through a mount: what could not be unmounted stays, and a cleanup line says so.
    cleanup.add('run dir', async () => { if (mountsUnder(runDir).length === 0) await rm(runDir, { recursive: true, force: true }); });
    cleanup.add('base rootfs', () => removeTempDirs());
    const ctx = join(runDir, 'ctx');
    const data = base64Data();
    writeContext(ctx, { dockerfile: DOCKERFILE, files: { 'data.txt': data } });
    const baseTar = await baseRootfsTar();

    const store = BuildahStore.create({ dir: join(runDir, 'buildah'), network: 'default' });
    cleanup.add('buildah storage', () => store.remove());
    await store.importBase(baseTar);
    const daemon = await startDaemon(join(runDir, 'daemon'));
    cleanup.add('dockling daemon', async () => {
      await daemon.stop();
      removeDaemonLeftovers(cgroupsBefore);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(daemon.dataRoot));
      if (mounts.length) throw new Error(`LEFTOVER mounts under ${daemon.dataRoot}: ${mounts.length} (the run dir stays for a human)`);
    });
    await must(process.execPath, [MAIN, 'import', ...BASE_CHANGES.flatMap((c) => ['-c', c]), baseTar, BASE_NAME], daemon.env);

    // Untimed: one build each (ours tells here whether `dockling build` exists yet).
    const peer = peerBuilder(store, ctx);
    const ours = ourBuilder(daemon, ctx);
    mustSucceed(peer, await peer.build(false));
    const first = await ours.build(false);
    const missing = first.code !== 0 && /is not a dockling command|unknown command/i.test(first.stderr) ? first.stderr.trim().split('\n')[0]! : undefined;
    if (!missing) mustSucceed(ours, first);
    const sides = missing ? [peer] : [ours, peer];
    const buildah = spawnSync('buildah', ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`build: FROM ${BASE_NAME} + 6 steps, data.txt ${(data.length / 1000).toFixed(0)} KB; ${RUNS} rounds each, alternating, after one untimed build each; ${buildah} (runc, overlay, private storage, default network); dockling daemon with its own data root and bridge ${BRIDGE}`);

    const cold = await rounds(sides, true);
    const cached = await rounds(sides, false);
    const [coldPeer, cachedPeer] = [cold[sides.length - 1]!, cached[sides.length - 1]!];
    if (missing) {
      for (const name of ['build-cold', 'build-cached']) console.log(`bench ${name}: skipped (dockling build is not available yet: ${missing})`);
      console.log(`  (buildah alone: cold ${secs(median(coldPeer.ms))}, cached ${secs(median(cachedPeer.ms))})`);
      return;
    }
    line('build-cold (dockling build --no-cache vs buildah build --layers --no-cache)', median(cold[0]!.ms), median(coldPeer.ms), '0.5');
    line('build-cached (dockling build, every step cached, vs buildah build --layers)', median(cached[0]!.ms), median(cachedPeer.ms), '0.25');
    // Every cached rebuild must give back one and the same image, on both sides.
    for (const [i, b] of sides.entries()) {
      if (cached[i]!.ids.size !== 1) console.log(`  (${b.name}: the cached rebuilds made ${cached[i]!.ids.size} different images — not every step was a cache hit)`);
    }
    const diffs = await sameImages(daemon, store, join(runDir, 'compare'));
    console.log(diffs.length === 0 ? '  (both images agree: config and files, compare-images.ts)' : `  (the images differ:\n    ${diffs.slice(0, 10).join('\n    ')})`);
  } finally {
    await cleanup.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
