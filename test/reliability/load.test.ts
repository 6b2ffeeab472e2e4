// Many clients at once (issue 9): one daemon and one `dockling registry` on loopback, and a crowd
// of clients — most on the API socket, every fifth through the `dockling` CLI — mixing ps,
// images, inspect, run --rm, pull from that registry and build. Every request must be answered
// (2xx, or the CLI's exit 0) before its deadline, and the end state must be a sequential run's:
// the same tags on the same images, no container left, `system check` clean, nothing of theirs
// on the host. Then two pulls of one image at once, which the registry's own trace must show
// GETting each blob once; then the registry alone under concurrent pushes and pulls of images
// that share layers, after which its store must be consistent. Short in `npm test`, 50 clients
// when FULL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN, api, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { makeImage, newStore } from '../registry/client-harness.js';
import { startDockling } from '../registry/server-harness.js';
import { RegistryClient } from '../../engine/registry/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';
import { FULL, report } from './report.js';
import { KINDS, builtTag, perform, within, type Op, type Outcome } from './load-clients.js';
import { registryStoreProblems } from './registry-store.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the load tests: the daemon runs containers and builds (mounts, namespaces), which needs root');

const CLIENTS = FULL ? 50 : 20;
const ROUNDS = FULL ? 6 : 2;
/** The registry-alone test's concurrent pushes and pulls. */
const REGISTRY_CLIENTS = FULL ? 50 : 20;
const DEADLINE_MS = FULL ? 180_000 : 60_000;
/** Images on the registry for the load's pulls. */
const PULLABLE = 3;

const net = bridgeArgs(114);
const parentsBefore = cgroupParents();
let d: RunningDaemon;
let reg: { child: ChildProcess; url: string; host: string; dataRoot: string; trace: string; exited: Promise<void> };
let dir = '';
const seenContainers = new Set<string>();
/** Reference → image ID of what was pushed to the registry. */
const pushed = new Map<string, string>();

/** `dockling registry --trace` as a teacher runs it, on a free loopback port. */
async function serveRegistry(root: string): Promise<typeof reg> {
  const dataRoot = join(root, 'registry');
  const trace = join(root, 'registry-trace.jsonl');
  const child = spawn(process.execPath, [MAIN, 'registry', '--listen', '127.0.0.1:0', '--data-root', dataRoot, '--trace', trace], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (out += c));
    void exited.then(() => fail(new Error(`dockling registry exited:\n${out}`)));
  });
  return { child, url, host: new URL(url).host, dataRoot, trace, exited };
}

async function stopRegistry(): Promise<void> {
  if (reg && reg.child.exitCode === null && reg.child.signalCode === null) {
    process.kill(reg.child.pid!, 'SIGTERM');
    await reg.exited;
  }
}

/** Images made by hand in a store of this process and pushed with the engine's client. */
async function pushImages(images: Array<{ ref: string; layers: Array<Record<string, string | Buffer>> }>): Promise<void> {
  const local = await newStore(dir, `pusher-${Math.random().toString(36).slice(2)}`);
  const client = new RegistryClient({ tracer: new Tracer([]) });
  try {
    for (const image of images) {
      pushed.set(image.ref, (await makeImage(local.store, { name: image.ref, layers: image.layers })).id);
      await client.push({ reference: image.ref, store: local.store, content: local.content });
    }
  } finally {
    client.close();
  }
}

const appRef = (k: number) => `${reg.host}/load/app:${k}`;

/** The ops of client `c`: kinds in turn (so every kind runs in every round), every fifth client by CLI. */
function opsOf(c: number): Op[] {
  return Array.from({ length: ROUNDS }, (_, r) => {
    const kind = KINDS[(c + r) % KINDS.length]!;
    const token = `c${c}r${r}`;
    return { kind, viaCli: c % 5 === 0, token, ...(kind === 'pull' ? { image: appRef((c + r) % PULLABLE) } : {}) };
  });
}

beforeAll(async () => {
  if (!isRoot) return;
  dir = await tempDir('dockling-load-');
  reg = await serveRegistry(dir);
  d = await startDaemon({ args: net.args });
  expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  // Overlapping images: one base layer shared by all, one layer of each's own.
  await pushImages(Array.from({ length: PULLABLE }, (_, k) => ({ ref: appRef(k), layers: [{ 'base/shared.txt': 'shared\n' }, { [`app/${k}.txt`]: `app ${k}\n` }] })));
}, 120_000);

afterAll(async () => {
  if (!isRoot) return;
  await d?.stop();
  await stopRegistry();
  if (spawnSync('ip', ['link', 'show', net.bridge]).status === 0) spawnSync('ip', ['link', 'del', net.bridge]);
  removeCgroupParents(parentsBefore);
  if (d) expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: [...seenContainers] })).toEqual(NOTHING);
});

