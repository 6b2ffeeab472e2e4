// Blobs (distribution spec, "Pulling blobs", "Deleting blobs"): GET and HEAD /v2/<name>/blobs/<digest>
// and DELETE of the same. A GET streams the file from disk through a read stream into the
// socket — never the whole layer in memory; a big one on a plain socket goes by sendfile(2),
// straight from the page cache (sendfile.ts) — and honours `Range` so an interrupted pull can
// resume. A blob is served only when this repository links to it; in a pull-through cache a
// blob it lacks is fetched from upstream (pull-through.ts) as it is streamed to the client.
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../layers/index.js';
import { registryError } from './errors.js';
import { parseByteRange, sendEmpty } from './http-io.js';
import { parseDigestParam } from './names.js';
import { traced, type RequestContext } from './context.js';
import { sendfileBody, useSendfile } from './sendfile.js';
import type { Facts } from '../../trace/index.js';

/** Blobs never change (their name is their content): caches may keep them for good. */
export function blobHeaders(d: Digest, size: number): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(size),
    'Docker-Content-Digest': d,
    'Accept-Ranges': 'bytes',
    ETag: `"${d}"`,
    'Cache-Control': 'max-age=31536000',
  };
}

/** Does this repository serve `d`: a linked blob, or one of its manifests (they are blobs too). */
async function served(ctx: RequestContext, name: string, d: Digest): Promise<boolean> {
  const { repos } = ctx.services;
  return (await repos.hasBlob(name, d)) || (await repos.manifest(name, d)) !== null;
}

export async function getBlob(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const d = parseDigestParam(ctx.params.digest!, 'BLOB_UNKNOWN');
  const head = ctx.req.method === 'HEAD';
  await traced(ctx, head ? 'registry.blob.head' : 'registry.blob.get', { repository: name, digest: d }, async () => {
    const { proxy } = ctx.services;
    const facts = (await serveLocal(ctx, name, d)) ?? (proxy && ((await proxy.serveBlob(ctx, name, d)) ?? (await serveLocal(ctx, name, d))));
    if (!facts) throw registryError('BLOB_UNKNOWN', `blob ${d} is not in ${name}`, { digest: d });
    return facts;
  });
}

/** Answers from disk; null when this repository does not serve the blob. */
async function serveLocal(ctx: RequestContext, name: string, d: Digest): Promise<Facts | null> {
  const fh = (await served(ctx, name, d)) ? await open(ctx.services.blobs.path(d), 'r').catch(() => null) : null;
  if (!fh) return null;
  const size = (await fh.stat()).size;
  const range = parseByteRange(ctx.req.headers.range, size);
  if (range === 'unsatisfiable' || ctx.req.method === 'HEAD') {
    await fh.close();
    if (range === 'unsatisfiable') {
      sendEmpty(ctx.res, 416, { 'Content-Range': `bytes */${size}` });
      return { size, range: ctx.req.headers.range ?? null, status: 416 };
    }
    ctx.res.writeHead(200, blobHeaders(d, size));
    ctx.res.end();
    return { size, source: 'local' };
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const headers = blobHeaders(d, end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  const count = end - start + 1;
  const sendfile = useSendfile(ctx.res, count);
  // An empty blob has no bytes to read (end = -1 would make a read stream read everything).
  if (size === 0 || sendfile) {
    await fh.close();
    if (sendfile) await sendfileBody(ctx.res, ctx.services.blobs.path(d), start, count);
    else ctx.res.end();
  } else {
    await pipeline(fh.createReadStream({ start, end, highWaterMark: 1024 * 1024 }), ctx.res); // 1 MiB reads: fewer trips through user space
  }
  return { size, bytes: count, range: range ? `${start}-${end}` : null, source: 'local', via: sendfile ? 'sendfile' : 'read' };
}

export async function deleteBlob(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const d = parseDigestParam(ctx.params.digest!, 'BLOB_UNKNOWN');
  await traced(ctx, 'registry.blob.delete', { repository: name, digest: d }, async () => {
    // Only the link goes: the bytes may be shared with other repositories. `registry gc`
    // removes bytes nothing references any more.
    if (!(await ctx.services.repos.unlinkBlob(name, d))) {
      throw registryError('BLOB_UNKNOWN', `blob ${d} is not in ${name}`, { digest: d });
    }
    sendEmpty(ctx.res, 202);
    return {};
  });
}
