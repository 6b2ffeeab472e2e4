// `dockling system check` (issue 9): the daemon composes each chapter's own checker over the
// stores it built — chapter 1's blobs and images (layers/store-check.ts), chapter 2's snapshots
// and container records (unionfs/snapshot-check.ts) — and adds the one rule that crosses them:
// a container's image must still be in the store. Read-only from start to end: a check that
// repaired would hide the very crash bugs it is there to find.
import { join } from 'node:path';
import { checkContentStore, type StoreProblem } from '../layers/index.js';
import { checkSnapshots } from '../unionfs/index.js';
import type { DaemonEngine } from './engine.js';

export interface SystemCheckReport {
  counts: { blobs: number; images: number; snapshots: number; committed: number; unowned: number; containers: number };
  problems: StoreProblem[];
}

// #region system-check
export async function systemCheck(engine: DaemonEngine): Promise<SystemCheckReport> {
  // 1. chapter 1: every blob hashes to its name, every image's blobs are there and agree
  const content = await checkContentStore({ content: engine.content, images: engine.images });
  // 2. chapter 2: every snapshot has its directory and a whole chain; every container its snapshots
  const containers = await engine.containers.store.list();
  const snapshots = await checkSnapshots({ root: join(engine.dataRoot, 'snapshots-root'), containers });
  // 3. across them: each container's image is still stored (a forced rmi keeps it, dangling)
  const imageIds = new Set((await engine.images.list()).map((i) => i.id));
  const orphans: StoreProblem[] = containers
    .filter((c) => !imageIds.has(c.Image))
    .map((c) => ({ object: `container ${c.Id.slice(0, 12)} (${c.Name})`, problem: `its image ${c.Image} is not in the store` }));
  return {
    counts: { blobs: content.blobs, images: content.images, snapshots: snapshots.snapshots, committed: snapshots.committed, unowned: snapshots.unowned, containers: snapshots.containers },
    problems: [...content.problems, ...snapshots.problems, ...orphans],
  };
}
// #endregion system-check
