// What the layer stack draws (issue 7, chapters 1 and 2), as a pure function of a trace and a
// cursor: the images the trace has made or used, each as its layers bottom-up, a container's
// read-write layer on top of its image while the container exists, and what the trace says
// each layer holds. Everything comes from the events' facts — layer.stored (diffID, sizes),
// layer.packed (files, bytes), image.added/tagged/remove, container.create/snapshot/committed,
// cp.in/cp.out, snapshot.changes — so a layer the trace says nothing about has no label.
// The union views `dockling image layers` / `container layers` traced (layer-union.ts) add each
// stack's files, merged tree, wasted bytes and copy-ups; in live mode the daemon's image
// snapshot (layer-seed.ts) is the starting point and only the events after it are replayed.
import type { TraceEvent } from '../../engine/trace/types.js';
import type { LiveState } from './live-state.js';
import { seedImages } from './layer-seed.js';
import { unionViewsAt, type UnionViewFacts } from './layer-union.js';
import { ancestry, shortDigest, spanTree, type SpanTree } from './span-tree.js';

export interface LayerInfo {
  diffID: string;
  /** Order of first appearance in the trace: the layer's colour. */
  index: number;
  /** Uncompressed size in bytes, when the trace gives it. */
  size: number | null;
  /** What made it: a Dockerfile instruction, a commit, the base image, a load … */
  createdBy: string;
  /** What the trace says the layer added, one line each. */
  facts: string[];
}

export interface ImageStack {
  /** The image id (sha256:…), or null for an image the trace names but never adds. */
  id: string | null;
  names: string[];
  /** diffIDs, bottom-up. */
  layers: string[];
  /** The image's latest union view in the trace (`dockling image layers`), if any. */
  view: UnionViewFacts | null;
  /** The image it was built on, when the trace says (a build step's, a commit's). */
  parent: string | null;
}

export interface ContainerLayer {
  id: string;
  name: string;
  /** The image the container was made from, as its create named it. */
  image: string;
  /** The read-only layers under the read-write one, bottom-up. */
  lower: string[];
  /** What the trace says was written into the read-write layer. */
  facts: string[];
  /** Its latest union view (`dockling container layers`): the read-write layer is the top one. */
  view: UnionViewFacts | null;
}

