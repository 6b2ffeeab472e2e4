// The content store: blobs named by their sha256, kept as an OCI image layout on disk
// (image-spec image-layout.md: `oci-layout`, `index.json`, `blobs/sha256/<hex>`), so `skopeo`
// and `umoci` can read it directly. Chapter 1. Writes go to `ingest/` first and are renamed into
// `blobs/` only once their digest and size are verified and the bytes are on disk.
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyedMutex, invalid, notFound, storageFailure, writeFileAtomic } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import { DigestStream, hexOf, parseDigest } from './digest.js';
import { MediaType } from './media-types.js';
import type { Digest, ImageIndex } from './types.js';

export interface WriteOptions {
  /** The digest the bytes must have (a registry or a manifest said so). */
  expected?: Digest;
  /** The size the bytes must have; a longer stream is cut off as soon as it passes it. */
  expectedSize?: number;
  /**
   * Kept out of sight until this also resolves: the bytes are being checked elsewhere as they
   * pass (a pull unpacking a layer checks its diffID), and a rejection discards them.
   */
  gate?: Promise<unknown>;
  span?: Span;
}

export class ContentStore {
  readonly root: string;
  private readonly tracer: Tracer;
  private readonly mutex = new KeyedMutex();

  constructor(opts: { root: string; tracer: Tracer }) {
    this.root = opts.root;
    this.tracer = opts.tracer;
  }

