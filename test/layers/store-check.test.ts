// Chapter 1's store check (layers/store-check.ts, `dockling system check`): a store an image
// was added to is clean; each kind of damage a crash or a hand could leave is named; and the
// check changes nothing on disk.
import { beforeEach, describe, expect, it } from 'vitest';
import { appendFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { checkContentStore } from '../../engine/layers/store-check.js';
import { hexOf } from '../../engine/layers/digest.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import type { Image } from '../../engine/layers/types.js';
import { tempDir } from '../tmp.js';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date(0) }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under `dir` with its size and mtime: what "changes nothing" is measured by. */
async function snapshotOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const s = await stat(join(dir, name));
    out.push(`${name} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

let content: ContentStore;
let images: ImageStore;
let image: Image;

beforeEach(async () => {
  const tracer = new Tracer([new MemorySink()]);
  content = new ContentStore({ root: await tempDir('dkl-check-'), tracer });
  await content.init();
  images = new ImageStore({ content, tracer });
  const layer = await images.ingestLayer(Readable.from([await tarOf({ hello: 'world\n' })]));
  const config = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers' as const, diff_ids: [layer.diffID] } };
  image = await images.addImage({ config, layers: [layer], names: ['checked:1'] });
});

const blobFile = (d: string) => join(content.root, 'blobs', 'sha256', hexOf(d as `sha256:${string}`));

describe('checkContentStore', () => {
  it('finds a fresh store clean, and counts its blobs and images', async () => {
    const r = await checkContentStore({ content, images });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ blobs: 3, images: 1 });
  });

  it('changes nothing on disk, not even a missing layer sidecar', async () => {
    await rm(join(content.root, 'dockling', 'layers'), { recursive: true });
    const before = await snapshotOf(content.root);
    expect((await checkContentStore({ content, images })).problems).toEqual([]);
    expect(await snapshotOf(content.root)).toEqual(before);
  });

  it('names a blob whose bytes no longer hash to its name, and the image that needs it', async () => {
    await appendFile(blobFile(image.layers[0]!.digest), 'torn');
    const problems = (await checkContentStore({ content, images })).problems.map((p) => `${p.object}: ${p.problem}`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^blob sha256:.* hash to/);
    expect(problems[1]).toMatch(/checked:1 .*layer blob .* is missing or bad/);
  });

  it('names a file among the blobs that is not named by a digest (a temp file in sight)', async () => {
    await writeFile(join(content.root, 'blobs', 'sha256', 'ingest-1234'), 'half');
    const [p] = (await checkContentStore({ content, images })).problems;
    expect(p!.problem).toMatch(/not named by a sha256 digest/);
  });

  it('names an image whose config or manifest blob is missing', async () => {
    await rm(blobFile(image.id));
    expect((await checkContentStore({ content, images })).problems.map((p) => p.problem)).toEqual([`config blob ${image.id} is missing or bad`]);
    await rm(blobFile(image.manifestDigest));
    expect((await checkContentStore({ content, images })).problems.map((p) => p.problem)).toEqual(['its manifest blob is missing or bad']);
  });

  it("names a layer whose recorded diffID is not the config's", async () => {
    const info = join(content.root, 'dockling', 'layers', `${hexOf(image.layers[0]!.digest)}.json`);
    await writeFile(info, JSON.stringify({ ...image.layers[0], diffID: `sha256:${'0'.repeat(64)}` }));
    const [p] = (await checkContentStore({ content, images })).problems;
    expect(p!.problem).toMatch(/^layer 0 .* has diffID sha256:0+, its config says/);
  });
});
