// The pull-through cache (`dockling registry --proxy URL`): a room's registry that holds what
// the room pulls from another registry. Each thing crosses the internet once:
// - A manifest asked for by tag is fetched from upstream (and stored, and the tag moved), then
//   trusted for `tagTtlMs`; after that upstream is asked again. If upstream cannot be reached,
//   the last copy is served — the workshop goes on when the venue's uplink does not.
// - A manifest asked for by digest never changes: fetched once, verified, kept.
// - A blob is fetched once and streamed to the learner who asked *while* it is written to disk.
//   Its digest is known only after the last byte, so the last chunk is held back until the
//   bytes are verified: a corrupt download ends the connection short, and a client never
//   receives a whole body that is wrong. Learners who ask for the same blob meanwhile wait for
//   that one download and are then served from disk.
import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { sha256, type Digest } from '../../layers/index.js';
import type { Facts, Tracer } from '../../trace/index.js';
import type { BlobStore } from './blob-store.js';
import type { RequestContext } from './context.js';
import { RegistryError, registryError } from './errors.js';
import type { Layout } from './layout.js';
import { MANIFEST_ACCEPT, checkManifest, referrerDescriptor } from './manifest-check.js';
import type { Reference } from './names.js';
import type { RepositoryStore } from './repository-store.js';
import { blobHeaders } from './blob-handlers.js';
import type { Upstream } from './upstream.js';

export type ManifestSource = 'local' | 'upstream' | 'stale';

