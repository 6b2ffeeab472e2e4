// The image store: add, tag, list, resolve, rmi semantics (dangling images, shared blobs,
// conflicts), history, and layer ingest with both digests.
import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { sha256 } from '../../engine/layers/digest.js';
import { MediaType } from '../../engine/layers/media-types.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import type { ImageConfig, LayerInfo } from '../../engine/layers/types.js';
import { tempDir } from '../tmp.js';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date(0) }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return Buffer.concat(chunks);
}

function configOf(layers: LayerInfo[], extra: Partial<ImageConfig> = {}): ImageConfig {
  return {
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i}` })),
    ...extra,
  };
}

let content: ContentStore;
let store: ImageStore;
let sink: MemorySink;

beforeEach(async () => {
  const root = await tempDir('dockling-is-');
  sink = new MemorySink();
  const tracer = new Tracer([sink]);
  content = new ContentStore({ root: join(root, 'content'), tracer });
  await content.init();
  store = new ImageStore({ content, tracer });
});

async function layer(files: Record<string, string>, gzip = false): Promise<LayerInfo> {
  const tar = await tarOf(files);
  return store.ingestLayer(Readable.from([gzip ? gzipSync(tar) : tar]));
}

describe('ingestLayer', () => {
  it('learns digest and diffID of a plain tar', async () => {
    const tar = await tarOf({ a: 'A' });
    const info = await store.ingestLayer(Readable.from([tar]));
    expect(info).toEqual({ digest: sha256(tar), diffID: sha256(tar), size: tar.length, uncompressedSize: tar.length, mediaType: MediaType.ociLayer });
    expect(await store.layerInfo(info.digest)).toEqual(info);
  });

  it('gunzips on the fly for the diffID', async () => {
    const tar = await tarOf({ a: 'A'.repeat(10000) });
    const gz = gzipSync(tar);
    const info = await store.ingestLayer(Readable.from([gz.subarray(0, 1), gz.subarray(1, 3), gz.subarray(3)]), { expectedDigest: sha256(gz), expectedDiffID: sha256(tar) });
    expect(info).toMatchObject({ digest: sha256(gz), diffID: sha256(tar), size: gz.length, uncompressedSize: tar.length, mediaType: MediaType.ociLayerGzip });
    expect(sink.ops()).toContain('layer.ingest:end');
  });

  it('refuses a wrong diffID and stores nothing', async () => {
    const tar = await tarOf({ a: 'A' });
    await expect(store.ingestLayer(Readable.from([gzipSync(tar)]), { expectedDiffID: sha256('no') })).rejects.toMatchObject({ code: 'DIFFID_MISMATCH' });
    await expect(store.ingestLayer(Readable.from([tar]), { expectedDigest: sha256('no') })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await content.list()).toEqual([]);
  });

  it('refuses broken gzip', async () => {
    const gz = gzipSync(await tarOf({ a: 'A' }));
    await expect(store.ingestLayer(Readable.from([gz.subarray(0, gz.length - 12), Buffer.alloc(12, 1)]))).rejects.toMatchObject({ code: 'INVALID_LAYER' });
    expect(await content.list()).toEqual([]);
  });
});

describe('images', () => {
  it('adds, lists and resolves by name, id, short id and digest', async () => {
    const l = await layer({ a: 'A' }, true);
    const image = await store.addImage({ config: configOf([l]), layers: [l], names: ['busybox'] });
    expect(image.names).toEqual(['docker.io/library/busybox:latest']);
    expect(image.id).toBe(image.manifest.config.digest);
    expect(image.layers).toEqual([l]);
    expect(image.size).toBe(l.uncompressedSize);
    for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', image.id, image.id.slice(7), image.id.slice(0, 12), image.id.slice(7, 10), `busybox@${image.manifestDigest}`]) {
      expect((await store.resolve(ref)).id, ref).toBe(image.id);
    }
    await expect(store.resolve('nothere')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', kind: 'not-found', message: 'No such image: nothere' });
    expect(await store.list()).toHaveLength(1);
    const index = await content.readIndex();
    expect(index.manifests[0]!.annotations).toEqual({ 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' });
  });

  it('keeps raw config bytes so the ID is stable', async () => {
    const l = await layer({ a: 'A' });
    const raw = Buffer.from(JSON.stringify(configOf([l]), null, 3));
    const image = await store.addImage({ config: raw, layers: [l], manifestMediaType: MediaType.dockerManifest });
    expect(image.id).toBe(sha256(raw));
    expect(image.manifest.mediaType).toBe(MediaType.dockerManifest);
    expect(image.manifest.layers[0]!.mediaType).toBe(MediaType.dockerLayer);
    expect(image.names).toEqual([]);
  });

  it('refuses layers that do not match the config', async () => {
    const l = await layer({ a: 'A' });
    await expect(store.addImage({ config: configOf([{ ...l, diffID: sha256('x') }]), layers: [l] })).rejects.toMatchObject({ code: 'DIFFID_MISMATCH' });
  });

  it('finds ambiguous short IDs', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const l = await layer({ [`f${i}`]: String(i) });
      ids.add((await store.addImage({ config: configOf([l]), layers: [l] })).id.slice(7, 8));
    }
    expect(ids.size).toBeLessThan(40); // 40 IDs in 16 first digits: some share one
    const all = (await store.list()).map((i) => i.id.slice(7));
    const dup = all.find((h) => all.filter((o) => o[0] === h[0]).length > 1)!;
    await expect(store.resolve(dup[0]!)).rejects.toMatchObject({ code: 'AMBIGUOUS_IMAGE_ID' });
  });

  it('tags, moving a name off another image which becomes dangling', async () => {
    const l1 = await layer({ a: '1' });
    const l2 = await layer({ a: '2' });
    const one = await store.addImage({ config: configOf([l1]), layers: [l1], names: ['app:1'] });
    await store.tag('app:1', 'app:latest');
    await store.tag(one.id.slice(7, 19), 'localhost:5000/app:v1');
    expect((await store.resolve('app')).names.sort()).toEqual(['docker.io/library/app:1', 'docker.io/library/app:latest', 'localhost:5000/app:v1']);
    const two = await store.addImage({ config: configOf([l2]), layers: [l2], names: ['app:1', 'app:latest', 'localhost:5000/app:v1'] });
    const list = await store.list();
    expect(list).toHaveLength(2);
    expect(list.find((i) => i.id === one.id)!.names).toEqual([]);
    expect(list.find((i) => i.id === two.id)!.names).toHaveLength(3);
    await expect(store.tag('app', 'app@' + sha256('x'))).rejects.toMatchObject({ code: 'INVALID_REFERENCE' });
    await expect(store.tag('nope', 'app:2')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });

  it('rmi: untag, then delete with the last name, keeping shared layers', async () => {
    const base = await layer({ base: 'b' });
    const top = await layer({ top: 't' });
    const a = await store.addImage({ config: configOf([base]), layers: [base], names: ['a:1', 'a:2'] });
    const b = await store.addImage({ config: configOf([base, top]), layers: [base, top], names: ['b'] });
    expect(await store.remove('a:1')).toEqual([{ Untagged: 'a:1' }]);
    expect(await store.remove('a:2')).toEqual([{ Untagged: 'a:2' }, { Deleted: a.id }]);
    expect(await content.has(base.digest)).toBe(true);
    expect(await content.has(a.id)).toBe(false);
    expect(await content.has(a.manifestDigest)).toBe(false);
    expect(await store.remove(b.id)).toEqual([{ Untagged: 'b:latest' }, { Deleted: b.id }]);
    expect(await content.list()).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('rmi: dangling images by ID, conflicts, images in use', async () => {
    const l = await layer({ x: 'x' });
    const img = await store.addImage({ config: configOf([l]), layers: [l], names: ['one', 'other/two'] });
    await expect(store.remove(img.id.slice(7, 19))).rejects.toMatchObject({
      code: 'IMAGE_REFERENCED_MULTIPLE', kind: 'conflict',
      message: `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    });
    store.setUsageCheck(async (id) => (id === img.id ? ['c0ffee'.padEnd(64, '0')] : []));
    expect(await store.remove('one')).toEqual([{ Untagged: 'one:latest' }]);
    await expect(store.remove('other/two')).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
    await expect(store.remove(img.id)).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
    store.setUsageCheck(async () => []);
    expect(await store.remove('other/two')).toEqual([{ Untagged: 'other/two:latest' }, { Deleted: img.id }]);

    const l2 = await layer({ x: 'x' }); // its blob went with the image: ingest it again
    const dangling = await store.addImage({ config: configOf([l2]), layers: [l2] });
    expect((await store.list()).map((i) => i.names)).toEqual([[]]);
    expect(await store.remove(dangling.id.slice(7, 11))).toEqual([{ Deleted: dangling.id }]);
    expect(await content.list()).toEqual([]);
  });

  it('history: newest first, <missing> below the top, empty layers size 0', async () => {
    const l = await layer({ a: 'A' });
    const img = await store.addImage({
      config: configOf([l], {
        history: [
          { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
          { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true, comment: 'c' },
        ],
      }),
      layers: [l], names: ['h:1'],
    });
    const rows = await store.history('h:1');
    expect(rows).toEqual([
      { id: img.id, created: 1704153600, createdBy: '/bin/sh -c #(nop)  CMD ["sh"]', tags: ['h:1'], size: 0, comment: 'c' },
      { id: '<missing>', created: 1704067200, createdBy: '/bin/sh -c #(nop) ADD file:abc in / ', tags: [], size: l.uncompressedSize, comment: '' },
    ]);
  });
});
