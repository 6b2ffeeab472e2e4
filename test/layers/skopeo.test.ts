// Interop with real tools: skopeo reads our `save` tar and our content store directly (it is an
// OCI image layout), and `load` takes the docker-archive and OCI layout tars skopeo writes.
import { beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { saveImages } from '../../engine/layers/archive-save.js';
import { loadArchive } from '../../engine/layers/archive-load.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Tracer } from '../../engine/trace/index.js';
import type { Image, ImageConfig, LayerInfo } from '../../engine/layers/types.js';
import { tempDir } from '../tmp.js';

// execFile rather than base's run()/hasCommand(): these tools never read stdin, and run() writing
// to a stdin already closed by an exited child surfaces as an unhandled EPIPE.
const exec = promisify(execFile);
const run = (argv: string[]) => exec(argv[0]!, argv.slice(1));
const hasCommand = (name: string) => exec('sh', ['-c', `command -v ${name}`]).then(() => true, () => false);
const haveSkopeo = await hasCommand('skopeo');
const haveUmoci = await hasCommand('umoci');
if (!haveSkopeo) console.log('skipping skopeo interop tests: skopeo is not installed (Debian package skopeo)');
if (!haveUmoci) console.log('skipping umoci check: umoci is not installed (Debian package umoci)');

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date(0) }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return Buffer.concat(chunks);
}

let dir: string;
let n = 0;
async function newStore() {
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(dir, `store${n++}`), tracer });
  await content.init();
  return { content, store: new ImageStore({ content, tracer }) };
}

let src: Awaited<ReturnType<typeof newStore>>;
let image: Image;

beforeAll(async () => {
  dir = await tempDir('dockling-skopeo-');
  src = await newStore();
  const base = await src.store.ingestLayer(Readable.from([gzipSync(await tarOf({ 'etc/os-release': 'ID=dockling\n' }))]));
  const top = await src.store.ingestLayer(Readable.from([await tarOf({ 'app/hello': 'hi' })]));
  const config: ImageConfig = {
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [base.diffID, top.diffID] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD base' }, { created: '2024-01-01T00:00:00Z', created_by: 'ADD top' }],
  };
  image = await src.store.addImage({ config, layers: [base, top] as LayerInfo[], names: ['localhost:5000/interop/app:v1'] });
});

async function inspectConfig(target: string): Promise<ImageConfig> {
  return JSON.parse((await run(['skopeo', 'inspect', '--config', target])).stdout);
}

describe.skipIf(!haveSkopeo)('skopeo', () => {
  it('reads our content store as an OCI layout', async () => {
    const out = JSON.parse((await run(['skopeo', 'inspect', `oci:${src.content.root}:v1`])).stdout);
    expect(out.Layers).toEqual(image.layers.map((l) => l.digest));
    expect(out.Digest).toBe(image.manifestDigest);
    expect((await inspectConfig(`oci:${src.content.root}:v1`)).rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffID));
  });

  it('copies our docker save tar', async () => {
    const saved = join(dir, 'save.tar');
    await saveImages({ store: src.store, content: src.content, refs: ['localhost:5000/interop/app:v1'], out: createWriteStream(saved) });
    const ociDir = join(dir, 'from-save');
    await run(['skopeo', 'copy', `docker-archive:${saved}`, `oci:${ociDir}:x`]);
    const cfg = await inspectConfig(`oci:${ociDir}:x`);
    expect(cfg.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffID));
    const inspected = JSON.parse((await run(['skopeo', 'inspect', `docker-archive:${saved}`])).stdout);
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.diffID)); // uncompressed in a docker-archive
  });

  it('loads a docker-archive written by skopeo', async () => {
    const tar = join(dir, 'skopeo-docker.tar');
    await run(['skopeo', 'copy', `oci:${src.content.root}:v1`, `docker-archive:${tar}:skopeo/made:it`]);
    const dst = await newStore();
    const { images, messages } = await loadArchive({ store: dst.store, content: dst.content, input: createReadStream(tar), tmpRoot: join(dir, 'tmp') });
    expect(messages).toEqual(['Loaded image: skopeo/made:it']);
    expect(images[0]!.id).toBe(image.id);
    expect(images[0]!.layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
  });

  it('loads an OCI layout written by skopeo, tarred', async () => {
    const layout = join(dir, 'skopeo-oci');
    await run(['skopeo', 'copy', `oci:${src.content.root}:v1`, `oci:${layout}:localhost/made:by-skopeo`]);
    await run(['skopeo', 'copy', `oci:${src.content.root}:v1`, `oci:${layout}:plain`]);
    const tar = join(dir, 'skopeo-oci.tar');
    await run(['tar', '-C', layout, '-cf', tar, '.']);
    const dst = await newStore();
    const { images, messages } = await loadArchive({ store: dst.store, content: dst.content, input: createReadStream(tar), tmpRoot: join(dir, 'tmp') });
    expect(images.map((i) => i.id)).toEqual([image.id]);
    expect(messages).toEqual(['Loaded image: localhost/made:by-skopeo']);
    expect(images[0]!.layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
  });
});

describe.skipIf(!haveUmoci)('umoci', () => {
  it('lists the tags of our content store', async () => {
    const out = await run(['umoci', 'ls', '--layout', src.content.root]);
    expect(out.stdout.split('\n')).toContain('v1');
  });
});