  private get blobsDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }

  private get ingestDir(): string {
    return join(this.root, 'ingest');
  }

  /** Creates the layout if missing. Files left in ingest/ were being written by a process that died: remove them. */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true });
    const layout = join(this.root, 'oci-layout');
    if (!(await exists(layout))) await writeFileAtomic(layout, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const index = join(this.root, 'index.json');
    if (!(await exists(index))) await writeFileAtomic(index, JSON.stringify(emptyIndex()));
  }

  /** The blob's file. The digest is checked first, so a name like `sha256:../../x` never becomes a path. */
  path(d: Digest): string {
    return join(this.blobsDir, hexOf(parseDigest(d)));
  }

  async has(d: Digest): Promise<boolean> {
    return exists(this.path(d));
  }

  async size(d: Digest): Promise<number> {
    try {
      return (await stat(this.path(d))).size;
    } catch (err) {
      throw blobError(err, d);
    }
  }

  async readBytes(d: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(d));
    } catch (err) {
      throw blobError(err, d);
    }
  }

  async readJSON<T>(d: Digest): Promise<T> {
    const bytes = await this.readBytes(d);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (err) {
      throw invalid('INVALID_JSON', `blob ${d} is not valid JSON: ${(err as Error).message}`, { digest: d }, err);
    }
  }

  /** A stream of the blob's bytes; a missing blob surfaces as a BLOB_NOT_FOUND error on the stream. */
  createReadStream(d: Digest): Readable {
    const path = this.path(d);
    async function* bytes(): AsyncGenerator<Buffer> {
      let file: ReadStream;
      try {
        await stat(path);
        file = createReadStream(path);
      } catch (err) {
        throw blobError(err, d);
      }
      for await (const chunk of file) yield chunk as Buffer;
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  // #region write
  /**
   * Writes a blob the safe way: stream into ingest/<random> while hashing and counting, check
   * digest and size, fsync, then rename into blobs/sha256/<hex>. rename(2) is atomic, so a reader
   * sees the whole blob or none of it, and two writers of the same blob both rename identical
   * bytes (the one already there wins). A killed writer leaves only an ingest file behind.
   */
  async write(data: Uint8Array | Readable, opts: WriteOptions = {}): Promise<{ digest: Digest; size: number }> {
    if (opts.expected) parseDigest(opts.expected, 'expected digest');
    return this.tracer.span({ chapter: 'layers', op: 'blob.write', parent: opts.span, data: { expected: opts.expected ?? null } }, async (span) => {
      await mkdir(this.ingestDir, { recursive: true });
      const ingest = join(this.ingestDir, `${randomBytes(8).toString('hex')}`);
      try {
        const { digest, size } = await this.streamToIngest(data, ingest, opts.expectedSize);
        checkBlob({ digest, size, expected: opts.expected, expectedSize: opts.expectedSize });
        if (opts.gate) await opts.gate;
        const target = this.path(digest);
        if (await exists(target)) {
          await rm(ingest, { force: true });
          span.event('blob.exists', { digest, size });
        } else {
          await rename(ingest, target);
          await syncDir(this.blobsDir);
          span.event('blob.committed', { digest, size });
        }
        return { digest, size };
      } catch (err) {
        await rm(ingest, { force: true });
        throw storageFailure(err, { path: ingest, code: 'BLOB_WRITE' });
      }
    });
  }
  // #endregion write

  private async streamToIngest(data: Uint8Array | Readable, ingest: string, limit?: number): Promise<{ digest: Digest; size: number }> {
    const source = data instanceof Readable ? data : Readable.from([Buffer.from(data)]);
    const hasher = new DigestStream();
    // `flush` fsyncs the file before it is closed: the bytes are on disk before the rename.
    const out = createWriteStream(ingest, { flags: 'wx', mode: 0o644, flush: true });
    try {
      await pipeline(source, sizeLimit(limit), hasher, out);
    } catch (err) {
      // A source that fails at once can beat open(2): wait for the file to be closed, so the
      // caller's rm finds it, instead of removing nothing and leaving it to appear after.
      if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
      throw err;
    }
    return { digest: hasher.digest(), size: hasher.bytes };
  }

  /** Removes a blob; `span`: the operation it is part of (an image's removal), for the trace. */
  async delete(d: Digest, span?: Span): Promise<void> {
    await rm(this.path(d), { force: true });
    this.tracer.start('layers', 'blob.delete', { digest: d }, span?.id ?? null).end();
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}` as Digest);
  }

  async readIndex(): Promise<ImageIndex> {
    try {
      const index = JSON.parse(await readFile(join(this.root, 'index.json'), 'utf8')) as ImageIndex;
      return { ...index, manifests: index.manifests ?? [] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw err;
    }
  }

  /** Read-modify-write of index.json, one at a time, replaced atomically. */
  async updateIndex(fn: (index: ImageIndex) => ImageIndex | Promise<ImageIndex>): Promise<void> {
    await this.mutex.run('index.json', async () => {
      const next = await fn(await this.readIndex());
      await writeFileAtomic(join(this.root, 'index.json'), JSON.stringify(next, null, 2) + '\n');
    });
  }
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

function checkBlob(a: { digest: Digest; size: number; expected?: Digest; expectedSize?: number }): void {
  if (a.expectedSize !== undefined && a.size !== a.expectedSize) {
    throw invalid('SIZE_MISMATCH', `blob size mismatch: expected ${a.expectedSize} bytes, got ${a.size} (digest ${a.digest})`, {
      expectedSize: a.expectedSize, size: a.size, digest: a.digest,
    });
  }
  if (a.expected !== undefined && a.digest !== a.expected) {
    throw invalid('DIGEST_MISMATCH', `blob digest mismatch: expected ${a.expected}, got ${a.digest}`, { expected: a.expected, digest: a.digest });
  }
}

/** Fails the stream as soon as more than `limit` bytes pass: a hostile server cannot fill the disk. */
function sizeLimit(limit?: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (limit !== undefined && seen > limit) {
        cb(invalid('SIZE_MISMATCH', `blob size mismatch: expected ${limit} bytes, got more`, { expectedSize: limit, size: seen }));
      } else cb(null, chunk);
    },
  });
}

function blobError(err: unknown, d: Digest): unknown {
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return notFound('BLOB_NOT_FOUND', `blob not found: ${d}`, { digest: d });
  return err;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** fsync a directory so the rename itself survives a power cut. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
