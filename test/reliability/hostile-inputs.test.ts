// Issue 9, hostile inputs through the daemon, end to end: the layer and archive tables of their
// chapters (test/layers/hostile.test.ts, archive.test.ts) check the parsers; here the same kinds
// of input arrive the way a user sends them — `docker load`, `docker import`, `docker build`
// with a Dockerfile meant to hurt, and a push to the registry whose descriptors lie — and each
// must be refused with a clear message, the daemon up and nothing stored changed.
import { readdirSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, importTar, makeTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { bridgeArgs, cgroupParents, removeCgroupParents } from '../daemon/host-leftovers.js';
import { DOCKER_MANIFEST, OCI_MANIFEST, call, descriptor, digestOf, imageConfig, manifestOf, pushBlob, pushManifest, randomBlob, startDockling } from '../registry/server-harness.js';
import { buildTar } from '../layers/fixtures/tar.js';
import { report } from './report.js';

const isRoot = process.getuid?.() === 0;
const net = bridgeArgs(118);
const parentsBefore = cgroupParents();
let d: RunningDaemon;
const tally = { tried: 0, refused: 0 };

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: [...net.args, '--default-address-pool', 'base=10.213.118.64/26,size=28'] });
  await importTar(d.sock, 'hostile/base:1');
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
  report({ area: 'hostile inputs: load, import, build, registry push', hostileTried: tally.tried, hostileRefused: tally.refused, objectsLost: 0, note: 'each refused with a message; images and the data root unchanged' });
});

/** Images by the API, and the data root's files (but the trace, logs and scratch space). */
async function stored(): Promise<unknown> {
  const images = (await api(d.sock, 'GET', '/v1.50/images/json?all=1')).json<Array<{ Id: string; RepoTags: string[] }>>().map((i) => [i.Id, i.RepoTags]);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(d.dataRoot, p);
      if (/(^|\/)(trace|logs?|tmp)(\/|$|\.)/.test(rel) || rel.endsWith('.jsonl') || rel.endsWith('/work/work')) continue;
      const st = lstatSync(p);
      files.push(`${rel} ${st.isDirectory() ? 'd' : st.size}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(d.dataRoot);
  return { images, files: files.sort() };
}

/** The refusal in an answer: a 4xx's message, or a stream's errorDetail. */
function refusal(status: number, text: string): string | null {
  if (status >= 400 && status < 500) return (JSON.parse(text) as { message?: string }).message ?? null;
  if (status === 200) return /"errorDetail":\{"message":"([^"]+)"/.exec(text)?.[1] ?? null;
  return null;
}

async function expectRefused(what: string, send: () => Promise<{ status: number; text: string }>, pattern?: RegExp): Promise<void> {
  const before = await stored();
  const r = await send();
  const message = refusal(r.status, r.text);
  tally.tried++;
  expect(message, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toBeTruthy();
  if (pattern) expect(message, what).toMatch(pattern);
  expect((await api(d.sock, 'GET', '/_ping')).status, `${what}: daemon down`).toBe(200);
  expect(await stored(), what).toEqual(before);
  tally.refused++;
}

describe.skipIf(!isRoot)('docker build with a Dockerfile meant to hurt', () => {
  const build = async (dockerfile: string | Buffer) => {
    const context = await buildTar([{ name: 'Dockerfile', data: dockerfile }]);
    return api(d.sock, 'POST', '/v1.50/build?t=hostile%2Fbuilt%3A1', { body: context, headers: { 'Content-Type': 'application/x-tar' } });
  };
  const cases: Array<[string, () => string | Buffer]> = [
    ['a 4 MiB line', () => `FROM hostile/base:1\nRUN echo ${'x'.repeat(4 << 20)}\n`],
    ['a NUL byte in an instruction', () => 'FROM hostile/base:1\nRUN echo a\0b\nLABEL x=1\n'],
    ['a NUL byte in the FROM', () => 'FROM hostile/base:1\0evil\n'],
    ['100 000 continuation lines', () => `FROM hostile/base:1\nRUN echo \\\n${'  a \\\n'.repeat(100_000)}  end\nFROM\n`],
    ['2 000 stages, then binary', () => `${'FROM hostile/base:1 AS s\n'.repeat(2_000)}FROM nosuch\0\n`],
    ['a heredoc that never ends', () => `# syntax=docker/dockerfile:1\nFROM hostile/base:1\nRUN <<EOF\n${'echo x\n'.repeat(10_000)}`],
    ['only binary noise', () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['an ARG expanding into itself', () => 'ARG A=${A}${A}${A}${A}\nFROM hostile/base:${A}${A}${A}\0\n'],
    ['a COPY from outside the context', () => 'FROM hostile/base:1\nCOPY ../../../../etc/shadow /x\n'],
  ];
  it.each(cases)('%s: refused with a message, nothing stored', async (what, text) => {
    await expectRefused(what, () => build(text()));
  });
});

