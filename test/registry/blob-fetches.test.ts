// Two pulls at once, one download per blob (chapter 4, blob-fetches.ts): two pulls of the same
// image by one client into one store GET each blob once — the registry's trace (registry.blob.get)
// says so — and both name the image. And one that waits for a download that fails fetches the
// blob itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { RegistryClient } from '../../engine/registry/index.js';
import { BlobFetches } from '../../engine/registry/client/blob-fetches.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';
import { makeImage, newStore } from './client-harness.js';
import { startDockling } from './server-harness.js';

let reg: Awaited<ReturnType<typeof startDockling>>;
let dir = '';
beforeAll(async () => {
  reg = await startDockling();
  dir = await tempDir('dockling-blob-fetches-');
});
afterAll(async () => {
  await reg?.stop();
});

describe('one download per blob across pulls', () => {
  it('two pulls of one image at once GET the config and each layer once', async () => {
    const host = new URL(reg.url).host;
    const src = await newStore(dir, 'src');
    const image = await makeImage(src.store, { name: `${host}/twice/app:1`, layers: [{ 'a.bin': randomBytes(2 << 20) }, { 'b.bin': randomBytes(2 << 20) }] });
    const client = new RegistryClient({ tracer: new Tracer([]) });
    try {
      await client.push({ reference: `${host}/twice/app:1`, store: src.store, content: src.content });
      reg.sink.events.length = 0;
      const dst = await newStore(dir, 'dst');
      const pulls = await Promise.all([1, 2].map(() => client.pull({ reference: `${host}/twice/app:1`, store: dst.store, content: dst.content })));
      expect(pulls.map((p) => p.id)).toEqual([image.id, image.id]);
      const gets = reg.sink.events.filter((e) => e.op === 'registry.blob.get' && e.phase === 'start');
      expect(gets.map((e) => e.data.digest).sort()).toEqual([image.id, ...image.layers.map((l) => l.digest)].sort());
    } finally {
      client.close();
    }
  });

  it('a caller waiting on a download that fails fetches the blob itself', async () => {
    const fetches = new BlobFetches();
    let stored = false;
    let release!: () => void;
    const first = fetches.once('sha256:aa' as never, {
      stored: async () => stored, found: async () => 'found',
      fetch: () => new Promise<string>((_, reject) => (release = () => reject(new Error('cut')))),
    });
    const second = fetches.once('sha256:aa' as never, {
      stored: async () => stored, found: async () => 'found',
      fetch: async () => ((stored = true), 'fetched'),
    });
    await new Promise((r) => setImmediate(r));
    release();
    await expect(first).rejects.toThrow('cut');
    expect(await second).toBe('fetched');
    expect(fetches.size).toBe(0);
  });
});