const images = async () => (await api(d.sock, 'GET', '/v1.50/images/json')).json() as Array<{ Id: string; RepoTags: string[] }>;
const containers = async () => (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;

describe.skipIf(!isRoot)('many clients at once', () => {
  it(`${CLIENTS} clients × ${ROUNDS} rounds of ps, images, inspect, run --rm, pull and build: all answered in time, the end state a sequential run's`, async () => {
    const busyboxId = (await api(d.sock, 'GET', '/v1.50/images/busybox/json')).json().Id as string;
    const before = await images();
    const target = { sock: d.sock, host: d.host, scratch: join(dir, 'contexts'), busyboxId };
    const ops = Array.from({ length: CLIENTS }, (_, c) => opsOf(c));
    // Containers seen while the load runs, so the host check afterwards knows their IDs.
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const c of await containers().catch(() => [])) seenContainers.add(c.Id);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = Date.now();
    const outcomes: Outcome[] = (await Promise.all(ops.map(async (mine) => {
      const done: Outcome[] = [];
      for (const op of mine) done.push(await perform(target, op, DEADLINE_MS));
      return done;
    }))).flat();
    const elapsed = Date.now() - started;
    watching = false;
    await watcher;
    const failed = outcomes.filter((o) => !o.ok);

    // What a sequential run leaves: busybox and what was there, each pulled tag on the
    // registry's image, each build's tag; no container.
    const after = await images();
    const tags = new Set(after.flatMap((i) => i.RepoTags));
    const wanted = [
      ...before.flatMap((i) => i.RepoTags),
      ...new Set(ops.flat().filter((o) => o.kind === 'pull').map((o) => o.image!)),
      ...ops.flat().filter((o) => o.kind === 'build').map((o) => `${builtTag(o.token)}`),
    ];
    const missing = wanted.filter((t) => !tags.has(t));
    // A pulled tag names the very image pushed (its ID is the config's digest).
    const pulled = [...new Set(ops.flat().filter((o) => o.kind === 'pull').map((o) => o.image!))];
    const wrongIds = (await Promise.all(pulled.map(async (ref) => ({ ref, got: (await api(d.sock, 'GET', `/v1.50/images/${encodeURIComponent(ref)}/json`)).json().Id as string }))))
      .filter((p) => p.got !== pushed.get(p.ref));
    // Each built image holds its own token (a build that took another's context would not).
    const sample = ops.flat().filter((o) => o.kind === 'build').slice(0, 3);
    const tokens = await Promise.all(sample.map(async (o) => {
      const r = spawnSync(process.execPath, [MAIN, 'run', '--rm', '--network', 'none', builtTag(o.token), 'cat', '/token'], { env: { ...process.env, DOCKLING_HOST: d.host } });
      return { want: `${o.token}\n`, got: r.stdout.toString() };
    }));
    // The daemon's own consistency check (chapters 1 and 2 and the rule across them).
    const check = (await api(d.sock, 'GET', '/dockling/system/check')).json<{ Problems: Array<{ Object: string; Problem: string }> }>();
    let left = await containers();
    for (let i = 0; left.length > 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await containers();
    }

    const byKind = Object.fromEntries(KINDS.map((k) => [k, outcomes.filter((o) => o.op.kind === k).map((o) => o.ms)]));
    console.log(`load: ${outcomes.length} requests from ${CLIENTS} clients in ${elapsed} ms; slowest per kind (ms): ${KINDS.map((k) => `${k} ${Math.max(0, ...byKind[k]!)}`).join(', ')}`);
    report({
      area: `load: ${CLIENTS} clients (API + CLI)`,
      requestsSent: outcomes.length, requestsAnswered: outcomes.length - failed.length, objectsLost: missing.length + wrongIds.length + check.Problems.length + tokens.filter((t) => t.want !== t.got).length,
      note: `ps/images/inspect/run --rm/pull/build in ${elapsed} ms; end state = sequential`,
    });
    expect(failed.map((o) => `${o.op.kind}${o.op.viaCli ? ' (cli)' : ''} ${o.op.token}: ${o.why}`)).toEqual([]);
    expect(missing).toEqual([]);
    expect(tokens.map((t) => t.got)).toEqual(tokens.map((t) => t.want));
    expect(left).toEqual([]);
    expect(check.Problems).toEqual([]);
    expect(wrongIds).toEqual([]);
  }, 30 * 60_000);

  it('two pulls of one image at once: the registry\'s own trace shows each blob GET once', async () => {
    const name = `${reg.host}/load/twice`;
    // Layers big enough (4 MiB each) that the two pulls are surely downloading at the same time.
    await pushImages([{ ref: `${name}:1`, layers: [{ 'a.bin': randomBytes(4 << 20) }, { 'b.bin': randomBytes(4 << 20) }] }]);
    const pull = () => api(d.sock, 'POST', `/v1.50/images/create?fromImage=${encodeURIComponent(name)}&tag=1`, { headers: { 'X-Registry-Auth': 'e30=' } });
    const both = await within(DEADLINE_MS, 'two pulls', Promise.all([pull(), pull()]));
    for (const r of both) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain('errorDetail');
    }
    // Stopping the registry closes its trace file: every request is in it.
    await stopRegistry();
    const events = (await readFile(reg.trace, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { op: string; phase: string; data: { repository?: string; digest?: string } });
    const gets = events.filter((e) => e.op === 'registry.blob.get' && e.phase === 'start' && e.data.repository === 'load/twice');
    const perBlob = new Map<string, number>();
    for (const e of gets) perBlob.set(e.data.digest!, (perBlob.get(e.data.digest!) ?? 0) + 1);
    report({ area: 'load: two pulls of one image at once', requestsSent: 2, requestsAnswered: both.filter((r) => r.status === 200).length, objectsLost: 0, note: `blob GETs: ${[...perBlob.values()].join('+')} for ${perBlob.size} blobs` });
    expect(perBlob.size).toBe(3); // the config and two layers
    expect([...perBlob.values()]).toEqual([1, 1, 1]);
  }, 120_000);

  it(`the registry alone: ${REGISTRY_CLIENTS} concurrent pushes and pulls of images sharing layers; all succeed, its store consistent`, async () => {
    const r = await startDockling();
    try {
      const host = new URL(r.url).host;
      const KINDS_OF_IMAGE = 6;
      // Every image shares the base layer; every other one the middle; each has one of its own.
      const layersOf = (k: number) => [{ 'base.bin': Buffer.alloc(256 << 10, 1) }, { [`mid${k % 2}.bin`]: Buffer.alloc(128 << 10, 2 + (k % 2)) }, { [`own${k}.txt`]: `image ${k}\n` }];
      const seed = await newStore(dir, 'seed');
      const ids = new Map<number, string>();
      const seeder = new RegistryClient({ tracer: new Tracer([]) });
      for (let k = 0; k < KINDS_OF_IMAGE; k++) {
        ids.set(k, (await makeImage(seed.store, { name: `${host}/shared/img-${k}:seed`, layers: layersOf(k) })).id);
        await seeder.push({ reference: `${host}/shared/img-${k}:seed`, store: seed.store, content: seed.content });
      }
      seeder.close();
      // Each client its own store and its own client, as separate machines would be; half push
      // (to the same repositories, the same tag, the same bytes), half pull the seeded tags.
      const clients = await Promise.all(Array.from({ length: REGISTRY_CLIENTS }, async (_, c) => {
        const local = await newStore(dir, `client-${c}`);
        const k = c % KINDS_OF_IMAGE;
        const pushing = c % 2 === 0;
        if (pushing) await makeImage(local.store, { name: `${host}/shared/img-${k}:v1`, layers: layersOf(k) });
        return { c, k, pushing, local, client: new RegistryClient({ tracer: new Tracer([]) }) };
      }));
      const started = Date.now();
      const results = await Promise.all(clients.map(async ({ k, pushing, local, client }) => {
        try {
          if (pushing) {
            await within(DEADLINE_MS, `push img-${k}`, client.push({ reference: `${host}/shared/img-${k}:v1`, store: local.store, content: local.content }));
            return { ok: true };
          }
          const got = await within(DEADLINE_MS, `pull img-${k}`, client.pull({ reference: `${host}/shared/img-${k}:seed`, store: local.store, content: local.content }));
          return got.id === ids.get(k) ? { ok: true } : { ok: false, why: `pulled ${got.id}, pushed ${ids.get(k)}` };
        } catch (err) {
          return { ok: false, why: (err as Error).message };
        } finally {
          client.close();
        }
      }));
      const elapsed = Date.now() - started;
      const store = await registryStoreProblems(r.dataRoot);
      console.log(`registry: ${results.length} pushes and pulls in ${elapsed} ms; store: ${store.blobs} blobs, ${store.manifests} manifest revisions`);
      report({
        area: `registry: ${REGISTRY_CLIENTS} pushes + pulls at once`, requestsSent: results.length, requestsAnswered: results.filter((x) => x.ok).length,
        objectsLost: store.problems.length, note: `overlapping layers; every blob hashes to its name, every manifest's blobs there`,
      });
      expect(results.filter((x) => !x.ok)).toEqual([]);
      expect(store.problems).toEqual([]);
      expect(store.blobs).toBe(KINDS_OF_IMAGE * 3 + 3); // a manifest, a config and an own layer each; the base; two middles
    } finally {
      await r.stop();
    }
  }, 10 * 60_000);
});
