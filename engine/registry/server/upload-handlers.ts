// Pushing blobs (distribution spec, "Pushing blobs"), the five ways a client can do it:
//   POST …/blobs/uploads/?digest=D  with the blob as body        monolithic, one request  → 201
//   POST …/blobs/uploads/?mount=D&from=OTHER                      cross-repository mount   → 201 (or 202)
//   POST …/blobs/uploads/  then  PUT <location>?digest=D + body   monolithic, two requests → 202, 201
//   POST, then PATCH <location> (Content-Range: A-B) …, then PUT ?digest=D                  chunked
//   GET <location> (how far did it get: 204 + Range), DELETE <location> (give up: 204)
// A blob becomes visible only when PUT's digest matches the bytes (upload-store.ts).
import type { RequestContext } from './context.js';
import { traced } from './context.js';
import { RegistryError, registryError } from './errors.js';
import { contentLength, parseChunkRange, sendEmpty, sendError, uploadRange } from './http-io.js';
import { checkName, parseDigestParam } from './names.js';
import type { Digest } from '../../layers/index.js';

const uploadLocation = (name: string, uuid: string) => `/v2/${name}/blobs/uploads/${uuid}`;
const blobLocation = (name: string, d: Digest) => `/v2/${name}/blobs/${d}`;

/** The headers that tell a client where its upload is and how much of it arrived. */
function progressHeaders(name: string, uuid: string, offset: number): Record<string, string> {
  return { Location: uploadLocation(name, uuid), Range: uploadRange(offset), 'Docker-Upload-UUID': uuid };
}

/** True when the request carries a body (a length above 0, or chunked transfer encoding). */
function hasBody(ctx: RequestContext): boolean {
  const n = contentLength(ctx.req);
  return n !== undefined ? n > 0 : ctx.req.headers['transfer-encoding'] !== undefined;
}

/** Checks the upload's bytes against `d` and moves them into the blob store, linked to `name`. */
// #region complete-upload
async function complete(ctx: RequestContext, name: string, uuid: string, d: Digest): Promise<number> {
  const { uploads, blobs, repos } = ctx.services;
  return uploads.finish({
    uuid, repository: name, digest: d,
    commit: async (file) => {
      // Already here (pushed by another repository, or by a concurrent push of the same layer):
      // the bytes are identical, so only the link is new.
      if ((await blobs.size(d)) === null) await blobs.adopt(file, d);
      await repos.linkBlob(name, d);
    },
  });
}
// #endregion complete-upload

export async function startUpload(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const q = ctx.query;
  if (q.has('mount') && (await tryMount(ctx, name, parseDigestParam(q.get('mount')), q.get('from')))) return;
  const { uploads } = ctx.services;
  if (q.has('digest')) {
    const d = parseDigestParam(q.get('digest'));
    await traced(ctx, 'registry.blob.put', { repository: name, digest: d, via: 'monolithic' }, async () => {
      const { uuid } = await uploads.start(name);
      try {
        await uploads.append({ uuid, repository: name, body: ctx.req, length: contentLength(ctx.req) });
      } catch (err) {
        await uploads.cancel(uuid, name).catch(() => undefined);
        throw err;
      }
      const size = await complete(ctx, name, uuid, d);
      sendEmpty(ctx.res, 201, { Location: blobLocation(name, d), 'Docker-Content-Digest': d });
      return { size, mounted: false };
    });
    return;
  }
  await traced(ctx, 'registry.upload.start', { repository: name }, async () => {
    const { uuid, offset } = await uploads.start(name);
    sendEmpty(ctx.res, 202, progressHeaders(name, uuid, offset));
    return { uuid };
  });
}

/**
 * A cross-repository mount: the client already pushed this layer to `from` and asks for it
 * here too. Allowed when `from` holds the blob and the caller may read `from` (with tokens,
 * pull on it must be in the token too: else a mount would copy a blob out of a repository the
 * caller may not see). Otherwise the spec says to fall back to an ordinary upload session
 * (202), which the caller does when this returns false.
 */
async function tryMount(ctx: RequestContext, name: string, d: Digest, from: string | null): Promise<boolean> {
  const { repos, blobs } = ctx.services;
  if (from === null) return false;
  checkName(from);
  if (!ctx.admission.canPull(from)) {
    ctx.services.tracer.start('registry', 'registry.mount.refused', { repository: name, digest: d, from }).end({ reason: 'no pull on the source' });
    return false;
  }
  const size = (await repos.hasBlob(from, d)) ? await blobs.size(d) : null;
  if (size === null) return false;
  await traced(ctx, 'registry.blob.put', { repository: name, digest: d, via: 'mount' }, async () => {
    await repos.linkBlob(name, d);
    sendEmpty(ctx.res, 201, { Location: blobLocation(name, d), 'Docker-Content-Digest': d });
    return { size, mounted: true, from };
  });
  return true;
}

export async function uploadStatus(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const uuid = ctx.params.uuid!;
  const offset = await ctx.services.uploads.status(uuid, name);
  sendEmpty(ctx.res, 204, progressHeaders(name, uuid, offset));
}

/** Appends the request body as the next chunk; 416 (with where to resume) when out of order. */
async function appendChunk(ctx: RequestContext, name: string, uuid: string): Promise<number> {
  const range = parseChunkRange(ctx.req.headers['content-range'] as string | undefined);
  const length = contentLength(ctx.req);
  if (range && length !== undefined && length !== range.end - range.start + 1) {
    throw registryError('SIZE_INVALID', `Content-Range ${range.start}-${range.end} does not match Content-Length ${length}`, { contentLength: length });
  }
  try {
    return await ctx.services.uploads.append({ uuid, repository: name, body: ctx.req, start: range?.start, length: length ?? (range && range.end - range.start + 1) });
  } catch (err) {
    if (err instanceof RegistryError && err.httpStatus === 416) {
      const offset = await ctx.services.uploads.status(uuid, name);
      sendError(ctx.res, err, progressHeaders(name, uuid, offset));
      return -1;
    }
    throw err;
  }
}

export async function patchUpload(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const uuid = ctx.params.uuid!;
  await traced(ctx, 'registry.upload.chunk', { repository: name, uuid }, async () => {
    const offset = await appendChunk(ctx, name, uuid);
    if (offset >= 0) sendEmpty(ctx.res, 202, progressHeaders(name, uuid, offset));
    return { offset };
  });
}

export async function putUpload(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const uuid = ctx.params.uuid!;
  const d = parseDigestParam(ctx.query.get('digest'));
  await traced(ctx, 'registry.blob.put', { repository: name, digest: d, uuid, via: 'upload' }, async () => {
    // The closing PUT may carry the last chunk (or, after an empty POST, the whole blob).
    if (hasBody(ctx) && (await appendChunk(ctx, name, uuid)) < 0) return { status: 416 };
    const size = await complete(ctx, name, uuid, d);
    sendEmpty(ctx.res, 201, { Location: blobLocation(name, d), 'Docker-Content-Digest': d });
    return { size, mounted: false };
  });
}

export async function cancelUpload(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const uuid = ctx.params.uuid!;
  await traced(ctx, 'registry.upload.cancel', { repository: name, uuid }, async () => {
    await ctx.services.uploads.cancel(uuid, name);
    sendEmpty(ctx.res, 204);
    return {};
  });
}
