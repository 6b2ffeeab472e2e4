// The union views a trace holds (issue 7, chapter 2): what `dockling image layers` and
// `dockling container layers` computed (engine/unionfs/union-view.ts, traced as a union.view
// span with union.layer, union.whiteouts and union.paths events), read back as plain data, and
// what the layer stack derives from them: one layer's changed files, the merged tree with its
// holes, one path's life across the layers, the copy-ups of a container's read-write layer.
// Nothing here is computed from file contents: every answer is a reading of the engine's facts.
import { format } from 'd3';
import type { TraceEvent } from '../../engine/trace/types.js';
// Types only (erased in the bundle): the trace carries the engine's own views.
import type { LayerView, PathView, WhiteoutView } from '../../engine/unionfs/union-view.js';

/** A union.layer event's facts: the engine's LayerView, its absent names written as null. */
export type UnionLayerFacts = Omit<LayerView, 'digest' | 'diffID' | 'label'> & { digest: string | null; diffID: string | null; label: string | null };

/** One entry of a union.paths event: the engine's PathView as JSON carries it. */
export type UnionPathFacts = PathView;

/** One entry of a union.whiteouts event: the engine's WhiteoutView, its list cut short for the trace. */
export type UnionWhiteoutFacts = WhiteoutView & { removedCount: number };

