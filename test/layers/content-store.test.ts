// The content store: verified writes, atomic commits, concurrent writers, stale ingest files,
// and a layout that skopeo reads as an OCI image layout.
import { describe, expect, it, beforeEach } from 'vitest';
import { readdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { sha256 } from '../../engine/layers/digest.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

let root: string;
let store: ContentStore;
let sink: MemorySink;

beforeEach(async () => {
  root = join(await tempDir('dockling-cs-'), 'content');
  sink = new MemorySink();
  store = new ContentStore({ root, tracer: new Tracer([sink]) });
  await store.init();
});

describe('ContentStore', () => {
  it('lays out an OCI image layout', async () => {
    expect(JSON.parse(await readFile(join(root, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect((await store.readIndex()).manifests).toEqual([]);
    await store.init(); // idempotent
    expect(await store.list()).toEqual([]);
  });

  it('writes a blob under its sha256 and reads it back', async () => {
    const data = Buffer.from('hello layers');
    const { digest, size } = await store.write(data, { expected: sha256(data), expectedSize: data.length });
    expect(digest).toBe(sha256(data));
    expect(size).toBe(data.length);
    expect(await store.has(digest)).toBe(true);
    expect(await store.size(digest)).toBe(size);
    expect((await store.readBytes(digest)).toString()).toBe('hello layers');
    expect(store.path(digest)).toBe(join(root, 'blobs', 'sha256', digest.slice(7)));
    const chunks: Buffer[] = [];
    for await (const c of store.createReadStream(digest)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello layers');
    expect(await store.list()).toEqual([digest]);
    expect(sink.ops()).toContain('blob.write:end');
  });

  it('streams a Readable', async () => {
    const parts = [Buffer.from('a'.repeat(100000)), Buffer.from('b'.repeat(100000))];
    const { digest, size } = await store.write(Readable.from(parts));
    expect(digest).toBe(sha256(Buffer.concat(parts)));
    expect(size).toBe(200000);
  });

  it('refuses a wrong digest or size and leaves nothing visible', async () => {
    const data = Buffer.from('payload');
    await expect(store.write(data, { expected: sha256('other') })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(store.write(data, { expectedSize: 3 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(store.write(data, { expectedSize: 30 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });

  it('refuses a digest that is not sha256 hex', async () => {
    expect(() => store.path('sha256:../../etc/passwd' as never)).toThrow();
    await expect(store.write(Buffer.from('x'), { expected: 'md5:abc' as never })).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
  });

  it('reports a missing blob as BLOB_NOT_FOUND', async () => {
    const d = sha256('missing');
    await expect(store.size(d)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND', kind: 'not-found' });
    await expect(store.readBytes(d)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    const read = async () => { for await (const _ of store.createReadStream(d)) void _; };
    await expect(read()).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
  });

  it('lets concurrent writers of one blob all succeed', async () => {
    const data = Buffer.alloc(1 << 20, 7);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.write(Readable.from([data.subarray(0, 1 << 19), data.subarray(1 << 19)]))));
    expect(new Set(results.map((r) => r.digest)).size).toBe(1);
    expect(await store.list()).toEqual([sha256(data)]);
    expect((await store.readBytes(sha256(data))).equals(data)).toBe(true);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });

  it('never shows a killed writer\'s half blob, and init cleans it', async () => {
    await writeFile(join(root, 'ingest', 'deadbeef'), 'half a blo');
    expect(await store.list()).toEqual([]);
    await store.init();
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });

  it('deletes blobs and serialises index updates', async () => {
    const { digest } = await store.write(Buffer.from('x'));
    await store.delete(digest);
    expect(await store.has(digest)).toBe(false);
    await Promise.all(Array.from({ length: 10 }, (_, i) =>
      store.updateIndex((idx) => ({ ...idx, manifests: [...idx.manifests, { mediaType: 'x', digest: sha256(String(i)), size: i }] }))));
    expect((await store.readIndex()).manifests).toHaveLength(10);
  });
});
