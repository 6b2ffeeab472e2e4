// The union view (chapter 2, "union fs"): what a stack of layers looks like once merged, and
// where each path comes from. A pure planner over the layers' entry lists (layer-entries.ts
// reads them from tars); it never touches a disk, so every rule below is unit-tested with
// hand-made lists. The whiteout rules are OCI image-spec layer.md's, as layers/whiteouts.ts reads them.
//
// Over 300 lines because the rules, the planner that follows them and the one function that
// feeds it a stored image are read together; each part is a region.
import type { Readable } from 'node:stream';
import type { Digest, Image } from '../layers/index.js';
import type { Span, Tracer } from '../trace/index.js';
import { readLayerEntries } from './layer-entries.js';

// #region semantics
// Layers are numbered bottom (0) to top (n-1); a container's read-write layer, when shown, is n.
// Layers are applied in order; within one layer, its whiteouts act first on what lies below,
// then its own entries are added, so a whiteout never removes its own layer's entries.
//
//   provider   of a path: the highest layer that has an entry for it and that nothing above
//              removed. A directory restated by a higher layer *merges*: the higher entry
//              provides the directory, the children below stay visible.
//   hidden in  the lower layers whose copy of a path is not visible, because
//                - a higher layer has the same path (replaced), or
//                - a higher layer has `.wh.<name>` for it (removed), or
//                - a higher layer has `.wh..wh..opq` in its parent directory (opaque: hides
//                  every lower child, never that same layer's own entries), or
//                - an ancestor directory was removed, or replaced by a non-directory above.
//
// Per layer:
//   files      entries that are not directories and not whiteout markers;
//   bytes      the sum of its regular files' sizes (a hardlink ships no bytes: they are
//              counted once, at its target);
//   added      paths not in the merged view of the layers below;
//   modified   paths in that view that this layer replaces (a directory over a directory
//              merges and counts as neither);
//   removed    whiteout markers (`.wh.name` or opaque) that took away something from below; a
//              marker that took away nothing is a no-op, counted in `noopWhiteouts`;
//   wastedBytes  the bytes of its regular files that are not visible in the final tree.
//
// Wasted space is the sum, over every copy of a regular file shipped in any layer, of the
// copies not visible in the final merged tree (replaced or removed above). Each copy is counted
// once, when it first leaves the view: replacing it again higher up hides the *newer* copy, not
// this one a second time. A copy still reachable through a visible hardlink is not wasted.
// efficiency = (totalBytes − wastedBytes) / totalBytes, and 1.0 for an image with no file
// bytes at all (nothing shipped, nothing wasted).
// #endregion semantics

/** What one tar entry is, as far as the union goes. */
export type EntryType =
  | 'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo'
  | 'whiteout' | 'opaque';

/** One entry of a layer, read without extracting it. */
export interface LayerEntry {
  /** The cleaned path (`etc/passwd`); for markers the marker's own name (`etc/.wh.passwd`). */
  path: string;
  type: EntryType;
  /** Bytes of content: a regular file's size, 0 for everything else. */
  size: number;
  mode: number;
  /** Symlink target as written, or hardlink target (cleaned, inside the same layer). */
  linkTarget?: string;
  /** For a whiteout, the path it removes; for an opaque marker, the directory it makes opaque. */
  target?: string;
}

export interface LayerInput {
  entries: LayerEntry[];
  digest?: string;
  diffID?: string;
  createdBy?: string;
  /** Uncompressed tar size in bytes. */
  size?: number;
}

export interface LayerView {
  index: number;
  digest?: string;
  diffID?: string;
  /** Set for an extra layer (a container's read-write layer). */
  label?: string;
  createdBy: string;
  size: number;
  files: number;
  bytes: number;
  added: number;
  modified: number;
  removed: number;
  noopWhiteouts: number;
  wastedBytes: number;
}

export interface PathView {
  path: string;
  type: EntryType;
  size: number;
  /** The provider's index, or null when the path is not in the final tree. */
  layer: number | null;
  /** Layers whose copy of this path is not visible, ascending. */
  hiddenIn: number[];
  /** For a path not in the final tree: the layer that took its last copy away. */
  removedBy?: number;
}

