// `registry gc` removes exactly the blobs no manifest references: a deleted image's own config
// and layers, a blob pushed and never used — and keeps a layer the deleted image shared with a
// live one. --dry-run reports the same set and removes nothing. Abandoned uploads go too.
import { afterEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { registryGc, startRegistry } from '../../engine/registry/server/index.js';
import { call, digestOf, pushBlob, pushImage, randomBlob, startDockling, OCI_MANIFEST, OCI_INDEX, pushManifest, descriptor } from './server-harness.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const blobFiles = async (root: string) => (await readdir(join(root, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).sort();

/** A data root with a live image A, an index over A, a deleted image B that shared a layer with A, and a loose blob. */
async function populated() {
  const reg = await startDockling();
  const shared = randomBlob(4000);
  const a = await pushImage(reg.url, 'room/app', 'a', { layers: [shared, randomBlob(1000)] });
  const b = await pushImage(reg.url, 'room/app', 'b', { layers: [shared, randomBlob(1000)] });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor(OCI_MANIFEST, a.manifest)] }));
  expect((await pushManifest(reg.url, 'room/app', 'multi', index, OCI_INDEX)).status).toBe(201);
  const loose = randomBlob(500);
  await pushBlob(reg.url, 'room/other', loose);
  expect((await call(reg.url, `/v2/room/app/manifests/${b.digest}`, { method: 'DELETE' })).status).toBe(202);
  // An upload nobody finished.
  await call(reg.url, '/v2/room/app/blobs/uploads/', { method: 'POST' });
  await reg.stop();
  const garbage = [b.digest, digestOf(b.config), digestOf(b.layers[1]!), digestOf(loose)].sort();
  const live = [a.digest, digestOf(a.config), digestOf(shared), digestOf(a.layers[1]!), digestOf(index)].sort();
  return { dataRoot: reg.dataRoot, a, b, shared, loose, garbage, live };
}

describe('registry gc', () => {
  it('--dry-run reports exactly the unreferenced blobs and removes nothing', async () => {
    const p = await populated();
    const before = await blobFiles(p.dataRoot);
    const result = await registryGc({ dataRoot: p.dataRoot, dryRun: true, uploadMaxAgeMs: 0 });
    expect([...result.removed].sort()).toEqual(p.garbage);
    expect(result.dryRun).toBe(true);
    expect(result.uploadsRemoved).toBe(1);
    expect(result.freedBytes).toBe(p.b.manifest.length + p.b.config.length + 1000 + 500);
    expect(await blobFiles(p.dataRoot)).toEqual(before);
    expect(await readdir(join(p.dataRoot, 'uploads'))).toHaveLength(1);
  });

  it('removes exactly the unreferenced blobs, their links and old uploads; what is live still pulls', async () => {
    const p = await populated();
    const result = await registryGc({ dataRoot: p.dataRoot, uploadMaxAgeMs: 0 });
    expect([...result.removed].sort()).toEqual(p.garbage);
    expect(await blobFiles(p.dataRoot)).toEqual(p.live);
    expect(await readdir(join(p.dataRoot, 'uploads'))).toEqual([]);
    const reg = await startRegistry({ dataRoot: p.dataRoot, listen: '127.0.0.1:0' });
    stops.push(() => reg.close());
    expect((await call(reg.url, '/v2/room/app/manifests/a', { headers: { Accept: OCI_MANIFEST } })).body.equals(p.a.manifest)).toBe(true);
    for (const blob of [p.a.config, ...p.a.layers]) expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(blob)}`)).body.equals(blob)).toBe(true);
    expect((await call(reg.url, '/v2/room/app/manifests/multi', { headers: { Accept: OCI_INDEX } })).status).toBe(200);
    for (const gone of [p.b.config, p.b.layers[1]!]) expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(gone)}`, { method: 'HEAD' })).status).toBe(404);
    expect((await call(reg.url, `/v2/room/other/blobs/${digestOf(p.loose)}`, { method: 'HEAD' })).status).toBe(404);
    // A second run finds nothing more.
    await reg.close();
    stops.pop();
    expect((await registryGc({ dataRoot: p.dataRoot })).removed).toEqual([]);
  });

  it('keeps recent uploads (a push may be under way when the registry restarts)', async () => {
    const p = await populated();
    const result = await registryGc({ dataRoot: p.dataRoot });
    expect(result.uploadsRemoved).toBe(0);
    expect(await readdir(join(p.dataRoot, 'uploads'))).toHaveLength(1);
  });
});
