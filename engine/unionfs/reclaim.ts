// What killed operations leave behind in the snapshot store (chapter 2; issue 9). Every change
// to the store is ordered so a crash cannot leave a record naming nothing (snapshot-meta.ts) or
// a container whose snapshot is gone (container-fs.ts), but it can leave garbage nobody names:
//   - an active snapshot a pull, a build step or a `create` had made when the daemon died
//     (`extract-…`, `ctr-<id>` of a container never recorded, `build-view-…`);
//   - a container's committed init layer (`ctr-<id>-init`, labelled with the container) whose
//     container was never recorded;
//   - a directory under snapshots/ that no record names (a create killed before its record was
//     written, a remove killed after its record was dropped).
// The daemon reclaims them when it starts, holding the data root's lock: at that moment no
// operation is under way, so anything no container owns is garbage. Committed layers are left
// to `image prune` and `rmi` (removeUnusedLayers), which know which images use them.
import { readdir, rm } from 'node:fs/promises';
import type { Span } from '../trace/index.js';
import { mountsUsing } from './mount.js';
import { snapshotDir } from './snapshot-meta.js';
import type { SnapshotInfo, Snapshotter } from './types.js';

/** The label prepareInitLayer and ContainerFs.create put on a container's own snapshots. */
export const CONTAINER_LABEL = 'dockling.container';

export interface Reclaimed {
  /** Keys of the snapshots removed. */
  snapshots: string[];
  /** Ids of the directories removed that no record named. */
  directories: string[];
  /** What was left because it is mounted (a container of an earlier daemon still running, say). */
  kept: string[];
}

// #region reclaim
export async function reclaimSnapshots(args: { root: string; snapshotter: Snapshotter; owned: Set<string>; span?: Span }): Promise<Reclaimed> {
  const s = args.snapshotter;
  const out: Reclaimed = { snapshots: [], directories: [], kept: [] };
  const leftover = (info: SnapshotInfo) =>
    !args.owned.has(info.key) && (info.kind !== 'committed' || info.labels?.[CONTAINER_LABEL] !== undefined);
  // Active and view snapshots first: a committed init layer is the parent of its container's one.
  const all = (await s.list()).filter(leftover).sort((a, b) => Number(a.kind === 'committed') - Number(b.kind === 'committed'));
  for (const info of all) {
    try {
      await s.remove(info.key, args.span ? { span: args.span } : {});
      out.snapshots.push(info.key);
    } catch (err) {
      out.kept.push(`${info.key}: ${(err as Error).message}`);
    }
  }
  // Then the directories no record names.
  const named = new Set((await s.list()).map((info) => info.id));
  const entries = await readdir(`${args.root}/snapshots`).catch(() => [] as string[]);
  for (const id of entries) {
    if (named.has(id)) continue;
    const dir = snapshotDir(args.root, id);
    const mounted = [...(await mountsUsing(dir)), ...(await mountsUsing(`${dir}/fs`))];
    if (mounted.length > 0) {
      out.kept.push(`${dir}: mounted at ${mounted.join(', ')}`);
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    out.directories.push(id);
  }
  args.span?.event('snapshot.reclaimed', { ...out });
  return out;
}
// #endregion reclaim
