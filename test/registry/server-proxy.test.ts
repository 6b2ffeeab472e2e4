// `dockling registry --proxy`: a pull-through cache. Upstream is a second registry on loopback
// (ours behind htpasswd, so the proxy's credentials are exercised; and the CNCF registry), and
// for the corrupt-upstream case a tiny HTTP server that lies about a blob. What a room needs:
// each layer crosses the uplink once however many learners pull it, tags follow upstream,
// the cache keeps serving when upstream is gone, and a corrupt download is never served whole.
import { afterEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MemorySink } from '../../engine/trace/index.js';
import {
  call, digestOf, htpasswdFile, pushImage, randomBlob, startDistribution, startDockling, OCI_MANIFEST,
} from './server-harness.js';
import { tempDir } from '../tmp.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const teacher = { username: 'teacher', password: 'upstream-secret' };

/** An upstream dockling registry behind htpasswd, holding one image, and a proxy in front of it. */
async function room(opts: { tagTtlMs?: number; layers?: Buffer[] } = {}) {
  const upstream = await startDockling({ htpasswd: await htpasswdFile(await tempDir('dockling-upstream-'), [teacher]) });
  stops.push(() => upstream.stop());
  const img = await pushImage(upstream.url, 'library/busybox', 'latest', { auth: teacher, layers: opts.layers });
  const proxy = await startDockling({ proxy: { url: upstream.url, ...teacher, tagTtlMs: opts.tagTtlMs } });
  stops.push(() => proxy.stop());
  return { upstream, proxy, img };
}

/** How many times `op` started for `digest` in a registry's trace. */
const started = (sink: MemorySink, op: string, digest: string) =>
  sink.events.filter((e) => e.op === op && e.phase === 'start' && e.data.digest === digest).length;

