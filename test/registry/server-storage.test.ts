// `dockling registry`'s storage, seen from outside and on disk: what survives a restart, what a
// failed or interrupted push leaves (nothing visible), concurrent pushes of one blob, hostile
// names and digests, one registry per data root, and the trace a push leaves behind.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { startRegistry } from '../../engine/registry/server/index.js';
import {
  call, digestOf, pushBlob, pushImage, randomBlob, startDockling, OCI_MANIFEST, type Peer,
} from './server-harness.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function dockling(opts: Parameters<typeof startDockling>[0] = {}) {
  const reg = await startDockling(opts);
  stops.push(() => reg.stop());
  return reg;
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

describe('persistence', () => {
  it('a registry restarted on the same data root serves what was pushed before', async () => {
    const first = await dockling();
    const img = await pushImage(first.url, 'room/app', 'v1');
    await first.stop();
    const again = await startRegistry({ dataRoot: first.dataRoot, listen: '127.0.0.1:0' });
    stops.push(() => again.close());
    const m = await call(again.url, '/v2/room/app/manifests/v1', { headers: { Accept: OCI_MANIFEST } });
    expect(m.status).toBe(200);
    expect(m.body.equals(img.manifest)).toBe(true);
    expect((await call(again.url, `/v2/room/app/blobs/${digestOf(img.layers[0]!)}`)).body.equals(img.layers[0]!)).toBe(true);
    expect((await call(again.url, '/v2/_catalog')).json()).toEqual({ repositories: ['room/app'] });
  });

  it('an upload session survives a restart and can be finished after it', async () => {
    const first = await dockling();
    const data = randomBlob(4000);
    const post = await call(first.url, '/v2/room/app/blobs/uploads/', { method: 'POST' });
    await call(first.url, post.headers.location!, { method: 'PATCH', body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } });
    await first.stop();
    const again = await startRegistry({ dataRoot: first.dataRoot, listen: '127.0.0.1:0' });
    stops.push(() => again.close());
    expect((await call(again.url, post.headers.location!)).headers.range).toBe('0-999');
    await call(again.url, post.headers.location!, { method: 'PATCH', body: data.subarray(1000), headers: { 'Content-Range': '1000-3999' } });
    const put = await call(again.url, `${post.headers.location!}?digest=${digestOf(data)}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect((await call(again.url, `/v2/room/app/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
  });

  it('one registry per data root: a second start, or gc, is refused while one runs', async () => {
    const first = await dockling();
    await expect(startRegistry({ dataRoot: first.dataRoot, listen: '127.0.0.1:0' })).rejects.toMatchObject({ code: 'DATA_ROOT_IN_USE' });
    const { registryGc } = await import('../../engine/registry/server/index.js');
    await expect(registryGc({ dataRoot: first.dataRoot })).rejects.toMatchObject({ code: 'DATA_ROOT_IN_USE' });
  });
});

