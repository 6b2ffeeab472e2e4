// Disk full and permission errors (issue 9): the daemon's data root is a small tmpfs, and each
// write that does not fit — import, load, pull, commit, build — must fail with a clear error that
// names "no space left on device", exit non-zero, and leave the store as it was: the same
// images, every blob hashing to its name, no ingest or temp file left, the space given back,
// the daemon still answering. Then the content store is made read-only (a read-only bind
// remount: chmod does not stop root) and an import must fail the same clean way with
// "read-only file system".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { unpackLayer } from '../../engine/layers/index.js';
import { api, dockling, makeTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { report } from './report.js';
import { startRegistry, type RunningRegistry } from './crash-harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the disk-full tests: mounting a tmpfs as the data root needs root');

let work = '';
let mnt = '';
let daemon: RunningDaemon;
let registry: RunningRegistry;
const bridge = bridgeArgs(113);
const containerIds: string[] = [];
let cgroupsBefore: string[] = [];
let faults = 0;
let survived = 0;
let lost = 0;

const cli = (args: string[]) => dockling(daemon.host, args);
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`dockling ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}
const free = async () => {
  const s = await statfs(daemon.dataRoot);
  return s.bavail * s.bsize;
};

/** A tar (as bytes) of one file of `size` random bytes: too big to compress away. */
async function randomTar(name: string, size: number): Promise<Buffer> {
  const p = pack();
  p.entry({ name, mode: 0o644, mtime: new Date(0) }, randomBytes(size));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A `docker save` archive of one image whose one layer is `layer` (an uncompressed tar). */
async function imageArchive(layer: Buffer, tag: string): Promise<Buffer> {
  const diffID = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffID] }, history: [{ created_by: 'disk-full test' }] }));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const p = pack();
  p.entry({ name: configName, mode: 0o644, mtime: new Date(0) }, config);
  p.entry({ name: 'layer.tar', mode: 0o644, mtime: new Date(0) }, layer);
  p.entry({ name: 'manifest.json', mode: 0o644, mtime: new Date(0) }, Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ['layer.tar'] }])));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** What must not change when an operation fails: images, blobs (and that each hashes right), snapshots. */
async function storeState() {
  const blobsDir = join(daemon.dataRoot, 'content', 'blobs', 'sha256');
  const blobs = (await readdir(blobsDir)).sort();
  const badBlobs = [];
  for (const b of blobs) {
    const hex = createHash('sha256').update(await readFile(join(blobsDir, b))).digest('hex');
    if (hex !== b) badBlobs.push(b);
  }
  const images = (await api(daemon.sock, 'GET', '/v1.50/images/json?all=1')).json().map((i: { Id: string; RepoTags: string[] }) => `${i.Id} ${i.RepoTags.join(',')}`).sort();
  const snapshots = (await readdir(join(daemon.dataRoot, 'snapshots-root', 'snapshots'))).sort();
  const containers = (await api(daemon.sock, 'GET', '/v1.50/containers/json?all=1')).json().map((c: { Id: string }) => c.Id).sort();
  return { images, blobs, badBlobs, snapshots, containers };
}

/** Files a failed write could leave behind: ingest files, the daemon's scratch space. */
async function scratch(): Promise<string[]> {
  const under = async (d: string) => (await readdir(join(daemon.dataRoot, d)).catch(() => [] as string[])).map((n) => `${d}/${n}`);
  return [...(await under('content/ingest')), ...(await under('tmp'))];
}

/**
 * Runs `args`, which must fail with `message` in its error; then the store must be as before,
 * no scratch file left, the space back (within 256 KiB: the trace log grows), the daemon up.
 */
async function mustFailCleanly(what: string, args: string[], message: RegExp) {
  faults++;
  const before = await storeState();
  const freeBefore = await free();
  const r = await cli(args);
  console.log(`${what}: exit ${r.code}: ${r.stderr.trim()}`);
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) console.log(`the daemon died:\n${daemon.logs().slice(-3000)}`);
  expect(r.code, `${what}: ${r.stdout}`).not.toBe(0);
  expect(r.stderr, what).toMatch(message);
  const after = await storeState();
  expect(after, what).toEqual(before);
  expect(after.badBlobs).toEqual([]);
  expect(await scratch(), what).toEqual([]);
  expect(await free(), what).toBeGreaterThan(freeBefore - (256 << 10));
  expect((await api(daemon.sock, 'GET', '/_ping')).text).toBe('OK');
  const check = (await api(daemon.sock, 'GET', '/dockling/system/check')).json() as { Problems: unknown[] };
  lost += check.Problems.length;
  expect(check.Problems, what).toEqual([]);
  survived++;
}

beforeAll(async () => {
  if (!isRoot) return;
  cgroupsBefore = cgroupParents();
  work = await mkdtemp(join(tmpdir(), 'dkl-full-'));
  mnt = join(work, 'd');
  await mkdir(join(mnt, 'root'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'dockling-full', join(mnt, 'root')]);
  daemon = await startDaemon({ dir: mnt, args: [...bridge.args] });
  await ok(['base-image']);
  await writeFile(join(work, 'small.tar'), await makeTar({ 'small.txt': 'small\n' }));
  await ok(['import', join(work, 'small.tar'), 'full/small:1']);
  // busybox's layer unpacked once (a container made and removed): a build or create that fails
  // later finds it there, and whatever else they leave shows.
  await ok(['rm', await ok(['create', 'busybox', 'true'])]);
}, 120_000);

afterAll(async () => {
  if (!isRoot) return;
  if (daemon) {
    for (const id of containerIds) await cli(['rm', '-f', id]).catch(() => {});
    await daemon.stop().catch(() => {}); // its rm of the folder stops at the mount point
  }
  await registry?.stop();
  for (const m of [join(mnt, 'root', 'content'), join(mnt, 'root')]) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' }); // lazily, if something still holds it
      } catch {
        // not mounted
      }
    }
  }
  await rm(work, { recursive: true, force: true });
  removeCgroupParents(cgroupsBefore);
  report({ area: 'disk full, read-only store', faultsInjected: faults, faultsSurvived: survived, objectsLost: lost, note: 'survived = clear ENOSPC/EROFS error, non-zero exit, store as before, no scratch files, daemon up' });
  if (daemon) expect(leftovers({ dataRoot: daemon.dataRoot, bridge: bridge.bridge, containerIds })).toEqual(NOTHING);
}, 60_000);

/** Docker's words, and a path: which disk filled up must be plain from the message. */
const NO_SPACE = /\/\S+: no space left on device/i;

describe.skipIf(!isRoot)('a full disk', () => {
  it('import of a layer bigger than the space left fails cleanly', async () => {
    await writeFile(join(work, 'big.tar'), await randomTar('big', (await free()) + (2 << 20)));
    await mustFailCleanly('import', ['import', join(work, 'big.tar'), 'full/big:1'], NO_SPACE);
  }, 60_000);

  it('load of an archive bigger than the space left fails cleanly', async () => {
    await writeFile(join(work, 'big-image.tar'), await imageArchive(await randomTar('big', (await free()) + (2 << 20)), 'full/loaded:1'));
    await mustFailCleanly('load', ['load', '-i', join(work, 'big-image.tar')], NO_SPACE);
  }, 60_000);

  it('pull of an image bigger than the space left fails cleanly', async () => {
    // The image is made and pushed by a second daemon on the ordinary disk.
    registry = await startRegistry(join(work, 'registry'));
    const pusher = await startDaemon();
    try {
      await writeFile(join(work, 'pull.tar'), await randomTar('big', (await free()) + (2 << 20)));
      const push = async (args: string[]) => {
        const r = await dockling(pusher.host, args);
        if (r.code !== 0) throw new Error(`dockling ${args.join(' ')}: ${r.stderr}`);
      };
      await push(['import', join(work, 'pull.tar'), `${registry.host}/full/pulled:1`]);
      await push(['push', `${registry.host}/full/pulled:1`]);
    } finally {
      await pusher.stop();
    }
    // The config and any finished layer are swept before the failure is answered (gc-lock.ts).
    await mustFailCleanly('pull', ['pull', `${registry.host}/full/pulled:1`], NO_SPACE);
  }, 60_000);

  // A pull unpacks a layer as it downloads (its files written by write-queue.ts's thread): when
  // that fills the disk first, the error must name the file too, not just "ENOSPC, write".
  it('a layer unpacked onto a full disk names the file it was writing', async () => {
    const target = join(daemon.dataRoot, 'tmp', 'unpack-full');
    await mkdir(target, { recursive: true });
    try {
      const tar = await randomTar('big', (await free()) + (2 << 20));
      const err = await unpackLayer({ source: Readable.from([tar]), target, whiteouts: 'overlay' }).then(() => null, (e: unknown) => e as Error);
      expect(err?.message).toMatch(new RegExp(`write ${target}/big: no space left on device`));
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }, 60_000);

  it('build whose COPY does not fit fails cleanly', async () => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'big'), randomBytes(Math.floor((await free()) * 0.6)));
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY big /big\n');
    await mustFailCleanly('build', ['build', '-q', '-t', 'full/built:1', ctx], NO_SPACE);
  }, 60_000);

  it('commit of a container whose changes do not fit twice fails cleanly', async () => {
    const id = await ok(['create', 'busybox', 'true']);
    containerIds.push(id);
    // Two files of 30% each (cp stages its tar first, so one of 60% would not fit in the first place).
    for (const n of ['a.bin', 'b.bin']) {
      await writeFile(join(work, n), randomBytes(Math.floor((await free()) * 0.3)));
      await ok(['cp', join(work, n), `${id}:/${n}`]);
    }
    await mustFailCleanly('commit', ['commit', id, 'full/committed:1'], NO_SPACE);
    await ok(['rm', id]);
  }, 60_000);
});

describe.skipIf(!isRoot)('a read-only content store', () => {
  it('import fails with "read-only file system" and leaves nothing behind', async () => {
    // The whole content/ folder: a read-only blobs/ alone would fail the rename from ingest/ with
    // EXDEV (a bind mount is another mount, even on the same filesystem), not EROFS.
    const blobs = join(daemon.dataRoot, 'content');
    execFileSync('mount', ['--bind', blobs, blobs]);
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', blobs]);
      await writeFile(join(work, 'other.tar'), await makeTar({ 'other.txt': `other ${Date.now()}\n` }));
      await mustFailCleanly('import (read-only)', ['import', join(work, 'other.tar'), 'full/other:1'], /\/\S+: read-only file system/i);
    } finally {
      execFileSync('umount', [blobs]);
    }
    // Writable again: the same import now works.
    await ok(['import', join(work, 'other.tar'), 'full/other:1']);
  }, 60_000);
});