export interface WhiteoutView {
  layer: number;
  kind: 'whiteout' | 'opaque';
  /** The path removed, or the directory made opaque. */
  path: string;
  /** Every lower path it took away (descendants included); empty for a no-op. */
  removed: string[];
}

export interface UnionView {
  image: string;
  layers: LayerView[];
  paths?: PathView[];
  totalBytes: number;
  wastedBytes: number;
  efficiency: number;
  whiteouts: WhiteoutView[];
}

/** One layer's copy of one path. `hiddenBy` is set once, the first time it leaves the view. */
interface Copy {
  layer: number;
  entry: LayerEntry;
  hiddenBy?: number;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The merged tree while layers are applied: visible copies, and each path's children. */
class MergedTree {
  readonly visible = new Map<string, Copy>();
  private readonly children = new Map<string, Set<string>>();
  readonly history = new Map<string, { copies: Copy[]; removedBy?: number }>();

  put(copy: Copy): void {
    const p = copy.entry.path;
    this.visible.set(p, copy);
    const dir = parentOf(p);
    if (!this.children.has(dir)) this.children.set(dir, new Set());
    this.children.get(dir)!.add(p);
    const h = this.history.get(p) ?? { copies: [] };
    h.copies.push(copy);
    delete h.removedBy;
    this.history.set(p, h);
  }

  /** Hides the visible copy of `p` (if any) and, when `withSubtree`, everything under it. */
  hide(p: string, by: number, how: 'replaced' | 'removed', withSubtree: boolean, out: string[] = []): string[] {
    if (withSubtree) for (const child of [...(this.children.get(p) ?? [])]) this.hide(child, by, 'removed', true, out);
    const copy = this.visible.get(p);
    if (!copy) return out;
    copy.hiddenBy ??= by;
    this.visible.delete(p);
    this.children.get(parentOf(p))?.delete(p);
    if (how === 'removed') this.history.get(p)!.removedBy = by;
    out.push(p);
    return out;
  }