describe.skipIf(!isRoot)('docker load and import of hostile archives', () => {
  const load = (body: Buffer) => api(d.sock, 'POST', '/v1.50/images/load?quiet=1', { body, headers: { 'Content-Type': 'application/x-tar' } });
  const imp = (body: Buffer) => api(d.sock, 'POST', '/v1.50/images/create?fromSrc=-&repo=hostile%2Fimported', { body, headers: { 'Content-Type': 'application/x-tar' } });

  it('load: not a tar, a truncated tar, a manifest.json climbing out, a manifest.json of the wrong types, a gzip bomb of nothing', async () => {
    const layer = await makeTar({ 'etc/x': 'x' });
    const cases: Array<[string, () => Promise<Buffer>]> = [
      ['random bytes', async () => Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31) % 251))],
      ['a tar cut in half', async () => (await buildTar([{ name: 'manifest.json', data: '[]' }, { name: 'big', data: Buffer.alloc(100_000, 1) }])).subarray(0, 50_000)],
      ['a manifest.json climbing out', async () => buildTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: '../../../etc/passwd', RepoTags: ['hostile/x:1'], Layers: [] }]) }])],
      ['a manifest.json of the wrong types', async () => buildTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: 5, RepoTags: 'x', Layers: {} }]) }])],
      ['a manifest.json that is an object', async () => buildTar([{ name: 'manifest.json', data: '{"Config":"c.json"}' }])],
      ['a layer with a NUL in its name', async () => buildTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['hostile/x:1'], Layers: ['l\0.tar'] }]) }, { name: 'c.json', data: '{}' }, { name: 'l.tar', data: layer }])],
      ['a gzip bomb for the whole archive', async () => gzipSync(Buffer.alloc(64 << 20), { level: 9 })],
      ['a path of 3000 levels', async () => buildTar([{ name: `${'d/'.repeat(3000)}manifest.json`, data: '[]' }])],
      ['manifest.json twice', async () => buildTar([{ name: 'manifest.json', data: '[]' }, { name: 'manifest.json', data: JSON.stringify([{ Config: '/etc/passwd', RepoTags: ['hostile/x:1'], Layers: [] }]) }])],
    ];
    for (const [what, make] of cases) await expectRefused(`load: ${what}`, async () => load(await make()));
  });

  it('import: random bytes, a truncated gzip, a layer with a path climbing out, one past PATH_MAX', async () => {
    const cases: Array<[string, () => Promise<Buffer>]> = [
      ['random bytes', async () => Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31) % 251))],
      ['a truncated gzip', async () => gzipSync(await buildTar([{ name: 'big', data: randomBytes(200_000) }])).subarray(0, 30_000)],
      ['../ in a name', async () => buildTar([{ name: '../../etc/pwned', data: 'x' }])],
      ['a path past PATH_MAX', async () => buildTar([{ name: `${'d/'.repeat(3000)}f`, data: 'x' }])],
    ];
    for (const [what, make] of cases) await expectRefused(`import: ${what}`, async () => imp(await make()));
  });
});

describe('a registry push whose descriptors lie', () => {
  let reg: Awaited<ReturnType<typeof startDockling>>;
  beforeAll(async () => {
    reg = await startDockling();
  });
  afterAll(() => reg?.stop());

  it('sizes smaller or larger than the blob, a config served as a layer, a missing blob: refused, no tag made', async () => {
    const config = imageConfig();
    const layer = randomBlob(4096);
    for (const b of [config, layer]) await pushBlob(reg.url, 'room/app', b);
    const honest = JSON.parse(manifestOf({ config, layers: [layer] }).toString());
    const variants: Array<[string, (m: typeof honest) => void, string]> = [
      ['a layer size smaller than its blob', (m) => (m.layers[0].size -= 1), OCI_MANIFEST],
      ['a layer size larger than its blob', (m) => (m.layers[0].size += 1 << 20), OCI_MANIFEST],
      ['a config size of 1', (m) => (m.config.size = 1), OCI_MANIFEST],
      ['a layer that is not in the repository', (m) => (m.layers[0] = descriptor(m.layers[0].mediaType, randomBlob(10))), OCI_MANIFEST],
      ['a negative size', (m) => (m.layers[0].size = -1), OCI_MANIFEST],
      ['a size that is not a number', (m) => (m.layers[0].size = '4096'), OCI_MANIFEST],
      ['an OCI manifest sent as Docker\'s', () => undefined, DOCKER_MANIFEST],
    ];
    for (const [what, lie, mediaType] of variants) {
      const doc = structuredClone(honest);
      lie(doc);
      const tag = `t${tally.tried}`;
      const put = await pushManifest(reg.url, 'room/app', tag, Buffer.from(JSON.stringify(doc)), mediaType);
      tally.tried++;
      expect(put.status, `${what}: ${put.status} ${put.body.toString().slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(put.status, what).toBeLessThan(500);
      expect(put.codes().length, what).toBeGreaterThan(0);
      expect((await call(reg.url, `/v2/room/app/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } })).status, what).toBe(404);
      tally.refused++;
    }
    // The blob upload itself: a digest that is not the bytes' is refused, nothing kept under it.
    const start = await call(reg.url, '/v2/room/app/blobs/uploads/', { method: 'POST' });
    const loc = new URL(start.headers.location!, reg.url);
    const liar = digestOf('something else');
    loc.searchParams.set('digest', liar);
    const put = await call(reg.url, loc.toString(), { method: 'PUT', body: randomBlob(100), headers: { 'Content-Type': 'application/octet-stream' } });
    tally.tried++;
    expect(put.status).toBe(400);
    expect((await call(reg.url, `/v2/room/app/blobs/${liar}`)).status).toBe(404);
    tally.refused++;
  });
});
