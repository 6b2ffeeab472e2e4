// Blob uploads in progress (distribution spec, "Pushing blobs"): a POST opens a session, PATCHes
// append chunks in order, a PUT with `?digest=` closes it, a DELETE cancels it. Each session
// is a folder uploads/<uuid>/ with info.json (which repository it is for) and data (the bytes
// so far). Nothing here is visible as a blob: only finish() hands a verified file over.
//
// Two habits keep an upload honest:
// - A chunk lands whole or not at all. If the client goes away mid-chunk, the data file is
//   truncated back to where the chunk began, so the offset a status request reports is always
//   the end of the last complete chunk, and the client resumes from there.
// - The digest is computed as the bytes arrive (an incremental sha256 kept with the session),
//   so closing a 1 GB upload does not read 1 GB again. After a restart, or after a failed
//   chunk, the running hash is gone and finish() hashes the file instead.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../layers/index.js';
import { KeyedMutex } from '../../base/index.js';
import { registryError } from './errors.js';
import type { Layout } from './layout.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Session {
  uuid: string;
  repository: string;
  /** Bytes received so far: the size of the data file. */
  offset: number;
  /** sha256 of those bytes, or null when it must be recomputed from the file. */
  hash: Hash | null;
}

export class UploadStore {
  private readonly live = new Map<string, Session>();
  private readonly mutex = new KeyedMutex();

  constructor(private readonly layout: Layout) {}

  async init(): Promise<void> {
    await mkdir(this.layout.uploadsDir, { recursive: true });
  }

  async start(repository: string): Promise<{ uuid: string; offset: number }> {
    const uuid = randomUUID();
    const dir = this.layout.upload(uuid);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'info.json'), JSON.stringify({ repository, startedAt: new Date().toISOString() }));
    await writeFile(join(dir, 'data'), '');
    this.live.set(uuid, { uuid, repository, offset: 0, hash: createHash('sha256') });
    return { uuid, offset: 0 };
  }

  /** The session's offset; BLOB_UPLOAD_UNKNOWN when there is no such upload in this repository. */
  async status(uuid: string, repository: string): Promise<number> {
    return (await this.load(uuid, repository)).offset;
  }

  /**
   * Appends one chunk. `start` is where the client says the chunk begins (from Content-Range);
   * it must be the current offset, since chunks arrive in order (416 otherwise). `length`,
   * from Content-Length, is what the chunk must hold for it to count.
   */
  async append(args: { uuid: string; repository: string; body: Readable; start?: number; length?: number }): Promise<number> {
    return this.mutex.run(args.uuid, async () => {
      const s = await this.load(args.uuid, args.repository);
      if (args.start !== undefined && args.start !== s.offset) {
        throw registryError('BLOB_UPLOAD_INVALID', `chunk starts at ${args.start} but the upload has ${s.offset} bytes`, { offset: s.offset, start: args.start }, 416);
      }
      await this.receive(s, args.body, args.length);
      return s.offset;
    });
  }

  // #region finish
  /**
   * Closes the upload: checks the whole content against `digest`, and hands the verified file
   * to `commit` (which moves it into the blob store). A mismatch removes the upload and
   * answers DIGEST_INVALID: nothing becomes visible.
   */
  async finish(args: { uuid: string; repository: string; digest: Digest; commit: (file: string, size: number) => Promise<void> }): Promise<number> {
    return this.mutex.run(args.uuid, async () => {
      const s = await this.load(args.uuid, args.repository);
      const file = join(this.layout.upload(s.uuid), 'data');
      const actual = s.hash ? `sha256:${s.hash.digest('hex')}` : await hashFile(file);
      s.hash = null;
      if (actual !== args.digest) {
        await this.discard(s.uuid);
        throw registryError('DIGEST_INVALID', `the uploaded content has digest ${actual}, not ${args.digest}`, { expected: args.digest, actual });
      }
      await args.commit(file, s.offset);
      await this.discard(s.uuid);
      return s.offset;
    });
  }
  // #endregion finish

  async cancel(uuid: string, repository: string): Promise<void> {
    await this.mutex.run(uuid, async () => {
      await this.load(uuid, repository);
      await this.discard(uuid);
    });
  }

  // #region receive-chunk
  /** Streams a request body onto the end of the data file, whole or not at all. */
  private async receive(s: Session, body: Readable, length?: number): Promise<void> {
    const file = join(this.layout.upload(s.uuid), 'data');
    const before = s.offset;
    let got = 0;
    const hash = s.hash;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash?.update(chunk);
        got += chunk.length;
        cb(null, chunk);
      },
    });
    const out = createWriteStream(file, { flags: 'a', highWaterMark: 1 << 20 });
    try {
      await pipeline(body, tap, out);
      if (length !== undefined && got !== length) {
        throw registryError('SIZE_INVALID', `chunk has ${got} bytes, Content-Length said ${length}`, { received: got, length });
      }
      s.offset = before + got;
    } catch (err) {
      // Put the file back as it was before this chunk (once the writer has let go of it: a
      // write in flight must not land after the truncate); the running hash saw bytes that
      // are gone, so it is dropped and finish() will hash the file.
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      await truncate(file, before).catch(() => undefined);
      s.offset = before;
      s.hash = null;
      throw err;
    }
  }
  // #endregion receive-chunk

  private async load(uuid: string, repository: string): Promise<Session> {
    const unknown = () => registryError('BLOB_UPLOAD_UNKNOWN', `no upload ${uuid} in ${repository}`, { uuid, repository });
    if (!UUID_RE.test(uuid)) throw unknown();
    let s = this.live.get(uuid);
    if (!s) {
      // Not seen since this process started: a session from before a restart, if any.
      const dir = this.layout.upload(uuid);
      const info = await readFile(join(dir, 'info.json'), 'utf8').then((t) => JSON.parse(t) as { repository: string }, () => null);
      const size = await stat(join(dir, 'data')).then((st) => st.size, () => null);
      if (!info || size === null) throw unknown();
      s = { uuid, repository: info.repository, offset: size, hash: size === 0 ? createHash('sha256') : null };
      this.live.set(uuid, s);
    }
    if (s.repository !== repository) throw unknown();
    return s;
  }

  private async discard(uuid: string): Promise<void> {
    this.live.delete(uuid);
    await rm(this.layout.upload(uuid), { recursive: true, force: true });
  }
}

async function hashFile(file: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
