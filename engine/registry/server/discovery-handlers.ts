// Content discovery (distribution spec, "Content discovery"): the version check `GET /v2/`,
// `GET /v2/<name>/tags/list`, `GET /v2/_catalog`, and OCI 1.1's referrers API
// `GET /v2/<name>/referrers/<digest>` (which manifests — signatures, SBOMs — point at this one).
//
// Lists page the way the spec says: `?n=` items at most, after `?last=`, in lexical order, and
// when more remain a `Link: </v2/…?n=N&last=X>; rel="next"` header says where the next page is.
import { MediaType } from '../../layers/index.js';
import { traced, type RequestContext } from './context.js';
import { registryError } from './errors.js';
import { sendJson } from './http-io.js';
import { parseDigestParam } from './names.js';

/** `GET /v2/`: 200 says "this is a v2 registry and you may use it" (after auth, see router.ts). */
export async function versionCheck(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, {});
}

function paginate(all: string[], ctx: RequestContext): { page: string[]; link?: string } {
  const last = ctx.query.get('last');
  const nParam = ctx.query.get('n');
  const after = last === null ? all : all.filter((x) => x > last);
  if (nParam === null) return { page: after };
  const n = Number(nParam);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw registryError('UNSUPPORTED', `bad page size n=${JSON.stringify(nParam)}: want a whole number`, { n: nParam }, 400);
  }
  const page = after.slice(0, n);
  if (page.length === 0 || page.length >= after.length) return { page };
  const next = new URLSearchParams({ n: String(n), last: page[page.length - 1]! });
  return { page, link: `<${ctx.path}?${next}>; rel="next"` };
}

export async function listTags(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  await traced(ctx, 'registry.tags.list', { repository: name }, async () => {
    const { repos } = ctx.services;
    if (!(await repos.exists(name))) throw registryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { name });
    const { page, link } = paginate(await repos.tags(name), ctx);
    sendJson(ctx.res, 200, { name, tags: page }, link ? { Link: link } : {});
    return { count: page.length, more: link !== undefined };
  });
}

export async function catalog(ctx: RequestContext): Promise<void> {
  await traced(ctx, 'registry.catalog', {}, async () => {
    const { page, link } = paginate(await ctx.services.repos.list(), ctx);
    sendJson(ctx.res, 200, { repositories: page }, link ? { Link: link } : {});
    return { count: page.length, more: link !== undefined };
  });
}

export async function listReferrers(ctx: RequestContext): Promise<void> {
  const name = ctx.params.name!;
  const subject = parseDigestParam(ctx.params.digest!);
  const artifactType = ctx.query.get('artifactType');
  await traced(ctx, 'registry.referrers', { repository: name, subject, artifactType }, async () => {
    const all = await ctx.services.repos.referrers(name, subject);
    const manifests = artifactType === null ? all : all.filter((d) => (d as { artifactType?: string }).artifactType === artifactType);
    // The answer is an image index, even when empty: a registry with the referrers API never
    // answers 404 here (a 404 tells the client to fall back to the referrers tag schema).
    const headers: Record<string, string> = { 'Content-Type': MediaType.ociIndex };
    if (artifactType !== null) headers['OCI-Filters-Applied'] = 'artifactType';
    sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, headers);
    return { count: manifests.length };
  });
}