export interface LayerStackState {
  layers: Record<string, LayerInfo>;
  images: ImageStack[];
  container: ContainerLayer | null;
  /** diffIDs that sit in more than one image. */
  shared: string[];
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** `busybox` → `docker.io/library/busybox:latest`, as the engine stores names. */
export function normalizeRef(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  let name = ref;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !lastPart.includes('@')) name += ':latest';
  const first = name.split('/')[0]!;
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** A short name for a stored one: `docker.io/library/busybox:latest` → `busybox:latest`. */
export function shortRef(name: string): string {
  return name.replace(/^docker\.io\/(library\/)?/, '');
}

/** What made a layer, from the spans around the event that first names it. */
function originOf(tree: SpanTree, e: TraceEvent): string {
  // Unpacked for a container: made elsewhere, by whatever the image's history says (a union view's).
  if (e.op === 'snapshot.unpack') {
    const image = text(ancestry(tree, e.span).find((s) => s.op === 'container.create')?.data['image']);
    return image && !image.startsWith('sha256:') ? `image ${image}, unpacked` : '';
  }
  // A build step commits its RUN through a container: the instruction is the better name.
  const step = ancestry(tree, e.span).find((s) => s.op === 'build.step');
  if (step) return text(step.data['instruction']);
  for (const s of ancestry(tree, e.span)) {
    if (s.op === 'container.commit') return `commit → ${text(s.data['repo'])}${s.data['tag'] ? ':' + text(s.data['tag']) : ''}`;
    if (s.op === 'image.base') return 'dockling base-image';
    if (s.op === 'image.load') return 'dockling load (from an archive)';
    if (s.op === 'image.pull') return 'dockling pull';
    if (s.op === 'container.create') return `image ${text(s.data['image'])}, unpacked`;
  }
  return '';
}

/**
 * Hands each union view to its stack: a container's to the container (met here first when the
 * trace never showed its create: a live trace), an image's to the image with that id (added
 * when the trace never showed it made). Each view also names what made every layer and its
 * size, for layers the rest of the trace left unlabelled.
 */
function placeViews(args: { views: UnionViewFacts[]; images: ImageStack[]; layers: Record<string, LayerInfo>; gone: Set<string>; container: ContainerLayer | null }): ContainerLayer | null {
  const { images, layers, gone } = args;
  let container = args.container;
  for (const view of args.views) {
    const diffIDs = view.layers.filter((l) => l.label === null && l.diffID).map((l) => l.diffID!);
    for (const l of view.layers) {
      if (l.label !== null || !l.diffID) continue;
      const info = (layers[l.diffID] ??= { diffID: l.diffID, index: Object.keys(layers).length, size: l.size, createdBy: '', facts: [] });
      info.size ??= l.size;
      if (!info.createdBy) info.createdBy = l.createdBy;
    }
    if (view.container !== null) {
      if (gone.has(view.container)) continue;
      if (container?.id !== view.container) {
        const label = view.layers[view.layers.length - 1]?.label ?? '';
        container = { id: view.container, name: label.replace(/ \(read-write\)$/, '') || shortDigest(view.container), image: view.imageId, lower: diffIDs, facts: [], view: null };
      }
      container.view = view;
      continue;
    }
    if (gone.has(view.imageId)) continue;
    const stack = images.find((i) => i.id === view.imageId);
    if (stack) stack.view = view;
    else images.push({ id: view.imageId, names: view.image.startsWith('sha256:') ? [] : [normalizeRef(view.image)], layers: diffIDs, view, parent: null });
  }
  return container;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/**
 * The layers, images and container as they stand once `cursor` events have happened. With a
 * live `seed` (the daemon's images when the page connected), those images come first and only
 * the events after the snapshot (`seed.cursor`) are replayed on top of them.
 */
export function layerStackAt(events: readonly TraceEvent[], cursor: number, options: { seed?: LiveState | null } = {}): LayerStackState {
  const from = options.seed ? Math.min(options.seed.cursor, cursor) : 0;
  const seen = events.slice(0, cursor);
  const tree = spanTree(seen);
  const layers: Record<string, LayerInfo> = {};
  const images: ImageStack[] = [];
  for (const img of seedImages(options.seed ?? null, normalizeRef)) {
    for (const l of img.layers) {
      layers[l.diffID] ??= { diffID: l.diffID, index: Object.keys(layers).length, size: l.size, createdBy: l.createdBy, facts: ['in the daemon when this page connected'] };
    }
    images.push({ id: img.id, names: img.names, layers: img.layers.map((l) => l.diffID), view: null, parent: null });
  }
  // Containers and images the trace has seen go: a later union view must not bring them back.
  const gone = new Set<string>();
  const added = new Set<string>();
  // A build's `FROM busybox` resolves a name to an image id (its step's end): the id's name.
  const fromNames = new Map<string, string>();
  const stages = new Set<string>();
  const stored: string[] = [];
  let container: ContainerLayer | null = null;
  let unpacked: string[] = [];
  // The base plan comes before the layer it describes is packed: its fact waits here.
  let pendingBase: string | null = null;

  // A layer first met with no origin (the read-write layer packed for `container layers`) takes
  // the origin of the next event that names it (the commit that stores the same tar).
  const layer = (diffID: string, e: TraceEvent): LayerInfo => {
    const l = (layers[diffID] ??= { diffID, index: Object.keys(layers).length, size: null, createdBy: '', facts: [] });
    l.createdBy ||= originOf(tree, e);
    return l;
  };
  const imageOf = (id: unknown) => images.find((i) => i.id === id);
  const addFact = (l: LayerInfo, fact: string) => { if (!l.facts.includes(fact)) l.facts.push(fact); };

  for (const e of seen.slice(from)) {
    const d = e.data;
    switch (e.op) {
      case 'layer.packed': {
        const l = layer(text(d['diffID']), e);
        addFact(l, `packed: ${d['files']} files, ${formatBytes(num(d['bytes']) ?? 0)}, ${plural(num(d['whiteouts']) ?? 0, 'whiteout')}`);
        break;
      }
      case 'base.plan':
        pendingBase = `base plan: ${text(d['kind'])}, ${d['entries']} entries`;
        break;
      case 'layer.stored': {
        const l = layer(text(d['diffID']), e);
        l.size = num(d['uncompressedSize']) ?? num(d['size']);
        if (pendingBase) { addFact(l, pendingBase); pendingBase = null; }
        addFact(l, `stored as blob ${shortDigest(d['digest'])} (${formatBytes(num(d['size']) ?? 0)}, ${text(d['mediaType']).replace('application/vnd.oci.image.', '')})`);
        stored.push(l.diffID);
        break;
      }
      case 'snapshot.unpack':
        if (e.phase === 'end') {
          // A layer already unpacked ends `skipped`, naming only its chainID: the start names it.
          const l = layer(text(d['diffID']) || text(tree.starts.get(e.span)?.data['diffID']), e);
          l.size ??= num(d['bytes']);
          if (d['skipped'] !== true) addFact(l, `unpacked: ${d['files']} files, ${plural(num(d['whiteouts']) ?? 0, 'whiteout')}`);
          unpacked.push(l.diffID);
        }
        break;
      case 'image.added': {
        const n = num(ancestry(tree, e.span).find((s) => s.op === 'image.add')?.data['layers']) ?? 1;
        const parent = imageOf(d['parent']);
        const base = parent ? parent.layers : [];
        const own = stored.slice(Math.max(0, stored.length - (n - base.length)));
        if (imageOf(d['id'])) break; // already in the live seed
        added.add(text(d['id']));
        gone.delete(text(d['id'])); // loaded back after an rmi
        images.push({ id: text(d['id']), names: [...((d['names'] as string[]) ?? [])], layers: [...base, ...own].slice(-n), view: null, parent: text(d['parent']) || null });
        break;
      }
      case 'image.tagged': {
        const img = imageOf(d['id']);
        if (img && !img.names.includes(text(d['name']))) img.names.push(text(d['name']));
        break;
      }
      case 'image.remove':
        if (e.phase === 'start') {
          const ref = normalizeRef(text(d['ref']));
          for (const i of images) i.names = i.names.filter((name) => name !== ref);
        }
        break;
      case 'blob.deleted': {
        const at = images.findIndex((i) => i.id === d['digest']);
        if (at >= 0) images.splice(at, 1);
        gone.add(text(d['digest']));
        break;
      }
      case 'container.create':
        if (e.phase === 'start') unpacked = [];
        break;
      case 'build.step': {
        const words = text(tree.starts.get(e.span)?.data['instruction']).split(/\s+/);
        if (e.phase !== 'end' || words[0]?.toUpperCase() !== 'FROM' || !words[1]) break;
        if (!stages.has(words[1]) && words[1] !== 'scratch') fromNames.set(text(d['image']), normalizeRef(words[1]));
        if (words[2]?.toUpperCase() === 'AS' && words[3]) stages.add(words[3]);
        break;
      }
      case 'container.snapshot': {
        const create = ancestry(tree, e.span).find((s) => s.op === 'container.create');
        const image = text(create?.data['image']);
        container = { id: text(d['id']), name: text(create?.data['name']) || shortDigest(d['id']), image, lower: [...unpacked], facts: [], view: null };
        const known = images.some((i) => i.id === image || i.names.includes(normalizeRef(image)));
        // Named by its id (a build's FROM resolved it): an image known by id, its names unknown.
        const byId = image.startsWith('sha256:');
        const names = byId ? [fromNames.get(image)].filter((n): n is string => !!n) : [normalizeRef(image)];
        if (!known) images.push({ id: byId ? image : null, names, layers: [...unpacked], view: null, parent: null });
        break;
      }
      case 'cp.in':
        if (container) container.facts.push(`cp into ${text(d['path'])}: ${d['files']} file${d['files'] === 1 ? '' : 's'} written`);
        break;
      case 'cp.out':
        if (container) container.facts.push(`cp out of ${text(d['path'])}: read through the union, nothing written`);
        break;
      case 'snapshot.changes':
        if (container && e.phase === 'end') container.facts.push(`diff: ${d['added']} added, ${d['changed']} changed, ${d['deleted']} deleted`);
        break;
      case 'container.committed': {
        if (!container || container.id !== d['id']) break;
        const l = layer(text(d['diffID']), e);
        for (const f of container.facts) if (!f.startsWith('cp out')) addFact(l, f);
        const img = imageOf(d['image']);
        if (img) img.layers = [...container.lower, l.diffID];
        break;
      }
      case 'container.removed':
        gone.add(text(d['id']));
        if (container?.id === d['id']) container = null;
        break;
    }
  }
  // Views from before a live snapshot are left out with the rest: the snapshot is the truth then.
  const views = unionViewsAt(events, cursor).filter((v) => v.at > from);
  container = placeViews({ views, images, layers, gone, container });
  // A build's intermediate images (no name, and another image built on them) are left out,
  // as `docker images` leaves them out: the named result shows the same layers.
  const parents = new Set(images.map((i) => i.parent));
  const shownImages = images.filter((i) => i.names.length > 0 || !parents.has(i.id) || !added.has(i.id ?? ''));
  images.splice(0, images.length, ...shownImages);
  const count = new Map<string, number>();
  for (const i of images) for (const l of new Set(i.layers)) count.set(l, (count.get(l) ?? 0) + 1);
  const shared = [...count].filter(([, n]) => n > 1).map(([l]) => l);
  return { layers, images, container, shared };
}