export interface UnionViewFacts {
  /** How many events had happened when the view was complete (its span's end, + 1). */
  at: number;
  /** The image as the command named it. */
  image: string;
  imageId: string;
  /** The container whose read-write layer is the top one, or null for an image alone. */
  container: string | null;
  layers: UnionLayerFacts[];
  paths: UnionPathFacts[];
  /** Paths in the view; the event carries at most 2000 of them (`truncated`). */
  pathCount: number;
  truncated: boolean;
  whiteouts: UnionWhiteoutFacts[];
  totalBytes: number;
  wastedBytes: number;
  efficiency: number;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** The union views complete once `cursor` events have happened, in the order they completed. */
export function unionViewsAt(events: readonly TraceEvent[], cursor: number): UnionViewFacts[] {
  const open = new Map<string, Omit<UnionViewFacts, 'at' | 'imageId' | 'totalBytes' | 'wastedBytes' | 'efficiency'>>();
  const done: UnionViewFacts[] = [];
  events.slice(0, cursor).forEach((e, i) => {
    const d = e.data;
    if (e.op === 'union.view' && e.phase === 'start') {
      open.set(e.span, { image: text(d['image']), container: text(d['container']) || null, layers: [], paths: [], pathCount: 0, truncated: false, whiteouts: [] });
      return;
    }
    const v = open.get(e.span);
    if (!v) return; // a live trace that started inside the span: the view is not whole
    if (e.op === 'union.layer') v.layers.push(d as unknown as UnionLayerFacts);
    else if (e.op === 'union.whiteouts') v.whiteouts = (d['whiteouts'] as UnionWhiteoutFacts[]) ?? [];
    else if (e.op === 'union.paths') {
      v.paths = (d['paths'] as UnionPathFacts[]) ?? [];
      v.pathCount = num(d['count']);
      v.truncated = d['truncated'] === true;
    } else if (e.op === 'union.view' && e.phase !== 'event') {
      open.delete(e.span);
      if (e.phase === 'end') {
        done.push({ ...v, at: i + 1, imageId: text(d['imageId']), totalBytes: num(d['totalBytes']), wastedBytes: num(d['wastedBytes']), efficiency: num(d['efficiency']) });
      }
    }
  });
  return done;
}

const percent = format('.2~%');

/**
 * An efficiency as a percentage, to two decimals at most: 340 wasted bytes in 2 MB is 99.98%,
 * and anything short of 1 never reads as 100% (rounding would hide the waste the view found).
 */
export function efficiencyText(efficiency: number): string {
  const text = percent(efficiency);
  return efficiency < 1 && text === '100%' ? '99.99%' : text;
}

// #region life
/**
 * What happens to one path, layer by layer: each copy a layer ships *adds* it (nothing of that
 * name was in view below) or *modifies* it (a copy below was in view: this one replaces it), and
 * each whiteout that matches it *removes* it if it was in view. A layer's whiteouts act before
 * its own entries, as the engine applies them. The copies are the engine's (the provider and
 * `hiddenIn`); the whiteouts its union.whiteouts. Directories are left out: a directory
 * restated above merges rather than replaces, and the engine lists no hidden copy for it.
 */
export interface LifeStep {
  layer: number;
  how: 'added' | 'modified' | 'removed';
  /** Whether this layer's copy is the one the merged tree shows. */
  visible: boolean;
}

function matches(w: UnionWhiteoutFacts, path: string): boolean {
  return w.kind === 'whiteout' ? path === w.path || path.startsWith(`${w.path}/`) : path.startsWith(w.path === '' ? '' : `${w.path}/`);
}

export function lifeOf(view: UnionViewFacts, p: UnionPathFacts): LifeStep[] {
  if (p.type === 'directory') return [];
  const copies = new Set([...p.hiddenIn, ...(p.layer === null ? [] : [p.layer])]);
  const steps: LifeStep[] = [];
  let inView = false;
  for (let layer = 0; layer < view.layers.length; layer++) {
    if (inView && view.whiteouts.some((w) => w.layer === layer && matches(w, p.path))) {
      steps.push({ layer, how: 'removed', visible: false });
      inView = false;
    }
    if (copies.has(layer)) {
      steps.push({ layer, how: inView ? 'modified' : 'added', visible: p.layer === layer });
      inView = true;
    }
  }
  return steps;
}
// #endregion life

/** One layer's files (directories aside): those it adds, those it replaces, those its whiteouts take away. */
export function layerFiles(view: UnionViewFacts, index: number): { added: string[]; modified: string[]; removed: string[] } {
  const out = { added: [] as string[], modified: [] as string[], removed: [] as string[] };
  for (const p of view.paths) {
    const step = lifeOf(view, p).filter((s) => s.layer === index);
    for (const s of step) out[s.how].push(p.path);
  }
  return out;
}

/**
 * Copy-ups: the files a container's read-write layer (the top one) holds over a lower layer's
 * copy — the kernel copied the lower file up before the write (or cp replaced it). `from` is
 * the layer whose copy it hides.
 */
export function copyUps(view: UnionViewFacts): Array<{ path: string; from: number }> {
  if (view.container === null) return [];
  const top = view.layers.length - 1;
  return view.paths
    .filter((p) => p.type !== 'directory' && p.layer === top)
    .map((p) => ({ path: p.path, from: Math.max(-1, ...p.hiddenIn.filter((l) => l < top)) }))
    .filter((c) => c.from >= 0);
}

/** One row of the merged tree: a path in view (`layer`: its provider) or a hole a whiteout left. */
export interface TreeRow {
  path: string;
  name: string;
  depth: number;
  directory: boolean;
  /** The providing layer; null for a hole. */
  layer: number | null;
  /** For a hole: the layer whose whiteout took it away. */
  removedBy: number | null;
  /** For a directory: how many rows sit under it. */
  descendants: number;
}

const parentOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

/**
 * The merged tree, depth first with names in order: every path in view, and every path a
 * whiteout removed (a hole). A path replaced out of sight some other way (a parent turned into a
 * file above it) is neither, and is not drawn.
 */
export function mergedTree(view: UnionViewFacts): TreeRow[] {
  const shown = view.paths.filter((p) => p.layer !== null || p.removedBy !== undefined);
  const byPath = new Map(shown.map((p) => [p.path, p]));
  const children = new Map<string, UnionPathFacts[]>();
  for (const p of shown) {
    // A parent the event left out (a truncated list): the row hangs from the nearest one known.
    let dir = parentOf(p.path);
    while (dir !== '' && !byPath.has(dir)) dir = parentOf(dir);
    if (!children.has(dir)) children.set(dir, []);
    children.get(dir)!.push(p);
  }
  const rows: TreeRow[] = [];
  const walk = (dir: string, depth: number): number => {
    const kids = [...(children.get(dir) ?? [])].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let count = 0;
    for (const p of kids) {
      const row: TreeRow = {
        path: p.path, name: p.path.slice(dir === '' ? 0 : dir.length + 1), depth, directory: p.type === 'directory',
        layer: p.layer, removedBy: p.layer === null ? p.removedBy ?? null : null, descendants: 0,
      };
      rows.push(row);
      row.descendants = walk(p.path, depth + 1);
      count += 1 + row.descendants;
    }
    return count;
  };
  walk('', 0);
  return rows;
}
