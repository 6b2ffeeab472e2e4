// Garbage collection's verbs (issue 9): `container prune`, `image prune` and the sweep after it.
// Each is a recipe over the stores, run by the daemon under the GcLock held exclusive (gc-lock.ts),
// so no pull, build or create is half done while it decides what is unused:
//   container prune  1. every container neither running nor paused (filters: until, label)
//                    2. removed as `docker rm` would: its snapshots, record and anonymous volumes
//   image prune      1. candidates: dangling images, or with `all` every image no container uses
//                    2. each removed as `docker rmi` would, children before parents (its blobs go
//                       when no remaining image shares them)
//                    3. snapshots no image chain, container or pull names (removeUnusedLayers)
//                    4. blobs no index.json entry leads to (a failed pull's leftovers)
// Nothing in use is ever removed: rmi refuses an image a container uses, removeUnusedLayers keeps
// what any snapshot stands on, and the sweep keeps every blob an entry names.
import type { Span } from '../trace/index.js';
import { chainIDs, type Image } from '../layers/index.js';
import { removeUnusedLayers } from '../unionfs/index.js';
import { EngineError } from '../base/index.js';
import type { DaemonEngine } from './engine.js';
import { removeContainer } from './routes/container-lifecycle.js';
import { familiar } from './image-views.js';
import { containerSize, directorySize } from './disk-usage.js';

/** Docker's prune filters: `until` (a time before which objects were created) and `label`. */
export interface PruneFilters {
  until?: Date;
  /** `key` or `key=value` that must be present (`label`) or absent (`label!`). */
  labels: string[];
  notLabels: string[];
}

/** `filters={"until":{"10m":true},"label":{"a=b":true}}` → PruneFilters; `dangling` is read by the caller. */
export function parsePruneFilters(raw: string | null, now = Date.now()): PruneFilters & { dangling?: boolean } {
  const parsed = raw ? (JSON.parse(raw) as Record<string, Record<string, boolean> | string[]>) : {};
  const values = (k: string) => (Array.isArray(parsed[k]) ? (parsed[k] as string[]) : Object.keys(parsed[k] ?? {}));
  const out: PruneFilters & { dangling?: boolean } = { labels: values('label'), notLabels: values('label!') };
  const until = values('until')[0];
  if (until !== undefined) out.until = untilDate(until, now);
  const dangling = values('dangling')[0];
  if (dangling !== undefined) out.dangling = !/^(false|0)$/i.test(dangling);
  return out;
}

/** `until` is a Go duration back from now (`24h`, `10m`), a unix time, or an RFC 3339 date. */
function untilDate(v: string, now: number): Date {
  const d = /^(\d+(?:\.\d+)?)(h|m|s)$/.exec(v);
  if (d) return new Date(now - Number(d[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[d[2] as 'h' | 'm' | 's']);
  if (/^\d+(\.\d+)?$/.test(v)) return new Date(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new EngineError({ code: 'INVALID_FILTER', kind: 'invalid-argument', message: `invalid filter 'until=${v}': not a duration, unix time or date`, data: { until: v } });
  return new Date(t);
}

function labelsMatch(labels: Record<string, string> | null | undefined, f: PruneFilters): boolean {
  const has = (want: string) => {
    const [k, v] = want.split('=', 2) as [string, string | undefined];
    return labels != null && k in labels && (v === undefined || labels[k] === v);
  };
  return f.labels.every(has) && !f.notLabels.some(has);
}

const createdBefore = (created: string | undefined, f: PruneFilters) => !f.until || (created !== undefined && Date.parse(created) < f.until.getTime());

// #region container-prune
/** `docker container prune`: every stopped container (as filtered) goes, as `docker rm` would take it. */
export async function pruneContainers(a: { engine: DaemonEngine; filters: PruneFilters; span?: Span }): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
  const { engine } = a;
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of await engine.containers.list()) {
    if (c.State.Running || c.State.Paused) continue;
    if (!createdBefore(c.Created, a.filters) || !labelsMatch(c.Config.Labels, a.filters)) continue;
    const size = await containerSize(engine, c.SnapshotKey);
    try {
      await removeContainer({ engine, ref: c.Id, force: false, span: a.span });
    } catch (err) {
      // Started or removed meanwhile: prune passes it by, as Docker's does.
      a.span?.event('prune.skipped', { id: c.Id, error: String((err as Error).message) });
      continue;
    }
    deleted.push(c.Id);
    reclaimed += size;
  }
  return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
}
// #endregion container-prune

// #region image-prune
/** `docker image prune [-a]`: unused images, then the snapshots and blobs only they used. */
export async function pruneImages(a: { engine: DaemonEngine; all: boolean; filters: PruneFilters; span?: Span }): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>; SpaceReclaimed: number }> {
  const { engine, span } = a;
  const before = await storeBytes(engine);
  const used = new Set((await engine.containers.list()).map((c) => c.Image));
  const images = await engine.images.list();
  const hasChild = new Set(images.map((i) => i.parent).filter((p) => p !== undefined));
  // 1. candidates: dangling (no name, and not a build's intermediate step — those go with their
  //    child) or, with `all`, any image no container uses; newest first so children go first
  const wanted = (i: Image) => (a.all || (i.names.length === 0 && !hasChild.has(i.id))) && !used.has(i.id) &&
    createdBefore(i.config.created, a.filters) && labelsMatch(i.config.config?.Labels, a.filters);
  const candidates = images.filter(wanted).sort((x, y) => Date.parse(y.config.created ?? '0') - Date.parse(x.config.created ?? '0'));
  // 2. each removed as rmi would (forced: an image with several names goes with all of them)
  const out: Array<{ Untagged?: string; Deleted?: string }> = [];
  for (const image of candidates) {
    const removed = await engine.images.remove(image.id, { force: true, span }).catch((err: unknown) => {
      if (err instanceof EngineError && (err.kind === 'not-found' || err.kind === 'conflict')) return []; // gone with its child, or in use now
      throw err;
    });
    // A container made meanwhile keeps a forced image (untagged); prune only reports what went.
    if (!removed.some((r) => r.Deleted)) continue;
    out.push(...removed.map((r) => (r.Untagged !== undefined ? { Untagged: familiar(r.Untagged) } : r)));
  }
  // 3. snapshots no remaining image chain names, no pull holds and nothing stands on
  const keep = new Set((await engine.images.list()).flatMap((img) => chainIDs(img.layers.map((l) => l.diffID))));
  await removeUnusedLayers({ snapshotter: engine.snapshotter, keep, span });
  // 4. blobs no image leads to
  await engine.images.removeUnreferencedBlobs(span);
  return { ImagesDeleted: out, SpaceReclaimed: Math.max(0, before - (await storeBytes(engine))) };
}
// #endregion image-prune

/** What images take on disk: the blobs and the unpacked snapshots. */
async function storeBytes(engine: DaemonEngine): Promise<number> {
  const [blobs, snapshots] = await Promise.all([directorySize(`${engine.dataRoot}/content/blobs`), directorySize(`${engine.dataRoot}/snapshots-root`)]);
  return blobs + snapshots;
}
