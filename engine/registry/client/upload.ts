// One blob to a registry, the cheapest way it can get there (chapter 4; distribution-spec
// spec.md, "Pushing blobs"):
//   1. HEAD /v2/<name>/blobs/<digest>: already there → nothing to send ("Layer already exists");
//   2. known to be in another repository of the same registry → POST …/uploads/?mount=&from=:
//      201 means the registry linked it without a byte sent ("Mounted from …"); 202 means it
//      would not, and hands us an upload session instead;
//   3. otherwise an upload session (POST …/uploads/ → 202 Location), then either
//        monolithic: PUT <location>?digest=<d> with the whole blob as body (small blobs), or
//        chunked:    PATCH <location> Content-Range: 0-16777215 … once per chunk, each
//                    answered with the next Location, then PUT <location>?digest=<d> empty.
// The registry hashes what it received and refuses the PUT if the digest differs.
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import { internal } from '../../base/index.js';
import type { ContentStore, Digest } from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import type { BlobOrigin } from './origins.js';
import type { RemoteRepository } from './repository.js';

export type UploadOutcome = { outcome: 'exists' } | { outcome: 'mounted'; from: string } | { outcome: 'pushed'; chunks: number };

export interface UploadOptions {
  repo: RemoteRepository;
  content: ContentStore;
  digest: Digest;
  size: number;
  /** Where the blob is known to be (origins.ts); those on this registry are mount candidates. */
  origins: BlobOrigin[];
  chunkSize: number;
  onBytes?: (sent: number) => void;
  span?: Span;
}

// #region upload
export async function uploadBlob(o: UploadOptions): Promise<UploadOutcome> {
  const { repo } = o;
  // 1. does the registry have it already?
  if (await repo.hasBlob(o.digest)) return { outcome: 'exists' };
  // 2. can it be mounted from a repository that has it?
  const source = o.origins.find((x) => x.registry === repo.endpoint.registry && x.repository !== repo.name);
  let session: Awaited<ReturnType<RemoteRepository['startUpload']>> | undefined;
  if (source) {
    session = await repo.startUpload({ mount: { digest: o.digest, from: source.repository } }).catch((err) => {
      // No read access to the source (the token server refused the scope): upload instead.
      o.span?.event('blob.mount.refused', { digest: o.digest, from: source.repository, code: (err as { code?: string }).code ?? null });
      return undefined;
    });
    if (session?.mounted) return { outcome: 'mounted', from: source.repository };
  }
  // 3. send the bytes
  const location = session && !session.mounted ? session.location : await startPlain(repo);
  let sent = 0;
  const count = (n: number) => o.onBytes?.((sent += n));
  if (o.size <= o.chunkSize) {
    const body = o.size === 0 ? Buffer.alloc(0) : counted(read(o.content, o.digest, 0, o.size), count);
    await repo.finishUpload(location, o.digest, body, o.size);
    return { outcome: 'pushed', chunks: 1 };
  }
  let next = location;
  let chunks = 0;
  for (let start = 0; start < o.size; start += o.chunkSize) {
    const length = Math.min(o.chunkSize, o.size - start);
    next = await repo.patchChunk(next, counted(read(o.content, o.digest, start, length), count), start, length);
    chunks++;
  }
  await repo.finishUpload(next, o.digest, Buffer.alloc(0), 0);
  return { outcome: 'pushed', chunks };
}
// #endregion upload

async function startPlain(repo: RemoteRepository): Promise<URL> {
  const s = await repo.startUpload();
  if (s.mounted) throw internal('UPLOAD_MOUNTED', 'the registry answered a plain upload as a mount', {});
  return s.location;
}

/** `length` bytes of a stored blob from `start`, read from disk as they are sent. */
function read(content: ContentStore, digest: Digest, start: number, length: number): Readable {
  return createReadStream(content.path(digest), { start, end: start + length - 1 });
}

function counted(source: Readable, count: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      count(chunk.length);
      cb(null, chunk);
    },
  });
  source.once('error', (err) => counter.destroy(err));
  return source.pipe(counter);
}