describe('pull-through cache', () => {
  it('serves an image from upstream, and each blob crosses from upstream once', async () => {
    const { upstream, proxy, img } = await room();
    for (let round = 0; round < 2; round++) {
      const m = await call(proxy.url, '/v2/library/busybox/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
      expect(m.status).toBe(200);
      expect(m.body.equals(img.manifest)).toBe(true);
      expect(m.headers['docker-content-digest']).toBe(img.digest);
      for (const blob of [img.config, ...img.layers]) {
        const b = await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(blob)}`);
        expect(b.body.equals(blob)).toBe(true);
      }
    }
    for (const blob of [img.config, ...img.layers]) expect(started(upstream.sink, 'registry.blob.get', digestOf(blob))).toBe(1);
    // The tag was asked upstream once: the second round was within the tag's time to live.
    expect(upstream.sink.events.filter((e) => e.op === 'registry.manifest.get' && e.phase === 'start')).toHaveLength(1);
    const fetches = proxy.sink.events.filter((e) => e.op === 'registry.proxy.fetch' && e.phase === 'end');
    expect(fetches).toHaveLength(1 + 1 + img.layers.length);
    // Stored on the proxy's disk: content-addressed, like any pushed blob.
    const onDisk = await readdir(join(proxy.dataRoot, 'blobs', 'sha256'));
    for (const blob of [img.config, ...img.layers]) expect(onDisk).toContain(digestOf(blob).slice(7));
  });

  it('a room pulling one layer at once causes one upstream download, streamed to the first learner', async () => {
    const layer = randomBlob(2 * 1024 * 1024);
    const { upstream, proxy } = await room({ layers: [layer] });
    const all = await Promise.all(Array.from({ length: 8 }, () => call(proxy.url, `/v2/library/busybox/blobs/${digestOf(layer)}`)));
    expect(all.every((a) => a.status === 200 && a.body.equals(layer))).toBe(true);
    expect(started(upstream.sink, 'registry.blob.get', digestOf(layer))).toBe(1);
  });

  it('HEAD of an uncached blob asks upstream and caches nothing; a ranged GET is served from the cached whole', async () => {
    const layer = randomBlob(50_000);
    const { proxy } = await room({ layers: [layer] });
    const head = await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(layer)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(layer.length);
    expect(await readdir(join(proxy.dataRoot, 'blobs', 'sha256'))).not.toContain(digestOf(layer).slice(7));
    const part = await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(layer)}`, { headers: { Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.body.equals(layer.subarray(1000, 2000))).toBe(true);
  });

  it('a tag moved upstream is followed once its time to live is over', async () => {
    const { upstream, proxy } = await room({ tagTtlMs: 0 });
    await call(proxy.url, '/v2/library/busybox/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
    const newer = await pushImage(upstream.url, 'library/busybox', 'latest', { auth: teacher });
    const m = await call(proxy.url, '/v2/library/busybox/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
    expect(m.headers['docker-content-digest']).toBe(newer.digest);
  });

  it('with upstream gone, what was pulled is still served; what was not is 502 UNAVAILABLE', async () => {
    const { upstream, proxy, img } = await room({ tagTtlMs: 0, layers: [randomBlob(3000), randomBlob(3000)] });
    await call(proxy.url, '/v2/library/busybox/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
    await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(img.layers[0]!)}`);
    await upstream.stop();
    const m = await call(proxy.url, '/v2/library/busybox/manifests/latest', { headers: { Accept: OCI_MANIFEST } });
    expect(m.status).toBe(200);
    expect(m.body.equals(img.manifest)).toBe(true);
    expect((await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(img.layers[0]!)}`)).body.equals(img.layers[0]!)).toBe(true);
    const missing = await call(proxy.url, `/v2/library/busybox/blobs/${digestOf(img.layers[1]!)}`);
    expect(missing.status).toBe(502);
    expect(missing.codes()).toEqual(['UNAVAILABLE']);
  });

  it('refuses pushes (405 UNSUPPORTED): a cache is filled from upstream only', async () => {
    const { proxy } = await room();
    const a = await call(proxy.url, '/v2/library/busybox/blobs/uploads/', { method: 'POST' });
    expect(a.status).toBe(405);
    expect(a.codes()).toEqual(['UNSUPPORTED']);
  });

  it('unknown upstream content is 404, as upstream says', async () => {
    const { proxy } = await room();
    expect((await call(proxy.url, '/v2/library/busybox/manifests/nope', { headers: { Accept: OCI_MANIFEST } })).codes()).toEqual(['MANIFEST_UNKNOWN']);
    expect((await call(proxy.url, `/v2/library/busybox/blobs/${digestOf('nope')}`)).codes()).toEqual(['BLOB_UNKNOWN']);
  });

  it('a blob whose bytes do not match its digest is never served whole, and is not kept', async () => {
    const lie = randomBlob(100_000);
    const claimed = digestOf('what the manifest promised');
    const liar = createServer((req, res) => {
      if (req.url === `/v2/library/busybox/blobs/${claimed}`) {
        res.writeHead(200, { 'Content-Length': String(lie.length), 'Docker-Content-Digest': claimed });
        res.end(lie);
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"NOT_FOUND","message":"no"}]}');
      }
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    stops.push(async () => {
      liar.closeAllConnections();
      await new Promise((r) => liar.close(r));
    });
    const proxy = await startDockling({ proxy: { url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}` } });
    stops.push(() => proxy.stop());
    const got = await call(proxy.url, `/v2/library/busybox/blobs/${claimed}`).then(
      (a) => ({ complete: a.status === 200 && a.body.length === lie.length }),
      () => ({ complete: false }),
    );
    expect(got.complete).toBe(false);
    expect(await readdir(join(proxy.dataRoot, 'blobs', 'sha256'))).toEqual([]);
    expect(await readdir(join(proxy.dataRoot, 'uploads'))).toEqual([]);
  });

  it('speaks the token flow Docker Hub uses: a Bearer challenge, one token per scope, then the content', async () => {
    const layer = randomBlob(3000);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(layer), size: layer.length }, layers: [] }));
    const seen = { challenges: 0, tokens: 0 };
    const basic = `Basic ${Buffer.from(`${teacher.username}:${teacher.password}`).toString('base64')}`;
    const hub = createServer((req, res) => {
      const port = (hub.address() as AddressInfo).port;
      if (req.url!.startsWith('/token?')) {
        const q = new URL(req.url!, 'http://x').searchParams;
        seen.tokens++;
        const ok = req.headers.authorization === basic && q.get('service') === 'fake-hub' && q.get('scope') === 'repository:library/hello:pull';
        res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
        res.end(ok ? JSON.stringify({ token: 't0k3n', expires_in: 300 }) : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer t0k3n') {
        seen.challenges++;
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake-hub",scope="repository:library/hello:pull"` });
        res.end();
      } else if (req.url === '/v2/library/hello/manifests/latest') {
        res.writeHead(200, { 'Content-Type': OCI_MANIFEST, 'Docker-Content-Digest': digestOf(manifest) });
        res.end(manifest);
      } else if (req.url === `/v2/library/hello/blobs/${digestOf(layer)}`) {
        res.writeHead(200, { 'Content-Length': String(layer.length) });
        res.end(layer);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    stops.push(async () => {
      hub.closeAllConnections();
      await new Promise((r) => hub.close(r));
    });
    const proxy = await startDockling({ proxy: { url: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`, ...teacher } });
    stops.push(() => proxy.stop());
    expect((await call(proxy.url, '/v2/library/hello/manifests/latest', { headers: { Accept: OCI_MANIFEST } })).body.equals(manifest)).toBe(true);
    expect((await call(proxy.url, `/v2/library/hello/blobs/${digestOf(layer)}`)).body.equals(layer)).toBe(true);
    expect(seen).toEqual({ challenges: 1, tokens: 1 });
  });

  it('works in front of the CNCF registry too', async () => {
    const upstream = await startDistribution();
    stops.push(() => upstream.stop());
    const img = await pushImage(upstream.url, 'library/alpine', '3', { layers: [randomBlob(10_000)] });
    const proxy = await startDockling({ proxy: { url: upstream.url } });
    stops.push(() => proxy.stop());
    const m = await call(proxy.url, '/v2/library/alpine/manifests/3', { headers: { Accept: OCI_MANIFEST } });
    expect(m.body.equals(img.manifest)).toBe(true);
    expect((await call(proxy.url, `/v2/library/alpine/blobs/${digestOf(img.layers[0]!)}`)).body.equals(img.layers[0]!)).toBe(true);
    expect((await call(proxy.url, `/v2/library/alpine/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
  });
});
