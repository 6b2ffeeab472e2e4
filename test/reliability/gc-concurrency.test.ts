// Garbage collection under load (issue 9): `image prune -a` and `container prune` run in a loop
// while pulls, builds and creates run beside them. Every pull and build must succeed — their
// layers are never taken for unused half way (the GcLock, engine/daemon/gc-lock.ts) — and a
// create may only fail because its image was pruned before it began (then it never started).
// Afterwards `dockling system check` must find every image's blobs and every container's
// snapshots, and one more prune must leave a store where only what is in use remains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, dockling, makeTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { FULL, report } from './report.js';
import { startRegistry, type RunningRegistry } from './crash-harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the gc concurrency test: the daemon mounts snapshots, which needs root');
const ROUNDS = FULL ? 30 : 6;

let work = '';
let daemon: RunningDaemon;
let registry: RunningRegistry;
const bridge = bridgeArgs(113);
const containerIds: string[] = [];
let cgroupsBefore: string[] = [];

const cli = (args: string[]) => dockling(daemon.host, args);
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`dockling ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

beforeAll(async () => {
  if (!isRoot) return;
  cgroupsBefore = cgroupParents();
  work = await mkdtemp(join(tmpdir(), 'dkl-gc-'));
  registry = await startRegistry(join(work, 'registry'));
  daemon = await startDaemon({ args: [...bridge.args] });
  await ok(['base-image']);
  // A container that stays (created, never started) keeps busybox in use: builds and creates
  // stand on it, and prune -a must never take it. The label keeps container prune off it.
  containerIds.push(await ok(['create', '--label', 'pin=1', 'busybox']));
  // The image the pulls fetch: two layers of random bytes, pushed, then removed locally.
  await writeFile(join(work, 'p.tar'), await makeTar({ 'p/one': randomBytes(1 << 20).toString('latin1') }));
  await ok(['import', join(work, 'p.tar'), `${registry.host}/gc/pull:1`]);
  await ok(['push', `${registry.host}/gc/pull:1`]);
  await ok(['rmi', `${registry.host}/gc/pull:1`]);
  await mkdir(join(work, 'ctx'));
}, 120_000);

afterAll(async () => {
  if (!isRoot) return;
  if (daemon) {
    for (const id of containerIds) await cli(['rm', '-f', id]).catch(() => {});
    await daemon.stop();
  }
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
  removeCgroupParents(cgroupsBefore);
  expect(leftovers({ dataRoot: daemon.dataRoot, bridge: bridge.bridge, containerIds })).toEqual(NOTHING);
}, 60_000);

describe.skipIf(!isRoot)('prune while pulls, builds and creates run', () => {
  it(`${ROUNDS} rounds: every pull and build succeeds, the store stays whole`, async () => {
    let sent = 0;
    let answered = 0;
    const failures: string[] = [];
    const tally = async (what: string, args: string[], allowed?: RegExp) => {
      sent++;
      const r = await cli(args);
      if (r.code === 0 || (allowed && allowed.test(r.stderr))) answered++;
      else failures.push(`${what}: ${r.stderr.trim() || r.stdout.trim()}`);
      return r;
    };
    let running = true;
    const pruner = (async () => {
      let n = 0;
      while (running) {
        await tally('image prune', ['image', 'prune', '-a', '-f']);
        await tally('container prune', ['container', 'prune', '-f', '--filter', 'label!=pin']);
        n++;
      }
      return n;
    })();
    const pulls = (async () => {
      for (let i = 0; i < ROUNDS; i++) await tally('pull', ['pull', `${registry.host}/gc/pull:1`]);
    })();
    const builds = (async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const dir = join(work, 'ctx', String(i));
        await mkdir(dir);
        await writeFile(join(dir, 'f'), randomBytes(256 << 10));
        await writeFile(join(dir, 'Dockerfile'), `FROM busybox\nCOPY f /f\nENV ROUND=${i}\nCOPY f /g\n`);
        await tally('build', ['build', '-q', '-t', `gc/built:${i}`, dir]);
      }
    })();
    const creates = (async () => {
      for (let i = 0; i < ROUNDS; i++) {
        // From busybox (in use: never pruned), then from the pulled image, which a prune may
        // take between the pull and the create: then "No such image" is the right answer.
        const a = await tally('create', ['create', 'busybox', 'true']);
        if (a.code === 0) containerIds.push(a.stdout.trim());
        const b = await tally('create from pulled', ['create', `${registry.host}/gc/pull:1`, 'true'], /No such image|pull access denied|not found/i);
        if (b.code === 0) containerIds.push(b.stdout.trim());
      }
    })();
    await Promise.all([pulls, builds, creates]);
    running = false;
    const prunes = await pruner;
    // Afterwards: every image has its blobs, every container its snapshots.
    const check = (await api(daemon.sock, 'GET', '/dockling/system/check')).json() as { Problems: Array<{ Object: string; Problem: string }> };
    // One more prune, with nothing running: then only busybox (pinned) and what containers use is left.
    await ok(['container', 'prune', '-f', '--filter', 'label!=pin']);
    await ok(['image', 'prune', '-a', '-f']);
    const after = (await api(daemon.sock, 'GET', '/dockling/system/check')).json() as typeof check;
    const images = await ok(['images', '--format', '{{.Repository}}']);
    report({
      area: 'prune during pulls, builds, creates',
      requestsSent: sent,
      requestsAnswered: answered,
      objectsLost: check.Problems.length + after.Problems.length,
      note: `${prunes} prune rounds beside ${ROUNDS} pulls, builds and creates each; answered = succeeded, or create refused for a pruned image`,
    });
    expect(failures).toEqual([]);
    expect(check.Problems).toEqual([]);
    expect(after.Problems).toEqual([]);
    expect(images.split('\n')).toEqual(['busybox']);
    expect(prunes).toBeGreaterThan(0);
  }, 300_000);
});
