// What the layer stack draws (issue 7, chapters 1 and 2), as a pure function of a trace and a
// cursor: the images the trace has made or used, each as its layers bottom-up, a container's
// read-write layer on top of its image while the container exists, and what the trace says
// each layer holds. Everything comes from the events' facts — layer.stored (diffID, sizes),
// layer.packed (files, bytes), image.added/tagged/remove, container.create/snapshot/committed,
// cp.in/cp.out, snapshot.changes — so a layer the trace says nothing about has no label.
import type { TraceEvent } from '../../engine/trace/types.js';
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
  for (const s of ancestry(tree, e.span)) {
    if (s.op === 'build.step') return text(s.data['instruction']);
    if (s.op === 'container.commit') return `commit → ${text(s.data['repo'])}${s.data['tag'] ? ':' + text(s.data['tag']) : ''}`;
    if (s.op === 'image.base') return 'dockling base-image';
    if (s.op === 'image.load') return 'dockling load (from an archive)';
    if (s.op === 'image.pull') return 'dockling pull';
    if (s.op === 'container.create') return `image ${text(s.data['image'])}, unpacked`;
  }
  return '';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** The layers, images and container as they stand once `cursor` events have happened. */
export function layerStackAt(events: readonly TraceEvent[], cursor: number): LayerStackState {
  const seen = events.slice(0, cursor);
  const tree = spanTree(seen);
  const layers: Record<string, LayerInfo> = {};
  const images: ImageStack[] = [];
  const stored: string[] = [];
  let container: ContainerLayer | null = null;
  let unpacked: string[] = [];
  // The base plan comes before the layer it describes is packed: its fact waits here.
  let pendingBase: string | null = null;

  const layer = (diffID: string, e: TraceEvent): LayerInfo =>
    (layers[diffID] ??= { diffID, index: Object.keys(layers).length, size: null, createdBy: originOf(tree, e), facts: [] });
  const imageOf = (id: unknown) => images.find((i) => i.id === id);
  const addFact = (l: LayerInfo, fact: string) => { if (!l.facts.includes(fact)) l.facts.push(fact); };

  for (const e of seen) {
    const d = e.data;
    switch (e.op) {
      case 'layer.packed': {
        const l = layer(text(d['diffID']), e);
        addFact(l, `packed: ${d['files']} files, ${formatBytes(num(d['bytes']) ?? 0)}, ${d['whiteouts']} whiteouts`);
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
          const l = layer(text(d['diffID']), e);
          l.size ??= num(d['bytes']);
          addFact(l, `unpacked: ${d['files']} files, ${d['whiteouts']} whiteouts`);
          unpacked.push(l.diffID);
        }
        break;
      case 'image.added': {
        const n = num(ancestry(tree, e.span).find((s) => s.op === 'image.add')?.data['layers']) ?? 1;
        const parent = imageOf(d['parent']);
        const base = parent ? parent.layers : [];
        const own = stored.slice(Math.max(0, stored.length - (n - base.length)));
        images.push({ id: text(d['id']), names: [...((d['names'] as string[]) ?? [])], layers: [...base, ...own].slice(-n) });
        break;
      }
      case 'image.tagged':
        imageOf(d['id'])?.names.push(text(d['name']));
        break;
      case 'image.remove':
        if (e.phase === 'start') {
          const ref = normalizeRef(text(d['ref']));
          for (const i of images) i.names = i.names.filter((name) => name !== ref);
        }
        break;
      case 'blob.deleted': {
        const at = images.findIndex((i) => i.id === d['digest']);
        if (at >= 0) images.splice(at, 1);
        break;
      }
      case 'container.create':
        if (e.phase === 'start') unpacked = [];
        break;
      case 'container.snapshot': {
        const create = ancestry(tree, e.span).find((s) => s.op === 'container.create');
        const image = text(create?.data['image']);
        container = { id: text(d['id']), name: text(create?.data['name']) || shortDigest(d['id']), image, lower: [...unpacked], facts: [] };
        const known = images.some((i) => i.id === image || i.names.includes(normalizeRef(image)));
        if (!known) images.push({ id: null, names: [normalizeRef(image)], layers: [...unpacked] });
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
        if (container?.id === d['id']) container = null;
        break;
    }
  }
  const count = new Map<string, number>();
  for (const i of images) for (const l of new Set(i.layers)) count.set(l, (count.get(l) ?? 0) + 1);
  const shared = [...count].filter(([, n]) => n > 1).map(([l]) => l);
  return { layers, images, container, shared };
}