  childrenOf(dir: string): string[] {
    return [...(this.children.get(dir) ?? [])];
  }
}

/** A layer's own entries, split: markers apart, and the last entry of a repeated path wins. */
function splitLayer(entries: LayerEntry[]): { own: LayerEntry[]; repeated: LayerEntry[]; markers: LayerEntry[] } {
  const byPath = new Map<string, LayerEntry>();
  const repeated: LayerEntry[] = [];
  const markers: LayerEntry[] = [];
  for (const e of entries) {
    if (e.type === 'whiteout' || e.type === 'opaque') markers.push(e);
    else {
      const earlier = byPath.get(e.path);
      if (earlier) repeated.push(earlier);
      byPath.set(e.path, e);
    }
  }
  return { own: [...byPath.values()], repeated, markers };
}

const isDir = (e: LayerEntry) => e.type === 'directory';

/** Applies one layer onto the tree: markers first (on what is below), then its own entries. */
function applyLayer(tree: MergedTree, index: number, input: { entries: LayerEntry[] }, view: LayerView, whiteouts: WhiteoutView[]): void {
  const { own, repeated, markers } = splitLayer(input.entries);
  // A path repeated in one tar: the earlier copy ships bytes nobody sees.
  for (const e of repeated) {
    const c: Copy = { layer: index, entry: e, hiddenBy: index };
    tree.history.set(e.path, { copies: [...(tree.history.get(e.path)?.copies ?? []), c] });
  }
  // Classify against the view below, before this layer's markers change it.
  for (const e of own) {
    const below = tree.visible.get(e.path);
    if (!below) view.added++;
    else if (!(isDir(below.entry) && isDir(e))) view.modified++;
  }
  for (const m of markers) {
    const target = m.target ?? '';
    const removed =
      m.type === 'whiteout'
        ? tree.hide(target, index, 'removed', true)
        : tree.childrenOf(target).flatMap((child) => tree.hide(child, index, 'removed', true));
    whiteouts.push({ layer: index, kind: m.type === 'whiteout' ? 'whiteout' : 'opaque', path: target, removed });
    if (removed.length) view.removed++;
    else view.noopWhiteouts++;
  }
  // Parents first, so a directory this layer makes is in place before its children arrive.
  for (const e of [...own].sort((a, b) => a.path.length - b.path.length)) {
    addParents(tree, index, e.path);
    const below = tree.visible.get(e.path);
    // A directory over a directory merges: the new entry provides it, nothing below is hidden.
    if (below && !(isDir(below.entry) && isDir(e))) tree.hide(e.path, index, 'replaced', true);
    tree.put({ layer: index, entry: e });
  }
}

/**
 * A tar may name `a/b` without an `a/` entry: unpacking makes the directory. If the view has
 * `a` as a non-directory, that copy is replaced by the implicit directory.
 */
function addParents(tree: MergedTree, index: number, p: string): void {
  const missing: string[] = [];
  for (let d = parentOf(p); d !== ''; d = parentOf(d)) {
    const c = tree.visible.get(d);
    if (c && isDir(c.entry)) break;
    missing.push(d);
  }
  for (const d of missing.reverse()) {
    if (tree.visible.has(d)) tree.hide(d, index, 'replaced', true);
    tree.put({ layer: index, entry: { path: d, type: 'directory', size: 0, mode: 0o755 } });
  }
}

/** Bytes of copies not visible in the end, each counted once, kept when a visible hardlink still reaches it. */
function countWaste(tree: MergedTree, layers: LayerView[]): number {
  const reachable = new Set<string>();
  for (const c of tree.visible.values()) {
    if (c.entry.type === 'hardlink' && c.entry.linkTarget) reachable.add(`${c.layer}\0${c.entry.linkTarget}`);
  }
  let wasted = 0;
  for (const [path, h] of tree.history) {
    for (const c of h.copies) {
      if (c.entry.type !== 'file' || c.hiddenBy === undefined || reachable.has(`${c.layer}\0${path}`)) continue;
      wasted += c.entry.size;
      layers[c.layer]!.wastedBytes += c.entry.size;
    }
  }
  return wasted;
}

function pathViews(tree: MergedTree): PathView[] {
  const out: PathView[] = [];
  for (const [path, h] of tree.history) {
    const shown = tree.visible.get(path);
    const last = shown ?? h.copies[h.copies.length - 1]!;
    const hiddenIn = [...new Set(h.copies.filter((c) => c.hiddenBy !== undefined).map((c) => c.layer))].sort((a, b) => a - b);
    out.push({
      path,
      type: last.entry.type,
      size: last.entry.size,
      layer: shown ? shown.layer : null,
      hiddenIn,
      ...(shown || h.removedBy === undefined ? {} : { removedBy: h.removedBy }),
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function emptyView(index: number, input: LayerInput & { label?: string }): LayerView {
  const files = input.entries.filter((e) => e.type !== 'directory' && e.type !== 'whiteout' && e.type !== 'opaque').length;
  const bytes = input.entries.reduce((s, e) => s + (e.type === 'file' ? e.size : 0), 0);
  return {
    index,
    ...(input.digest ? { digest: input.digest } : {}),
    ...(input.diffID ? { diffID: input.diffID } : {}),
    ...(input.label ? { label: input.label } : {}),
    createdBy: input.createdBy ?? '',
    size: input.size ?? 0,
    files, bytes, added: 0, modified: 0, removed: 0, noopWhiteouts: 0, wastedBytes: 0,
  };
}

// #region plan
/** Merges the layers bottom-up and reports, per layer and per path, what is seen and what is wasted. */
export function planUnionView(args: {
  image: string;
  layers: LayerInput[];
  extra?: { label: string; entries: LayerEntry[]; size?: number };
}): UnionView {
  const inputs: Array<LayerInput & { label?: string }> = [...args.layers, ...(args.extra ? [args.extra] : [])];
  const tree = new MergedTree();
  const layers: LayerView[] = [];
  const whiteouts: WhiteoutView[] = [];
  inputs.forEach((input, index) => {
    const view = emptyView(index, input);
    layers.push(view);
    applyLayer(tree, index, input, view, whiteouts);
  });
  const wastedBytes = countWaste(tree, layers);
  const totalBytes = layers.reduce((s, l) => s + l.bytes, 0);
  const efficiency = totalBytes === 0 ? 1 : (totalBytes - wastedBytes) / totalBytes;
  return { image: args.image, layers, paths: pathViews(tree), totalBytes, wastedBytes, efficiency, whiteouts };
}
// #endregion plan

// #region image
/** How many paths and whiteouts a trace event carries at most (a layer can hold 100k files). */
const TRACE_LIMIT = 2000;

/**
 * The union view of a stored image, traced as `union.view`: resolves it, reads every layer's
 * entries from the content store (no extraction), and plans. `extra` puts another tar on top,
 * such as a container's read-write layer packed by packChanges.
 */
export async function imageUnionView(args: {
  images: { resolve(ref: string): Promise<Image> };
  content: { createReadStream(digest: Digest): Readable };
  ref: string;
  tracer: Tracer;
  parent?: Span;
  /** `container`: the id of the container whose read-write layer `tar` is, named in the trace. */
  extra?: { label: string; tar: Readable; container?: string };
}): Promise<UnionView> {
  const data = { image: args.ref, ...(args.extra?.container ? { container: args.extra.container } : {}) };
  return args.tracer.span({ chapter: 'unionfs', op: 'union.view', parent: args.parent, data }, async (span) => {
    const image = await args.images.resolve(args.ref);
    const createdBy = (image.config.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by ?? '');
    const read = await Promise.all(image.layers.map((l) => readLayerEntries(args.content.createReadStream(l.digest))));
    const layers: LayerInput[] = image.layers.map((l, i) => ({
      digest: l.digest, diffID: l.diffID, createdBy: createdBy[i] ?? '', size: read[i]!.tarSize, entries: read[i]!.entries,
    }));
    const extra = args.extra && { label: args.extra.label, ...(await readLayerEntries(args.extra.tar)) };
    const view = planUnionView({
      image: args.ref, layers,
      ...(extra ? { extra: { label: extra.label, entries: extra.entries, size: extra.tarSize } } : {}),
    });
    traceView(span, image.id, view);
    return view;
  });
}

/**
 * The facts the layer-stack diagram draws: order, per-layer counts, whiteouts, paths, totals.
 * Each layer names its diffID and what made it too, so a reader of the trace alone (a live
 * follower that never saw the image made) can tell the layers apart and label them.
 */
function traceView(span: Span, imageId: string, view: UnionView): void {
  for (const l of view.layers) {
    const { index, digest, diffID, label, createdBy, size, files, bytes, added, modified, removed, noopWhiteouts, wastedBytes } = l;
    span.event('union.layer', { index, digest: digest ?? null, diffID: diffID ?? null, label: label ?? null, createdBy, size, files, bytes, added, modified, removed, noopWhiteouts, wastedBytes });
  }
  // `rm -rf` of a big tree removes thousands of paths: the event keeps the first few of each.
  const whiteouts = view.whiteouts.slice(0, TRACE_LIMIT).map((w) => ({ ...w, removed: w.removed.slice(0, 50), removedCount: w.removed.length }));
  span.event('union.whiteouts', { count: view.whiteouts.length, whiteouts });
  const paths = view.paths ?? [];
  span.event('union.paths', { count: paths.length, truncated: paths.length > TRACE_LIMIT, paths: paths.slice(0, TRACE_LIMIT) });
  span.end({
    imageId,
    layers: view.layers.map((l) => l.digest ?? l.label ?? null),
    files: view.layers.map((l) => l.files),
    totalBytes: view.totalBytes,
    wastedBytes: view.wastedBytes,
    efficiency: view.efficiency,
  });
}
// #endregion image
