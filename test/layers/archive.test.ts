// save → load round trips, and hostile archives: each refused with a clear code, the store
// unchanged after (same images, no new blobs).
import { beforeEach, describe, expect, it } from 'vitest';
import { createWriteStream, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { extract, pack, type Headers } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { saveImages } from '../../engine/layers/archive-save.js';
import { loadArchive } from '../../engine/layers/archive-load.js';
import { sha256 } from '../../engine/layers/digest.js';
import { MediaType } from '../../engine/layers/media-types.js';
import { Tracer } from '../../engine/trace/index.js';
import type { ImageConfig, LayerInfo } from '../../engine/layers/types.js';
import { tempDir } from '../tmp.js';

interface TarEntry { header: Headers; body: Buffer }

async function tarOf(entries: Array<TarEntry | [string, string | Buffer]>): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (Array.isArray(e)) p.entry({ name: e[0], mtime: new Date(0) }, Buffer.from(e[1]));
    else if (e.header.type === 'file' || !e.header.type) p.entry({ ...e.header, size: e.body.length }, e.body);
    else p.entry(e.header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return Buffer.concat(chunks);
}

async function entriesOf(tar: Buffer): Promise<TarEntry[]> {
  const x = extract();
  const out: TarEntry[] = [];
  const feeding = pipeline(Readable.from([tar]), x);
  for await (const e of x) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c);
    out.push({ header: e.header, body: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

let dir: string;
let n = 0;
async function newStore(): Promise<{ content: ContentStore; store: ImageStore }> {
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(dir, `store${n++}`), tracer });
  await content.init();
  return { content, store: new ImageStore({ content, tracer }) };
}

function configOf(layers: LayerInfo[], extra = ''): ImageConfig {
  return { architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh', extra] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } };
}

async function seed(store: ImageStore) {
  const base = await store.ingestLayer(Readable.from([gzipSync(await tarOf([['etc/hostname', 'base']]))]));
  const top = await store.ingestLayer(Readable.from([await tarOf([['app', 'top'.repeat(1000)]])]));
  const a = await store.addImage({ config: configOf([base]), layers: [base], names: ['a:1', 'localhost:5000/a:2'] });
  const b = await store.addImage({ config: configOf([base, top], 'b'), layers: [base, top], names: ['user/b:latest'] });
  const c = await store.addImage({ config: configOf([top], 'c'), layers: [top] });
  return { a, b, c, base, top };
}

async function save(store: ImageStore, content: ContentStore, refs: string[]): Promise<Buffer> {
  const file = join(dir, `save${n++}.tar`);
  await saveImages({ store, content, refs, out: createWriteStream(file) });
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeEach(async () => {
  dir = await tempDir('dockling-archive-');
});

describe('save', () => {
  it('writes both views, layers uncompressed under their diffID', async () => {
    const { store, content } = await newStore();
    const { a, b, base } = await seed(store);
    const entries = await entriesOf(await save(store, content, ['a:1', 'user/b']));
    const byName = new Map(entries.map((e) => [e.header.name, e.body]));
    const manifest = JSON.parse(byName.get('manifest.json')!.toString());
    expect(manifest).toEqual([
      { Config: `blobs/sha256/${a.id.slice(7)}`, RepoTags: ['a:1'], Layers: [`blobs/sha256/${base.diffID.slice(7)}`] },
      { Config: `blobs/sha256/${b.id.slice(7)}`, RepoTags: ['user/b:latest'], Layers: b.layers.map((l) => `blobs/sha256/${l.diffID.slice(7)}`) },
    ]);
    expect(sha256(byName.get(`blobs/sha256/${base.diffID.slice(7)}`)!)).toBe(base.diffID);
    expect(byName.get('oci-layout')!.toString()).toBe('{"imageLayoutVersion":"1.0.0"}');
    const index = JSON.parse(byName.get('index.json')!.toString());
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { 'io.containerd.image.name': 'docker.io/library/a:1', 'org.opencontainers.image.ref.name': '1' },
      { 'io.containerd.image.name': 'docker.io/user/b:latest', 'org.opencontainers.image.ref.name': 'latest' },
    ]);
    const oci = JSON.parse(byName.get(`blobs/sha256/${index.manifests[0].digest.slice(7)}`)!.toString());
    expect(oci.layers).toEqual([{ mediaType: MediaType.ociLayer, digest: base.diffID, size: base.uncompressedSize }]);
    expect(JSON.parse(byName.get('repositories')!.toString())).toHaveProperty(['user/b', 'latest']);
    // the shared layer is written once
    expect(entries.filter((e) => e.header.name === `blobs/sha256/${base.diffID.slice(7)}`)).toHaveLength(1);
  });

  it('saves by ID with no names, and a bare repository with all its tags', async () => {
    const { store, content } = await newStore();
    const { a, c } = await seed(store);
    await store.tag('a:1', 'a:3');
    const entries = await entriesOf(await save(store, content, [c.id.slice(7, 19), 'a']));
    const manifest = JSON.parse(entries.find((e) => e.header.name === 'manifest.json')!.body.toString());
    expect(manifest.map((m: { RepoTags: unknown }) => m.RepoTags)).toEqual([null, ['a:1', 'a:3']]);
    expect(manifest[1].Config).toContain(a.id.slice(7));
  });
});

describe('save → load', () => {
  it('round-trips several images: same IDs, names, layers, diffIDs', async () => {
    const one = await newStore();
    const { a, b, c } = await seed(one.store);
    const tar = await save(one.store, one.content, ['a:1', 'localhost:5000/a:2', 'user/b:latest', c.id]);
    for (const input of [tar, gzipSync(tar)]) {
      const two = await newStore();
      const { images, messages } = await loadArchive({ store: two.store, content: two.content, input: Readable.from([input]), tmpRoot: join(dir, 'tmp') });
      expect(images.map((i) => i.id)).toEqual([a.id, b.id, c.id]);
      expect(messages).toEqual(['Loaded image: a:1', 'Loaded image: localhost:5000/a:2', 'Loaded image: user/b:latest', `Loaded image ID: ${c.id}`]);
      const loaded = await two.store.resolve('user/b');
      expect(loaded.id).toBe(b.id);
      expect(loaded.layers.map((l) => l.diffID)).toEqual(b.layers.map((l) => l.diffID));
      expect((await two.store.resolve('localhost:5000/a:2')).names.sort()).toEqual(a.names.sort());
      expect((await two.store.list()).length).toBe(3);
    }
  });
});

describe('hostile archives', () => {
  async function valid() {
    const s = await newStore();
    const { a } = await seed(s.store);
    const entries = await entriesOf(await save(s.store, s.content, ['a:1']));
    return { entries, a };
  }
  const edit = (entries: TarEntry[], name: string, fn: (body: Buffer) => Buffer) =>
    entries.map((e) => (e.header.name === name ? { ...e, body: fn(e.body) } : e));
  const manifestEdit = (entries: TarEntry[], fn: (m: Array<Record<string, unknown>>) => void) =>
    edit(entries, 'manifest.json', (b) => { const m = JSON.parse(b.toString()); fn(m); return Buffer.from(JSON.stringify(m)); });

  const cases: Array<[string, string, (v: Awaited<ReturnType<typeof valid>>) => Promise<Buffer>]> = [
    ['manifest.json pointing at ../../etc/passwd', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf(manifestEdit(entries, (m) => { m[0]!.Config = '../../etc/passwd'; }))],
    ['a layer path that is absolute', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf(manifestEdit(entries, (m) => { m[0]!.Layers = ['/etc/passwd']; }))],
    ['an entry named ../evil', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf([...entries, ['../evil', 'x']])],
    ['a symlink out of the archive', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf([...entries, { header: { name: 'layer.tar', type: 'symlink', linkname: '../../../etc/passwd' }, body: Buffer.alloc(0) }])],
    ['an absolute symlink', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf([...entries, { header: { name: 'layer.tar', type: 'symlink', linkname: '/etc/passwd' }, body: Buffer.alloc(0) }])],
    ['a device node', 'ARCHIVE_BAD_ENTRY', async ({ entries }) =>
      tarOf([...entries, { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }, body: Buffer.alloc(0) }])],
    ['a layer whose diffID does not match the config', 'DIFFID_MISMATCH', async ({ entries }) => {
      const m = manifestEdit(entries, (mm) => { mm[0]!.Layers = ['other/layer.tar']; });
      return tarOf([...m, ['other/layer.tar', await tarOf([['evil', 'x']])]]);
    }],
    ['a blob with the wrong digest', 'DIGEST_MISMATCH', async ({ entries, a }) =>
      tarOf(edit(entries, `blobs/sha256/${a.id.slice(7)}`, (b) => Buffer.from(b.toString().replace('amd64', 'arm64'))))],
    ['a config that is not JSON', 'INVALID_CONFIG', async ({ entries, a }) =>
      tarOf([...manifestEdit(entries, (m) => { m[0]!.Config = 'cfg.json'; void a; }), ['cfg.json', '{']])],
    ['a missing layer', 'ARCHIVE_MISSING_FILE', async ({ entries }) =>
      tarOf(manifestEdit(entries, (m) => { m[0]!.Layers = ['nothere.tar']; }))],
    ['an OCI layout whose blob has the wrong digest', 'DIGEST_MISMATCH', async ({ entries }) => {
      const oci = entries.filter((e) => e.header.name !== 'manifest.json');
      const index = JSON.parse(oci.find((e) => e.header.name === 'index.json')!.body.toString());
      const mname = `blobs/sha256/${index.manifests[0].digest.slice(7)}`;
      return tarOf(edit(oci, mname, (b) => Buffer.concat([b, Buffer.from(' ')])));
    }],
    ['an OCI layout with a schema 1 manifest', 'SCHEMA1_UNSUPPORTED', async () => {
      const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'latest', fsLayers: [] }));
      const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.dockerSchema1Signed, digest: sha256(s1), size: s1.length }] };
      return tarOf([['oci-layout', '{"imageLayoutVersion":"1.0.0"}'], ['index.json', JSON.stringify(index)], [`blobs/sha256/${sha256(s1).slice(7)}`, s1]]);
    }],
    ['a tar that is not an image archive', 'INVALID_ARCHIVE', async () => tarOf([['hello', 'world']])],
    // Issue 9: descriptors that lie about the bytes they point at (the OCI view: Docker's manifest.json has no sizes).
    ['a layer descriptor smaller than its blob', 'SIZE_MISMATCH', async ({ entries }) => ociEdit(entries, (m) => { m.layers[0]!.size -= 1; })],
    ['a layer descriptor larger than its blob', 'SIZE_MISMATCH', async ({ entries }) => ociEdit(entries, (m) => { m.layers[0]!.size += 1000; })],
    ['a config descriptor of the wrong size', 'SIZE_MISMATCH', async ({ entries }) => ociEdit(entries, (m) => { m.config.size = 1; })],
    ['a config served as a layer', 'DIFFID_MISMATCH', async ({ entries }) => ociEdit(entries, (m) => { m.layers[0] = { ...m.config }; })],
    ['a layer labelled as the config', 'INVALID_CONFIG', async ({ entries }) => ociEdit(entries, (m) => { m.config = { ...m.layers[0]!, mediaType: m.config.mediaType }; })],
    ['a plain layer labelled gzip', 'INVALID_LAYER', async ({ entries }) => ociEdit(entries, (m) => { m.layers[0]!.mediaType = MediaType.ociLayerGzip; })],
    ['a manifest descriptor of the wrong size', 'SIZE_MISMATCH', async ({ entries }) => {
      const oci = entries.filter((e) => e.header.name !== 'manifest.json');
      return tarOf(edit(oci, 'index.json', (b) => { const i = JSON.parse(b.toString()); i.manifests[0].size += 7; return Buffer.from(JSON.stringify(i)); }));
    }],
    ['manifest.json twice, the second pointing outside', 'ARCHIVE_BAD_ENTRY', async ({ entries }) => tarOf([...entries, ['manifest.json', JSON.stringify([{ Config: '../../etc/passwd', RepoTags: ['x:1'], Layers: [] }])]])],
  ];

  type Descriptor = { mediaType: string; digest: string; size: number };
  /** The OCI view only, its manifest edited and re-addressed (new digest, the index pointing at it). */
  async function ociEdit(entries: TarEntry[], fn: (m: { config: Descriptor; layers: Descriptor[] }) => void): Promise<Buffer> {
    const oci = entries.filter((e) => e.header.name !== 'manifest.json');
    const index = JSON.parse(oci.find((e) => e.header.name === 'index.json')!.body.toString());
    const manifest = JSON.parse(oci.find((e) => e.header.name === `blobs/sha256/${index.manifests[0].digest.slice(7)}`)!.body.toString());
    fn(manifest);
    const bytes = Buffer.from(JSON.stringify(manifest));
    index.manifests[0] = { ...index.manifests[0], digest: sha256(bytes), size: bytes.length };
    return tarOf([...edit(oci, 'index.json', () => Buffer.from(JSON.stringify(index))), [`blobs/sha256/${sha256(bytes).slice(7)}`, bytes]]);
  }

  it.each(cases)('refuses %s (%s) and leaves the store unchanged', async (_what, code, make) => {
    const v = await valid();
    const target = await newStore();
    await seed(target.store);
    const before = { images: await target.store.list(), blobs: await target.content.list() };
    const input = await make(v);
    await expect(loadArchive({ store: target.store, content: target.content, input: Readable.from([input]), tmpRoot: join(dir, 'tmp') }))
      .rejects.toMatchObject({ code });
    expect(await target.store.list()).toEqual(before.images);
    expect((await target.content.list()).sort()).toEqual(before.blobs.sort());
  });
});
