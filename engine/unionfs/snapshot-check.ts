// Checking the snapshots and the container records (chapter 2; `dockling system check`, issue 9).
// Read-only, like its chapter 1 twin (layers/store-check.ts). Both drivers keep the same layout
// (<root>/metadata.json, <root>/snapshots/<id>/fs), so one checker serves both. The rules:
//   1. every snapshot record has its directory (a record naming nothing is a half-made snapshot)
//   2. every committed snapshot's parent chain is whole: each parent recorded, and committed
//   3. every container record's snapshot exists and is active, and its parent (the init layer,
//      init-layer.ts) is a committed snapshot
// Active snapshots no container owns (an unpack or a build step killed midway) are counted, not
// failed: no image or container names them, so nothing half-written is in sight.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreProblem } from '../layers/index.js';
import type { ContainerRecord } from './container-store.js';
import { SnapshotMeta } from './snapshot-meta.js';
import type { SnapshotInfo } from './types.js';

export interface SnapshotCheck {
  snapshots: number;
  committed: number;
  /** Active or view snapshots no container record names: leftovers, invisible. */
  unowned: number;
  containers: number;
  problems: StoreProblem[];
}

// #region check-snapshots
export async function checkSnapshots(args: { root: string; containers: ContainerRecord[] }): Promise<SnapshotCheck> {
  const all = await new SnapshotMeta(args.root).list();
  const byKey = new Map(all.map((s) => [s.key, s]));
  const problems: StoreProblem[] = [];
  // Rule 1: the directory behind each record.
  for (const s of all) {
    const dir = join(args.root, 'snapshots', s.id, 'fs');
    if (!(await isDir(dir))) problems.push({ object: `snapshot ${s.key} (${s.kind}, id ${s.id})`, problem: `its directory ${dir} is missing` });
  }
  // Rule 2: the chain under each snapshot (a parent is always committed: snapshot-meta.ts).
  for (const s of all) {
    if (s.parent === undefined) continue;
    const p = byKey.get(s.parent);
    if (!p) problems.push({ object: `snapshot ${s.key}`, problem: `its parent ${s.parent} does not exist` });
    else if (p.kind !== 'committed') problems.push({ object: `snapshot ${s.key}`, problem: `its parent ${s.parent} is ${p.kind}, not committed` });
  }
  // Rule 3: what each container stands on.
  const owned = new Set<string>();
  for (const c of args.containers) {
    owned.add(c.SnapshotKey);
    problems.push(...containerProblems(c, byKey));
  }
  const unowned = all.filter((s) => s.kind !== 'committed' && !owned.has(s.key)).length;
  return { snapshots: all.length, committed: all.filter((s) => s.kind === 'committed').length, unowned, containers: args.containers.length, problems };
}
// #endregion check-snapshots

function containerProblems(c: ContainerRecord, byKey: Map<string, SnapshotInfo>): StoreProblem[] {
  const object = `container ${c.Id.slice(0, 12)} (${c.Name})`;
  const out: StoreProblem[] = [];
  const own = byKey.get(c.SnapshotKey);
  if (!own) out.push({ object, problem: `its snapshot ${c.SnapshotKey} does not exist` });
  else if (own.kind !== 'active') out.push({ object, problem: `its snapshot ${c.SnapshotKey} is ${own.kind}, not active` });
  if (c.SnapshotParent !== undefined) {
    const parent = byKey.get(c.SnapshotParent);
    if (!parent) out.push({ object, problem: `its init snapshot ${c.SnapshotParent} does not exist` });
    else if (parent.kind !== 'committed') out.push({ object, problem: `its init snapshot ${c.SnapshotParent} is ${parent.kind}, not committed` });
  }
  return out;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
