// Crash consistency (issue 9): SIGKILL the daemon at a random point of an operation — pull,
// load, import, commit, build (a COPY, and a RUN whose container the kill may catch running), cp
// into a container, rm, rmi, tag, push (and, for the push, the registry as well) — start it again
// on the same data root, and `dockling system check` must find the store clean: nothing
// half-written in sight, nothing left over. Then the interrupted operation, run again, must simply
// succeed — or, for rm and rmi, find its work already done. Each kill point is
// drawn from a seeded PRNG; the seed is printed, and DOCKLING_CRASH_SEED=<seed> replays a run.
// `npm test`: 3 kills per operation; `npm run test:reliability` (FULL): 25.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { api, dockling, makeTar, startDaemon, MAIN, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { FULL, report } from './report.js';
import { checkRegistryStore, killHard, seededRandom, startRegistry, type RunningRegistry } from './crash-harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the crash tests: the daemon mounts snapshots, which needs root');
const KILLS = FULL ? 25 : 3;
const rng = seededRandom();
console.log(`crash tests: seed ${rng.seed} (replay with DOCKLING_CRASH_SEED=${rng.seed})`);

/** What one kind of operation needs: its command, and what to do before each try. */
interface Operation {
  name: string;
  /** The CLI arguments of try `i` (a fresh name each time, where the operation makes one). */
  args: (i: number) => string[];
  /** Before try `i` (daemon up): put back what the operation needs, e.g. remove the image it pulls. */
  before?: (i: number) => Promise<void>;
  /** The registry may be killed too (push). */
  registry?: boolean;
  /**
   * Whether try `i` took effect already. A removal the kill did not stop cannot run again ("No
   * such container"): then its retry may fail, as long as the work is done.
   */
  done?: (i: number) => Promise<boolean>;
  /** After each try and its retry: what the operation leaves that the next try must not meet. */
  after?: () => Promise<void>;
}

let work = '';
let daemon: RunningDaemon;
let registry: RunningRegistry;
let registryPort = 0;
const bridge = bridgeArgs(110);
const containerIds: string[] = [];
let cgroupsBefore: string[] = [];

