// Image endpoints of chapter 1 that answer with one JSON document: list, inspect, history,
// tag and remove. Names in paths keep their slashes (`/images/docker.io/library/x/json`), so
// the patterns capture greedily up to the last fixed segment.
import type { Route } from '../http/router.js';
import { HttpError, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { familiar, imageFilter, matchingNames, toHistory, toInspect, toSummary } from '../image-views.js';
import { chainIDs, type Image } from '../../layers/index.js';
import { removeUnusedLayers } from '../../unionfs/index.js';
import { repoDigestsOf } from '../../registry/index.js';
import { queryBool } from '../http/query.js';

/** The image with the names registries know it by (`repo@sha256:…`), recorded by pull and push. */
export async function withRepoDigests(engine: DaemonEngine, image: Image): Promise<Image> {
  const recorded = await repoDigestsOf(engine.content, image.id).catch(() => [] as string[]);
  return recorded.length ? { ...image, repoDigests: [...new Set([...image.repoDigests, ...recorded])] } : image;
}


export const imageRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/images\/json$/,
    handler: async ({ res, query, engine }) => {
      const keep = imageFilter(query.get('filters'));
      const nameMatches = matchingNames(query.get('filters'));
      // A build's step images are intermediate — untagged, with a child — and shown only with `all`.
      const all = await engine.images.list();
      const parents = new Set(all.map((i) => i.parent).filter((p) => p !== undefined));
      const intermediate = (i: Image) => i.names.length === 0 && parents.has(i.id);
      const images = (await Promise.all(all.filter((i) => queryBool(query, 'all') || !intermediate(i)).map((i) => withRepoDigests(engine, i))))
        .filter(keep)
        .map((image) => (nameMatches ? { ...image, names: image.names.filter(nameMatches), repoDigests: image.repoDigests.filter(nameMatches) } : image))
        .map(toSummary);
      images.sort((a, b) => b.Created - a.Created);
      sendJSON(res, 200, images);
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/json$/,
    handler: async ({ res, params, engine }) => sendJSON(res, 200, toInspect(await withRepoDigests(engine, await engine.images.resolve(params[0]!)), engine.snapshotter.driver)),
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/history$/,
    handler: async ({ res, params, engine }) => sendJSON(res, 200, toHistory(await engine.images.history(params[0]!))),
  },
  {
    method: 'POST',
    pattern: /^\/images\/(.+)\/tag$/,
    handler: async ({ res, params, query, engine, span }) => {
      const repo = query.get('repo');
      if (!repo) throw new HttpError(400, 'repository name must have at least one component');
      const tag = query.get('tag');
      await engine.images.tag(params[0]!, tag ? `${repo}:${tag}` : repo, span);
      sendEmpty(res, 201);
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/images\/(.+)$/,
    handler: async ({ res, params, query, engine, span }) => {
      const removed = await engine.images.remove(params[0]!, { force: queryBool(query, 'force'), span });
      // The image's blobs went with it; its unpacked layers go too, unless another image's
      // chain names them or a container stands on them (dockerd's "Deleted: sha256:…" layers).
      if (removed.some((r) => r.Deleted)) {
        const keep = new Set((await engine.images.list()).flatMap((img) => chainIDs(img.layers.map((l) => l.diffID))));
        await removeUnusedLayers({ snapshotter: engine.snapshotter, keep, span });
      }
      sendJSON(
        res,
        200,
        removed.map((r) => (r.Untagged !== undefined ? { Untagged: familiar(r.Untagged) } : r)),
      );
    },
  },
];
