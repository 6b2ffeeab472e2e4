// The registry client against real registries — the CNCF distribution registry (docker-registry)
// and `dockling registry`, one suite for both (STYLE habit 13): push an image of our store, pull
// it into a fresh one, pull what skopeo put there, pick a platform out of a multi-arch index,
// mount across repositories, upload in chunks, and fall back across mirrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { makeBaseImage, sha256, MediaType, type Image } from '../../engine/layers/index.js';
import { RegistryClient, repoDigestsOf, startRegistry } from '../../engine/registry/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';
import { countingProxy, freePort, httpCall, ingestFiles, makeImage, newStore, progressLog, startDistribution, type Distribution } from './client-harness.js';

const exec = promisify(execFile);

/** Each peer, started on a free port of 127.0.0.1 in a temp dir of its own. */
const peers: Array<[string, (dir: string) => Promise<Distribution>]> = [
  ['docker-registry', (dir) => startDistribution(dir)],
  ['dockling registry', async (dir) => {
    const r = await startRegistry({ dataRoot: dir, listen: '127.0.0.1:0' });
    return { host: `127.0.0.1:${r.port}`, url: r.url, logs: () => '', stop: () => r.close() };
  }],
];

describe.each(peers)('against %s', (_peer, startPeer) => {
  let dir: string;
  let registry: Distribution;
  let src: Awaited<ReturnType<typeof newStore>>;
  let base: Image;
  let client: RegistryClient;
  let n = 0;
  const fresh = () => newStore(dir, `store${n++}`);

  beforeAll(async () => {
    dir = await tempDir('dockling-regclient-');
    registry = await startPeer(await tempDir('dockling-peer-'));
    src = await fresh();
    base = await makeBaseImage({ store: src.store, tmpRoot: dir, tag: `${registry.host}/tests/busybox:v1` });
    client = new RegistryClient({ tracer: src.tracer });
  });

  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  describe('push and pull', () => {
    it('pushes an image of our store and pulls it back into a fresh store, digests and IDs the same', async () => {
      const pushed = progressLog();
      const result = await client.push({ reference: `${registry.host}/tests/busybox:v1`, store: src.store, content: src.content, onProgress: pushed.listener });
      expect(result.digest).toBe(base.manifestDigest);
      const layerId = base.layers[0]!.diffID.slice(7, 19);
      expect(pushed.lines()).toEqual([
        `The push refers to repository [${registry.host}/tests/busybox]`,
        `${layerId}: Preparing`,
        `${layerId}: Pushed`,
        `v1: digest: ${base.manifestDigest} size: ${result.size}`,
      ]);
      expect(pushed.messages.at(-1)).toEqual({ progressDetail: {}, aux: { Tag: 'v1', Digest: base.manifestDigest, Size: result.size } });
      // the registry has it under the tag, byte for byte
      const m = await httpCall(`${registry.url}/v2/tests/busybox/manifests/v1`, { headers: { Accept: MediaType.ociManifest } });
      expect(sha256(m.body)).toBe(base.manifestDigest);

      const dst = await fresh();
      src.sink.events.length = 0;
      const pulled = progressLog();
      const got = await client.pull({ reference: `${registry.host}/tests/busybox:v1`, store: dst.store, content: dst.content, onProgress: pulled.listener });
      expect(got).toEqual({ digest: base.manifestDigest, name: `${registry.host}/tests/busybox:v1`, id: base.id, upToDate: false });
      const image = await dst.store.resolve(`${registry.host}/tests/busybox:v1`);
      expect(image.id).toBe(base.id);
      expect(image.manifestDigest).toBe(base.manifestDigest);
      expect(image.layers).toEqual(base.layers);
      const short = base.layers[0]!.digest.slice(7, 19);
      expect(pulled.lines()).toEqual([
        'v1: Pulling from tests/busybox',
        `${short}: Pulling fs layer`,
        `${short}: Verifying Checksum`,
        `${short}: Download complete`,
        `${short}: Pull complete`,
        `Digest: ${base.manifestDigest}`,
        `Status: Downloaded newer image for ${registry.host}/tests/busybox:v1`,
      ]);
      expect(pulled.messages.some((msg) => msg.status === 'Downloading' && msg.progressDetail?.current === base.layers[0]!.size && msg.progressDetail.total === base.layers[0]!.size)).toBe(true);
      expect(await repoDigestsOf(dst.content, base.id)).toEqual([`${registry.host}/tests/busybox@${base.manifestDigest}`]);
      expect(await ingestFiles(dst.content)).toEqual([]);
      // traced, with no secret in sight
      const events = src.sink.events.filter((e) => e.chapter === 'registry');
      expect(events.map((e) => `${e.op}:${e.phase}`)).toEqual(expect.arrayContaining(['image.pull:start', 'manifest.pull:event', 'blob.pull:start', 'blob.pull:end', 'image.pull:end']));
      expect(events.find((e) => e.op === 'blob.pull' && e.phase === 'start' && e.data.digest === base.layers[0]!.digest)?.data).toMatchObject({ size: base.layers[0]!.size });
      expect(JSON.stringify(events)).not.toMatch(/Bearer|Basic |password/i);
    });

    it('says "Image is up to date" when the name already points at the image, and downloads nothing', async () => {
      const dst = await fresh();
      await client.pull({ reference: `${registry.host}/tests/busybox:v1`, store: dst.store, content: dst.content });
      const again = progressLog();
      const got = await client.pull({ reference: `${registry.host}/tests/busybox:v1`, store: dst.store, content: dst.content, onProgress: again.listener });
      expect(got.upToDate).toBe(true);
      expect(again.lines()).toEqual(['v1: Pulling from tests/busybox', `Digest: ${base.manifestDigest}`, `Status: Image is up to date for ${registry.host}/tests/busybox:v1`]);
    });

    it('skips layers already stored ("Already exists") and pulls by digest', async () => {
      const dst = await fresh();
      await client.pull({ reference: `${registry.host}/tests/busybox:v1`, store: dst.store, content: dst.content });
      // the same layer under another image: only the config is new
      const other = await src.store.addImage({ config: { ...base.config, author: 'someone else' }, layers: base.layers, names: [`${registry.host}/tests/other:v1`] });
      await client.push({ reference: `${registry.host}/tests/other:v1`, store: src.store, content: src.content });
      const log = progressLog();
      await client.pull({ reference: `${registry.host}/tests/other@${other.manifestDigest}`, store: dst.store, content: dst.content, onProgress: log.listener });
      expect(log.lines()).toContain(`${base.layers[0]!.digest.slice(7, 19)}: Already exists`);
      expect((await dst.store.resolve(other.id)).id).toBe(other.id);
      // by digest again: the image is here, nothing to do
      expect((await client.pull({ reference: `${registry.host}/tests/other@${other.manifestDigest}`, store: dst.store, content: dst.content })).upToDate).toBe(true);
    });

    it('pulls a Docker schema 2 image (skopeo --format v2s2) and pushes it back as such', async () => {
      const made = await makeImage(src.store, { name: 'localhost/skopeo/src:for-v2s2', layers: [{ 'etc/v2s2': 'docker media types\n' }] });
      await exec('skopeo', ['copy', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${src.content.root}:for-v2s2`, `docker://${registry.host}/skopeo/docker:v1`]);
      const dst = await fresh();
      const got = await client.pull({ reference: `${registry.host}/skopeo/docker:v1`, store: dst.store, content: dst.content });
      const image = await dst.store.resolve(got.id);
      expect(got.id).toBe(made.id);
      expect(image.manifestMediaType).toBe(MediaType.dockerManifest);
      expect(image.layers.map((l) => l.mediaType)).toEqual([MediaType.dockerLayerGzip]);
      expect(await repoDigestsOf(dst.content, got.id)).toEqual([`${registry.host}/skopeo/docker@${got.digest}`]);
      // skopeo's own manifest bytes are kept: the stored manifest is the registry's, digest and all
      expect(image.manifestDigest).toBe(got.digest);
      const back = await client.push({ reference: `${registry.host}/skopeo/docker:v1`, store: dst.store, content: dst.content });
      expect(back.digest).toBe(got.digest); // pushed back unchanged
      const served = await httpCall(`${registry.url}/v2/skopeo/docker/manifests/v1`, { headers: { Accept: MediaType.dockerManifest } });
      expect(served.headers['content-type']).toBe(MediaType.dockerManifest);
      expect(sha256(served.body)).toBe(back.digest);
    });

    it('pulls an image skopeo copied into the registry', async () => {
      // (the OCI layout names images by tag alone: a tag no other image of the store has)
      const made = await makeImage(src.store, { name: 'localhost/skopeo/src:for-skopeo', layers: [{ 'etc/hello': 'from skopeo\n' }, { 'app/x': 'x' }] });
      await exec('skopeo', ['copy', '--dest-tls-verify=false', `oci:${src.content.root}:for-skopeo`, `docker://${registry.host}/skopeo/app:v2`]);
      const dst = await fresh();
      const got = await client.pull({ reference: `${registry.host}/skopeo/app:v2`, store: dst.store, content: dst.content });
      const image = await dst.store.resolve(`${registry.host}/skopeo/app:v2`);
      expect(got.id).toBe(made.id);
      expect(image.layers.map((l) => [l.digest, l.diffID])).toEqual(made.layers.map((l) => [l.digest, l.diffID]));
      const inspected = JSON.parse((await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/skopeo/app:v2`])).stdout);
      expect(got.digest).toBe(inspected.Digest);
    });
  });

  describe('multi-arch indexes', () => {
    let amd64: Image;
    let arm64: Image;
    let indexDigest: string;

    beforeAll(async () => {
      amd64 = await makeImage(src.store, { name: `${registry.host}/multi/app:amd64`, layers: [{ 'arch': 'amd64\n' }], architecture: 'amd64' });
      arm64 = await makeImage(src.store, { name: `${registry.host}/multi/app:arm64`, layers: [{ 'arch': 'arm64\n' }], architecture: 'arm64', variant: 'v8' });
      for (const tag of ['amd64', 'arm64']) await client.push({ reference: `${registry.host}/multi/app:${tag}`, store: src.store, content: src.content });
      // the index, by hand: two manifests and their platforms
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: MediaType.ociManifest, digest: amd64.manifestDigest, size: (await src.content.size(amd64.manifestDigest)), platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: MediaType.ociManifest, digest: arm64.manifestDigest, size: (await src.content.size(arm64.manifestDigest)), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      }));
      const put = await httpCall(`${registry.url}/v2/multi/app/manifests/latest`, { method: 'PUT', headers: { 'Content-Type': MediaType.ociIndex }, body: index });
      expect(put.status).toBe(201);
      indexDigest = sha256(index);
    });

    it('resolves the index to the daemon platform', async () => {
      const dst = await fresh();
      const got = await client.pull({ reference: `${registry.host}/multi/app`, store: dst.store, content: dst.content });
      const want = process.arch === 'arm64' ? arm64 : amd64;
      expect(got.digest).toBe(indexDigest); // the digest the tag names: the index's
      expect(got.id).toBe(want.id);
      expect((await dst.store.resolve(`${registry.host}/multi/app:latest`)).config.architecture).toBe(want.config.architecture);
    });

    it('resolves the index to the platform asked for', async () => {
      const dst = await fresh();
      const got = await client.pull({ reference: `${registry.host}/multi/app:latest`, platform: { os: 'linux', architecture: 'arm64' }, store: dst.store, content: dst.content });
      expect(got.id).toBe(arm64.id);
      expect(await dst.content.has(amd64.layers[0]!.digest)).toBe(false);
    });

    it('refuses a platform the index does not have, and a single image of another platform', async () => {
      const dst = await fresh();
      await expect(client.pull({ reference: `${registry.host}/multi/app:latest`, platform: { os: 'linux', architecture: 's390x' }, store: dst.store, content: dst.content }))
        .rejects.toMatchObject({ code: 'NO_MATCHING_PLATFORM' });
      await expect(client.pull({ reference: `${registry.host}/multi/app:amd64`, platform: { os: 'linux', architecture: 'arm64' }, store: dst.store, content: dst.content }))
        .rejects.toMatchObject({ code: 'NO_MATCHING_PLATFORM' });
    });
  });

  describe('push: mounts and chunks', () => {
    it('mounts a blob from another repository of the same registry instead of uploading it', async () => {
      const proxy = await countingProxy(registry.host);
      try {
        const img = await makeImage(src.store, { name: `${proxy.host}/mount/one:v1`, layers: [{ 'data': randomBytes(4096) }] });
        await client.push({ reference: `${proxy.host}/mount/one:v1`, store: src.store, content: src.content });
        await src.store.tag(`${proxy.host}/mount/one:v1`, `${proxy.host}/mount/two:v1`);
        proxy.seen.length = 0;
        const log = progressLog();
        await client.push({ reference: `${proxy.host}/mount/two:v1`, store: src.store, content: src.content, onProgress: log.listener });
        expect(log.lines()).toContain(`${img.layers[0]!.diffID.slice(7, 19)}: Mounted from mount/one`);
        const layer = img.layers[0]!.digest;
        expect(proxy.seen).toContainEqual(expect.objectContaining({ method: 'POST', url: `/v2/mount/two/blobs/uploads/?mount=${encodeURIComponent(layer)}&from=mount%2Fone`, status: 201 }));
        // nothing uploaded: no PATCH, and no PUT but the manifest's
        expect(proxy.seen.filter((s) => s.method === 'PATCH')).toEqual([]);
        expect(proxy.seen.filter((s) => s.method === 'PUT').map((s) => s.url)).toEqual(['/v2/mount/two/manifests/v1']);
        const blob = await httpCall(`${registry.url}/v2/mount/two/blobs/${layer}`);
        expect(sha256(blob.body)).toBe(layer);
      } finally {
        await proxy.stop();
      }
    });

    it('uploads a large blob in PATCH chunks, and a pull gets it back whole', async () => {
      const proxy = await countingProxy(registry.host);
      const chunky = new RegistryClient({ tracer: src.tracer, chunkSize: 1024 * 1024 });
      try {
        const big = randomBytes(3 * 1024 * 1024 + 1234);
        const img = await makeImage(src.store, { name: `${proxy.host}/chunks/big:v1`, layers: [{ big }], gzip: false });
        const log = progressLog();
        await chunky.push({ reference: `${proxy.host}/chunks/big:v1`, store: src.store, content: src.content, onProgress: log.listener });
        const patches = proxy.seen.filter((s) => s.method === 'PATCH');
        expect(patches).toHaveLength(Math.ceil(img.layers[0]!.size / (1024 * 1024)));
        expect(patches.every((s) => s.status === 202)).toBe(true);
        expect(log.messages.some((m) => m.status === 'Pushing' && m.progressDetail?.current === img.layers[0]!.size)).toBe(true);
        const dst = await fresh();
        const got = await chunky.pull({ reference: `${proxy.host}/chunks/big:v1`, store: dst.store, content: dst.content });
        expect(got.id).toBe(img.id);
        expect(await dst.content.size(img.layers[0]!.digest)).toBe(img.layers[0]!.size);
      } finally {
        chunky.close();
        await proxy.stop();
      }
    });

    it('says "Layer already exists" for blobs the registry has', async () => {
      const log = progressLog();
      await client.push({ reference: `${registry.host}/tests/busybox:v1`, store: src.store, content: src.content, onProgress: log.listener });
      expect(log.lines()).toContain(`${base.layers[0]!.diffID.slice(7, 19)}: Layer already exists`);
    });

    it('refuses to push an image that is not in the store', async () => {
      const log = progressLog();
      await expect(client.push({ reference: `${registry.host}/nope/missing:v1`, store: src.store, content: src.content, onProgress: log.listener }))
        .rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
      expect(log.messages.at(-1)?.errorDetail?.message).toMatch(/does not exist locally/);
    });
  });

  describe('registry-mirrors', () => {
    it('pulls a Docker Hub name from the first mirror that answers', async () => {
      const img = await makeImage(src.store, { name: `${registry.host}/library/mirrored:latest`, layers: [{ 'm': 'mirrored' }] });
      await client.push({ reference: `${registry.host}/library/mirrored:latest`, store: src.store, content: src.content });
      const dead = `http://127.0.0.1:${await freePort()}`;
      const tracer = new Tracer([]);
      const mirrored = new RegistryClient({ tracer, mirrors: [dead, registry.url] });
      try {
        const dst = await fresh();
        const got = await mirrored.pull({ reference: 'mirrored', store: dst.store, content: dst.content });
        expect(got).toMatchObject({ id: img.id, name: 'docker.io/library/mirrored:latest' });
        expect((await dst.store.resolve('mirrored')).id).toBe(img.id);
      } finally {
        mirrored.close();
      }
    });

    it('fails with the registry error when the name is nowhere', async () => {
      const log = progressLog();
      const dst = await fresh();
      await expect(client.pull({ reference: `${registry.host}/tests/nothing:here`, store: dst.store, content: dst.content, onProgress: log.listener }))
        .rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN', kind: 'not-found' });
      expect(log.messages.at(-1)).toMatchObject({ errorDetail: { message: expect.stringContaining('tests/nothing:here') } });
    });
  });
});