/** Writes to a client, waiting out backpressure; false once the client has gone. */
async function sendChunk(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

export class PullThrough {
  private readonly tagFreshUntil = new Map<string, number>();
  private readonly manifestFetches = new Map<string, Promise<ManifestSource>>();
  private readonly blobFetches = new Map<Digest, Promise<void>>();

  constructor(private readonly deps: {
    upstream: Upstream; blobs: BlobStore; repos: RepositoryStore; layout: Layout; tracer: Tracer; tagTtlMs: number;
  }) {}

  /** Makes the local copy of a manifest current; says where the answer comes from. */
  async refreshManifest(name: string, ref: Reference): Promise<ManifestSource> {
    const { repos } = this.deps;
    if (ref.kind === 'digest' && (await repos.manifest(name, ref.digest))) return 'local';
    const key = `${name}:${ref.kind === 'tag' ? ref.tag : ref.digest}`;
    if (ref.kind === 'tag' && (this.tagFreshUntil.get(key) ?? 0) > Date.now()) return 'local';
    // One fetch per manifest at a time: the others wait for it.
    let pending = this.manifestFetches.get(key);
    if (!pending) {
      pending = this.fetchManifest(name, ref).finally(() => this.manifestFetches.delete(key));
      this.manifestFetches.set(key, pending);
    }
    return pending;
  }

  private async fetchManifest(name: string, ref: Reference): Promise<ManifestSource> {
    const { upstream, repos, blobs, tracer, tagTtlMs } = this.deps;
    const reference = ref.kind === 'tag' ? ref.tag : ref.digest;
    const span = tracer.start('registry', 'registry.proxy.fetch', { kind: 'manifest', repository: name, reference, upstream: upstream.base });
    try {
      const res = await upstream.request(`/v2/${name}/manifests/${reference}`, { method: 'GET', repository: name, accept: MANIFEST_ACCEPT });
      if (res.status === 404) {
        await res.body?.cancel();
        if (ref.kind === 'tag') await repos.deleteTag(name, ref.tag);
        span.end({ status: 404 });
        return 'upstream';
      }
      if (!res.ok) throw registryError('UNAVAILABLE', `upstream answered ${res.status} for ${name}:${reference}`, { status: res.status });
      const body = Buffer.from(await res.arrayBuffer());
      const d = sha256(body);
      if (ref.kind === 'digest' && d !== ref.digest) {
        throw registryError('UNAVAILABLE', `upstream sent a manifest with digest ${d} for ${ref.digest}`, { expected: ref.digest, actual: d });
      }
      const checked = checkManifest(body, res.headers.get('content-type') ?? undefined);
      await blobs.putBytes(body);
      await repos.putManifest(name, d, checked.info);
      if (ref.kind === 'tag') {
        await repos.setTag(name, ref.tag, d);
        this.tagFreshUntil.set(`${name}:${ref.tag}`, Date.now() + tagTtlMs);
      }
      if (checked.subject) await repos.addReferrer(name, checked.subject, referrerDescriptor(d, checked.info));
      span.end({ digest: d, size: body.length, mediaType: checked.mediaType });
      return 'upstream';
    } catch (err) {
      span.fail(err);
      // Upstream down: a tag seen before is served from the cache rather than failing the pull.
      const stale = ref.kind === 'tag' && err instanceof RegistryError && err.code === 'UNAVAILABLE' && (await repos.tag(name, ref.tag)) !== null;
      if (stale) return 'stale';
      throw err;
    }
  }

  /**
   * A blob GET or HEAD this cache cannot answer from disk. Answers the client itself (and
   * returns the trace facts), or returns null once the blob is on disk and linked, for the
   * caller to serve from there.
   */
  async serveBlob(ctx: RequestContext, name: string, d: Digest): Promise<Facts | null> {
    const { upstream, blobs, repos } = this.deps;
    const known = (await blobs.size(d)) !== null;
    if (ctx.req.method === 'HEAD' || known) {
      // Upstream is asked whether *this* repository has the blob (it may be private).
      const res = await upstream.request(`/v2/${name}/blobs/${d}`, { method: 'HEAD', repository: name });
      if (res.status === 404) throw registryError('BLOB_UNKNOWN', `blob ${d} is not in ${name} upstream`, { digest: d });
      if (!res.ok) throw registryError('UNAVAILABLE', `upstream answered ${res.status} for blob ${d}`, { status: res.status });
      if (known) {
        await repos.linkBlob(name, d);
        return null;
      }
      const size = Number(res.headers.get('content-length') ?? 0);
      ctx.res.writeHead(200, blobHeaders(d, size));
      ctx.res.end();
      return { size, source: 'upstream' };
    }
    const inFlight = this.blobFetches.get(d);
    // A ranged request, or a second learner: wait for the one download, then serve from disk.
    if (inFlight || ctx.req.headers.range) {
      await (inFlight ?? this.download(name, d, null));
      if (await repos.hasBlob(name, d)) return null;
      // The download was for another repository (whose blob it is upstream may differ), or it failed.
      if ((await blobs.size(d)) !== null) return this.serveBlob(ctx, name, d);
      throw registryError('UNAVAILABLE', `the download of ${d} from upstream failed`, { digest: d });
    }
    const size = await this.download(name, d, ctx.res);
    return { size, source: 'upstream' };
  }

  private download(name: string, d: Digest, client: ServerResponse | null): Promise<number> {
    const p = this.fetchBlob(name, d, client).finally(() => this.blobFetches.delete(d));
    this.blobFetches.set(d, p.then(() => undefined, () => undefined));
    return p;
  }

  private async fetchBlob(name: string, d: Digest, client: ServerResponse | null): Promise<number> {
    const { upstream, blobs, repos, layout, tracer } = this.deps;
    const span = tracer.start('registry', 'registry.proxy.fetch', { kind: 'blob', repository: name, digest: d, upstream: upstream.base });
    const tmp = join(layout.uploadsDir, `proxy-${randomUUID()}`);
    const out = await open(tmp, 'w');
    try {
      const res = await upstream.request(`/v2/${name}/blobs/${d}`, { method: 'GET', repository: name });
      if (res.status === 404) throw registryError('BLOB_UNKNOWN', `blob ${d} is not in ${name} upstream`, { digest: d });
      if (!res.ok || !res.body) throw registryError('UNAVAILABLE', `upstream answered ${res.status} for blob ${d}`, { status: res.status });
      const length = res.headers.get('content-length');
      if (client) {
        const headers = blobHeaders(d, Number(length ?? 0));
        if (length === null) delete headers['Content-Length'];
        client.writeHead(200, headers);
      }
      const hash = createHash('sha256');
      let size = 0;
      let held: Buffer | null = null;
      let listening = client !== null;
      // #region hold-back-last-chunk
      for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const buf = chunk as Buffer;
        hash.update(buf);
        size += buf.length;
        await out.write(buf);
        // The learner gets every chunk but the last one now; the last waits for the verdict.
        if (listening && held) listening = await sendChunk(client!, held);
        held = buf;
      }
      await out.sync();
      await out.close();
      const actual = `sha256:${hash.digest('hex')}` as Digest;
      if (actual !== d) throw registryError('UNAVAILABLE', `upstream sent blob ${d} with digest ${actual}`, { expected: d, actual });
      await blobs.adopt(tmp, d);
      await repos.linkBlob(name, d);
      if (listening) client!.end(held ?? undefined);
      span.end({ size, verified: true });
      // #endregion hold-back-last-chunk
      return size;
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      span.fail(err);
      // Headers are out: the only honest thing left to say is an unfinished body.
      if (client?.headersSent) client.destroy();
      throw err;
    }
  }
}