describe('failed and interrupted pushes leave nothing visible', () => {
  it('a wrong digest: 400 DIGEST_INVALID, no blob, no link, no upload left on disk', async () => {
    const reg = await dockling();
    const data = randomBlob(5000);
    const wrong = digestOf('not this');
    const mono = await call(reg.url, `/v2/room/app/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: data });
    expect(mono.status).toBe(400);
    expect(mono.codes()).toEqual(['DIGEST_INVALID']);
    const post = await call(reg.url, '/v2/room/app/blobs/uploads/', { method: 'POST' });
    await call(reg.url, post.headers.location!, { method: 'PATCH', body: data, headers: { 'Content-Range': '0-4999' } });
    const put = await call(reg.url, `${post.headers.location!}?digest=${wrong}`, { method: 'PUT' });
    expect(put.codes()).toEqual(['DIGEST_INVALID']);
    expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404);
    expect(await filesUnder(join(reg.dataRoot, 'blobs'))).toEqual([]);
    expect(await filesUnder(join(reg.dataRoot, 'uploads'))).toEqual([]);
    expect(await filesUnder(join(reg.dataRoot, 'repositories'))).toEqual([]);
  });

  it('a chunk cut off mid-way is dropped whole: the status says where to resume, and resuming works', async () => {
    const reg = await dockling();
    const data = randomBlob(300_000);
    const post = await call(reg.url, '/v2/room/app/blobs/uploads/', { method: 'POST' });
    const loc = new URL(post.headers.location!, reg.url);
    await call(reg.url, loc.toString(), { method: 'PATCH', body: data.subarray(0, 100_000), headers: { 'Content-Range': '0-99999' } });
    // The second chunk promises 200 000 bytes and the client goes away after 50 000.
    await new Promise<void>((resolve) => {
      const req = request(loc, { method: 'PATCH', headers: { 'Content-Length': '200000', 'Content-Range': '100000-299999' } });
      req.on('error', () => resolve());
      req.write(data.subarray(100_000, 150_000), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    const status = await call(reg.url, loc.toString());
    expect(status.status).toBe(204);
    expect(status.headers.range).toBe('0-99999');
    expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404);
    // The server truncates the cut chunk away as soon as it notices the cut.
    const dataFile = join(reg.dataRoot, 'uploads', loc.pathname.split('/').pop()!, 'data');
    await vi.waitFor(async () => expect((await stat(dataFile)).size).toBe(100_000));
    const rest = await call(reg.url, loc.toString(), { method: 'PATCH', body: data.subarray(100_000), headers: { 'Content-Range': '100000-299999' } });
    expect(rest.headers.range).toBe('0-299999');
    expect((await call(reg.url, `${loc}?digest=${digestOf(data)}`, { method: 'PUT' })).status).toBe(201);
    expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
  });

  it('a monolithic push cut off mid-way leaves no upload and no blob', async () => {
    const reg = await dockling();
    const data = randomBlob(200_000);
    await new Promise<void>((resolve) => {
      const req = request(new URL(`/v2/room/app/blobs/uploads/?digest=${digestOf(data)}`, reg.url), { method: 'POST', headers: { 'Content-Length': String(data.length) } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(data.subarray(0, 64_000), () => setTimeout(() => req.destroy(), 50));
    });
    // The server notices the cut asynchronously: wait until its cleanup is done.
    for (let i = 0; i < 50 && (await filesUnder(join(reg.dataRoot, 'uploads'))).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await filesUnder(join(reg.dataRoot, 'uploads'))).toEqual([]);
    expect(await filesUnder(join(reg.dataRoot, 'blobs'))).toEqual([]);
    expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404);
  });
});

describe('concurrency', () => {
  it('twenty clients pushing the same blob at once all succeed, and one copy is stored', async () => {
    const reg = await dockling();
    const data = randomBlob(1 << 20);
    const repos = Array.from({ length: 20 }, (_, i) => `room/learner${i % 5}`);
    const results = await Promise.all(repos.map((r) => pushBlob(reg.url, r, data)));
    expect(new Set(results)).toEqual(new Set([digestOf(data)]));
    expect(await filesUnder(join(reg.dataRoot, 'blobs'))).toEqual([`sha256/${digestOf(data).slice(7)}`]);
    expect(await filesUnder(join(reg.dataRoot, 'uploads'))).toEqual([]);
    for (const r of new Set(repos)) expect((await call(reg.url, `/v2/${r}/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
  });

  it('two hundred concurrent pulls of one layer are all served whole', async () => {
    const reg = await dockling();
    const layer = randomBlob(256 * 1024);
    await pushBlob(reg.url, 'room/app', layer);
    const got = await Promise.all(Array.from({ length: 200 }, () => call(reg.url, `/v2/room/app/blobs/${digestOf(layer)}`)));
    expect(got.every((a) => a.status === 200 && a.body.equals(layer))).toBe(true);
  });
});

describe('hostile requests', () => {
  let reg: Peer;
  beforeAll(async () => {
    reg = await startDockling();
  });
  afterAll(() => reg?.stop());
  const NAME_INVALID = ['/v2/UPPER/tags/list', '/v2/a/%2e%2e/%2e%2e/etc/tags/list', '/v2/a//b/tags/list', '/v2/_x/tags/list', '/v2/a/_tags/tags/list', '/v2/a%zz/tags/list',
    // Issue 9: an encoded slash is not a separator (it was decoded, and `a%2fb` answered for a/b).
    '/v2/a%2fb/tags/list', '/v2/a%2F..%2F..%2Fetc/tags/list', '/v2/%2e%2e/tags/list', `/v2/${'a'.repeat(300)}/tags/list`, '/v2/a/b%00/tags/list'];
  const DIGEST_INVALID = ['/v2/a/blobs/uploads/?digest=sha256:..%2f..%2fx', '/v2/a/referrers/sha256:xyz'];
  const BLOB_UNKNOWN = ['/v2/a/blobs/sha512:' + 'ab'.repeat(64)];
  const BLOB_UPLOAD_UNKNOWN = ['/v2/a/blobs/uploads/..%2f..%2fregistry.pid', '/v2/a/blobs/uploads/not-a-uuid'];

  it.each(NAME_INVALID)('NAME_INVALID: %s', async (path) => {
    const a = await call(reg.url, path);
    expect(a.status).toBe(400);
    expect(a.codes()).toEqual(['NAME_INVALID']);
  });
  it.each(DIGEST_INVALID)('DIGEST_INVALID: %s', async (path) => {
    const a = await call(reg.url, path, { method: path.includes('uploads') ? 'POST' : 'GET' });
    expect(a.status).toBe(400);
    expect(a.codes()).toEqual(['DIGEST_INVALID']);
  });
  it.each(BLOB_UNKNOWN)('BLOB_UNKNOWN: %s', async (path) => {
    const a = await call(reg.url, path);
    expect(a.status).toBe(404);
    expect(a.codes()).toEqual(['BLOB_UNKNOWN']);
  });
  it.each(BLOB_UPLOAD_UNKNOWN)('BLOB_UPLOAD_UNKNOWN: %s', async (path) => {
    const a = await call(reg.url, path);
    expect(a.status).toBe(404);
    expect(a.codes()).toEqual(['BLOB_UPLOAD_UNKNOWN']);
  });
});

describe('trace', () => {
  it('a push records the facts a diagram needs: blob puts (mounted or not) and the manifest put', async () => {
    const reg = await dockling();
    const img = await pushImage(reg.url, 'room/app', 'v1');
    await call(reg.url, `/v2/room/copy/blobs/uploads/?mount=${digestOf(img.layers[0]!)}&from=room/app`, { method: 'POST' });
    await call(reg.url, `/v2/room/app/blobs/${digestOf(img.layers[0]!)}`);
    // A span ends just after its answer is sent: the client may be faster than the sink.
    await vi.waitFor(() => expect(reg.sink.events.some((e) => e.op === 'registry.blob.get' && e.phase === 'end')).toBe(true));
    const ends = reg.sink.events.filter((e) => e.phase === 'end');
    const puts = ends.filter((e) => e.op === 'registry.blob.put');
    expect(puts.map((e) => e.data)).toEqual([
      { size: img.config.length, mounted: false },
      { size: img.layers[0]!.length, mounted: false },
      { size: img.layers[0]!.length, mounted: true, from: 'room/app' },
    ]);
    const starts = reg.sink.events.filter((e) => e.phase === 'start' && e.op === 'registry.blob.put');
    expect(starts.map((e) => e.data)).toMatchObject([
      { repository: 'room/app', digest: digestOf(img.config) },
      { repository: 'room/app', digest: digestOf(img.layers[0]!) },
      { repository: 'room/copy', digest: digestOf(img.layers[0]!), via: 'mount' },
    ]);
    const manifest = reg.sink.events.filter((e) => e.op === 'registry.manifest.put');
    expect(manifest[0]!.data).toEqual({ repository: 'room/app', reference: 'v1' });
    expect(manifest[1]!.data).toMatchObject({ digest: img.digest, mediaType: OCI_MANIFEST, size: img.manifest.length });
    const get = ends.find((e) => e.op === 'registry.blob.get')!;
    expect(get.data).toMatchObject({ size: img.layers[0]!.length, source: 'local' });
  });
});