const cli = (args: string[]) => dockling(daemon.host, args);
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`dockling ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

async function restartDaemon(): Promise<void> {
  daemon = await startDaemon({ dir: daemon.dir, args: [...bridge.args] });
}

async function restartRegistry(): Promise<void> {
  registry = await startRegistry(join(work, 'registry'), registryPort);
}

/** `dockling system check`: its problem lines, none when the store is clean. */
async function systemCheck(): Promise<string[]> {
  const r = await cli(['system', 'check']);
  if (r.code === 0) return [];
  return r.stdout.split('\n').filter((l) => l && !/^\d+ problems? in /.test(l)).concat(r.stderr ? [r.stderr.trim()] : []);
}

/** Snapshots no container owns, and snapshot directories no record names: none once the daemon has restarted (reclaim.ts). */
async function leftoverSnapshots(): Promise<string[]> {
  const counts = (await api(daemon.sock, 'GET', '/dockling/system/check')).json().Counts as { unowned: number };
  const meta = JSON.parse(await readFile(join(daemon.dataRoot, 'snapshots-root', 'metadata.json'), 'utf8').catch(() => '{"snapshots":{}}')) as { snapshots: Record<string, { id: string }> };
  const named = new Set(Object.values(meta.snapshots).map((s) => s.id));
  const stray = (await readdir(join(daemon.dataRoot, 'snapshots-root', 'snapshots'))).filter((id) => !named.has(id));
  return [
    ...(counts.unowned > 0 ? [`${counts.unowned} snapshots no container owns, after the restart`] : []),
    ...stray.map((id) => `snapshot directory ${id}: no record names it, after the restart`),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!isRoot) return;
  cgroupsBefore = cgroupParents();
  work = await mkdtemp(join(tmpdir(), 'dkl-crash-'));
  registry = await startRegistry(join(work, 'registry'));
  registryPort = Number(registry.host.split(':')[1]);
  daemon = await startDaemon({ args: [...bridge.args] });
  await ok(['base-image']);
  // 4 MB that does not compress: every operation below spends its time moving bytes.
  const big = randomBytes(4 << 20);
  await writeFile(join(work, 'big.tar'), await makeTar({ 'big/data': big.toString('latin1') }));
  await ok(['import', join(work, 'big.tar'), 'crash/big:1']);
  await ok(['tag', 'crash/big:1', `${registry.host}/crash/pull:1`]);
  await ok(['push', `${registry.host}/crash/pull:1`]);
  await ok(['rmi', `${registry.host}/crash/pull:1`]);
  await ok(['save', '-o', join(work, 'saved.tar'), 'crash/big:1']);
  const id = await ok(['create', '--name', 'crashc', 'busybox']);
  containerIds.push(id);
  await writeFile(join(work, 'big.bin'), big);
  await ok(['cp', join(work, 'big.bin'), 'crashc:/big.bin']);
  await mkdir(join(work, 'ctx'));
  await writeFile(join(work, 'ctx', 'big'), big);
  await writeFile(join(work, 'ctx', 'Dockerfile'), 'FROM busybox\nCOPY big /big\nENV CRASH=1\n');
  // A RUN step: a container the kill may catch while it runs (it outlives the daemon, as any does).
  await mkdir(join(work, 'ctx-run'));
  await writeFile(join(work, 'ctx-run', 'Dockerfile'), 'FROM busybox\nRUN head -c 4194304 /dev/urandom > /blob && sync && echo made\nRUN cp /blob /blob2 && rm /blob\n');
}, 120_000);

afterAll(async () => {
  if (!isRoot) return;
  if (daemon) {
    await cli(['rm', '-f', 'crashc']).catch(() => {});
    await daemon.stop();
  }
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
  removeCgroupParents(cgroupsBefore);
  expect(leftovers({ dataRoot: daemon.dataRoot, bridge: bridge.bridge, containerIds })).toEqual(NOTHING);
}, 60_000);

const OPERATIONS: Operation[] = [
  { name: 'pull', args: () => ['pull', `${registry.host}/crash/pull:1`], before: async () => void (await cli(['rmi', `${registry.host}/crash/pull:1`])) },
  { name: 'load', args: () => ['load', '-i', join(work, 'saved.tar')], before: async () => void (await cli(['rmi', 'crash/big:1'])) },
  { name: 'import', args: (i) => ['import', join(work, 'big.tar'), `crash/import:${i}`] },
  { name: 'commit', args: (i) => ['commit', 'crashc', `crash/commit:${i}`] },
  { name: 'build', args: (i) => ['build', '--no-cache', '-q', '-t', `crash/build:${i}`, join(work, 'ctx')] },
  {
    name: 'build-run',
    args: (i) => ['build', '--no-cache', '-q', '-t', `crash/build-run:${i}`, join(work, 'ctx-run')],
    // A step's container the kill left (Docker keeps those of a failed step too): removed between tries.
    after: async () => {
      for (const id of (await ok(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean)) if (!containerIds.includes(id)) await cli(['rm', '-f', id]);
    },
  },
  { name: 'cp', args: (i) => ['cp', join(work, 'big.bin'), `crashc:/copy-${i}.bin`] },
  {
    name: 'rm',
    before: async (i) => void (await ok(['cp', join(work, 'big.bin'), `${await ok(['create', '--name', `gone-${i}`, 'busybox'])}:/big.bin`])),
    args: (i) => ['rm', `gone-${i}`],
    done: async (i) => (await cli(['inspect', `gone-${i}`])).code !== 0,
  },
  {
    name: 'rmi',
    before: async (i) => void (await ok(['import', join(work, 'big.tar'), `crash/rmi:${i}`])),
    args: (i) => ['rmi', `crash/rmi:${i}`],
    done: async (i) => (await cli(['image', 'inspect', `crash/rmi:${i}`])).code !== 0,
  },
  { name: 'tag', args: (i) => ['tag', 'crash/big:1', `crash/tagged:${i}`] },
  {
    name: 'push',
    registry: true,
    // A new layer each time, so every push really uploads.
    before: async (i) => {
      const tar = join(work, `push-${i}.tar`);
      await writeFile(tar, await makeTar({ 'data': randomBytes(2 << 20).toString('latin1') }));
      await ok(['import', tar, `${registry.host}/crash/push:${i}`]);
      await rm(tar);
    },
    args: (i) => ['push', `${registry.host}/crash/push:${i}`],
  },
];

/** Runs the CLI with `args` and resolves once it exits, with its status and output. */
function startCli(args: string[]): { done: Promise<{ code: number; out: string }>; started: number; stop: () => void } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, DOCKLING_HOST: daemon.host }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const stop = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  return { started: Date.now(), stop, done: new Promise((r) => child.once('close', (code) => r({ code: code ?? -1, out }))) };
}

/** The CLI must exit once the daemon is gone (found: `cp` waited for ever on its tar); a hang is a failure, not a stuck test. */
async function exited(run: ReturnType<typeof startCli>, ms = 30_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  const first = await Promise.race([run.done, hung]);
  clearTimeout(timer);
  if (first !== 'hung') return undefined;
  run.stop();
  await run.done;
  return `the CLI did not exit within ${ms / 1000} s of the kill`;
}

describe.skipIf(!isRoot)('SIGKILL in the middle of an operation, then system check and the operation again', () => {
  for (const op of OPERATIONS) {
    it(`${op.name}: ${KILLS} kills at random points, each followed by a clean store and a successful retry`, async () => {
      // One uninterrupted run first: how long the operation takes is the range the kills are drawn from.
      await op.before?.(0);
      const timed = startCli(op.args(0));
      const first = await timed.done;
      expect(first.code, first.out).toBe(0);
      const duration = Date.now() - timed.started;
      await op.after?.();
      let survived = 0;
      const lost = new Set<string>(); // each damaged object once, however many checks see it
      const failures: string[] = [];
      for (let i = 1; i <= KILLS; i++) {
        await op.before?.(i);
        const delay = Math.floor(rng.next() * duration * 1.1);
        // For the push: the daemon, the registry, or both (the registry at its own random point).
        const victims = op.registry ? (['daemon', 'registry', 'both'] as const)[Math.floor(rng.next() * 3)]! : 'daemon';
        const registryDelay = Math.floor(rng.next() * duration * 1.1);
        const run = startCli(op.args(i));
        const kills: Promise<void>[] = [];
        if (victims !== 'registry') kills.push(sleep(delay).then(() => killHard(daemon.child)));
        if (victims !== 'daemon') kills.push(sleep(victims === 'both' ? registryDelay : delay).then(() => killHard(registry.child)));
        await Promise.all(kills);
        const hang = await exited(run);
        if (victims !== 'registry') await restartDaemon();
        if (victims !== 'daemon') await restartRegistry();
        // The store after the crash: nothing half-written in sight, in the daemon's store or the registry's.
        const problems = [...(hang ? [hang] : []), ...(await systemCheck()), ...(op.registry ? await checkRegistryStore(registry.dataRoot) : [])];
        // And nothing left over: a restarted daemon reclaims what the killed one had half made.
        if (victims !== 'registry') problems.push(...(await leftoverSnapshots()));
        // The operation again, from the start: it must simply work (or find its work done).
        const finished = (await op.done?.(i)) ?? false;
        const again = finished ? { code: 0, stderr: '' } : await cli(op.args(i));
        const after = again.code === 0 ? await systemCheck() : [];
        await op.after?.();
        for (const p of [...problems, ...after]) if (p !== hang) lost.add(p); // a hang loses no object, but it fails the try
        if (problems.length === 0 && after.length === 0 && again.code === 0) survived++;
        else failures.push(`seed ${rng.seed}, ${op.name} try ${i}, ${victims} killed after ${delay} ms: ${[...problems, ...after].join('; ')}${again.code !== 0 ? ` retry failed (${again.code}): ${again.stderr}` : ''}`);
      }
      report({
        area: `crash during ${op.name}`, faultsInjected: KILLS, faultsSurvived: survived, objectsLost: lost.size,
        note: `SIGKILL ${op.registry ? 'of daemon and/or registry ' : ''}within ${duration} ms; survived = store clean and the retry succeeded`,
      });
      expect(failures).toEqual([]);
    }, FULL ? 900_000 : 60_000);
  }
});
