// A registry's content as a graph at a point of a trace (issue 7, chapter 4): manifests pointing
// to a config and layer blobs, which tags name which manifest, and how each push or pull went
// blob by blob — from the client's events (image.push, blob.push, manifest.push, image.pull,
// blob.pull, manifest.pull) and the registry's own (registry.*), merged in one trace.
//
// A manifest's edges are the blobs its push or pull moved inside the same image.push/image.pull
// span: the trace does not carry the manifest's body, and a push sends every blob before the
// manifest that names them. Which blob is the config comes from blob.pull's `kind`, or else
// from an image id (an image's id is its config's digest); a blob the trace never says is
// either is drawn as a plain blob.
//
// A registry keeps each blob once, however many repositories link it: a push to a second
// repository of the same registry asks it to mount the blob from the first (POST
// …/uploads/?mount=&from=) and sends no byte. So each blob lists the repositories that hold it,
// and a blob named by tags of two repositories is drawn as shared.
import type { TraceEvent } from '../../engine/trace/index.js';

/** How one blob went in one push or pull. */
export type BlobMark = 'checking' | 'sending' | 'mounting' | 'receiving' | 'pushed' | 'skipped' | 'mounted' | 'pulled' | 'failed';

export interface ManifestNode {
  digest: string;
  size: number | null;
  mediaType: string | null;
  /** Tags pointing at it, as repository:tag (the registry host left out). */
  tags: string[];
  inRegistry: boolean | null;
}

export interface BlobNode {
  digest: string;
  kind: 'config' | 'layer' | 'blob';
  size: number | null;
  /** Manifests that name it (edges). */
  manifests: string[];
  /** Tags that reach it through a manifest. */
  tags: string[];
  /** Named by more than one tag or manifest: stored once, used by all. */
  shared: boolean;
  /** In the client's content store? null until an event says. */
  local: boolean | null;
  /** In the registry (in any repository)? null until the registry or a push says. */
  inRegistry: boolean | null;
  /** The registry's repositories that hold it, in the order they got it (stored once for all). */
  repositories: string[];
}

/** One `push` or `pull`: its reference and what happened to each blob, in order. */
export interface Transfer {
  span: string;
  direction: 'push' | 'pull';
  reference: string;
  /** The reference's repository (`learn/busybox`). */
  repository: string;
  manifest: string | null;
  /** `from`: the repository a mounted blob was linked from. */
  blobs: { digest: string; mark: BlobMark; from?: string }[];
  done: boolean;
}

export interface RegistryGraphView {
  manifests: ManifestNode[];
  blobs: BlobNode[];
  edges: { manifest: string; blob: string }[];
  transfers: Transfer[];
  /** The digest the last event is about, and on which side it happened. */
  active: { digest: string; side: 'client' | 'registry' } | null;
  event: TraceEvent | null;
  /** The digest the last event is about, named by it or by the start of its span. */
  eventDigest: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `127.0.0.1:5000/learn/busybox:1` → `learn/busybox:1`: the host is the same for every node. */
export function repoTag(reference: string): string {
  const [first, ...rest] = reference.split('/');
  return rest.length > 0 && /[.:]|^localhost$/.test(first!) ? rest.join('/') : reference;
}

/** `learn/busybox:1` → `learn/busybox`; a digest reference loses its digest. */
export function repositoryOf(tagged: string): string {
  return tagged.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
}

/** Which digests are configs: a fact about a blob, so read from the whole trace (it never changes). */
export function configDigests(events: readonly TraceEvent[]): Set<string> {
  const configs = new Set<string>();
  for (const e of events) {
    if (e.op === 'blob.pull' && e.data.kind === 'config') configs.add(String(e.data.digest));
    if ((e.op === 'image.tagged' || e.op === 'image.added') && typeof e.data.id === 'string') configs.add(e.data.id);
  }
  return configs;
}

/** The graph after the first `cursor` events. */
export function registryGraphAt(events: readonly TraceEvent[], cursor: number): RegistryGraphView {
  const fold = new GraphFold(configDigests(events));
  const happened = events.slice(0, Math.max(0, cursor));
  for (const e of happened) fold.apply(e);
  return fold.view(happened.at(-1) ?? null);
}

class GraphFold {
  private manifests = new Map<string, ManifestNode>();
  private blobs = new Map<string, BlobNode>();
  private transfers = new Map<string, Transfer>();
  /** blob.push / blob.pull span → the transfer it belongs to. */
  private blobSpans = new Map<string, { t: Transfer; entry: Transfer['blobs'][number] }>();
  private active: RegistryGraphView['active'] = null;
  /** span → the digest its start named: an end or error event often names none. */
  private spanDigests = new Map<string, string>();
  /** span → the repository a registry.* span's start named. */
  private spanRepositories = new Map<string, string>();
  private lastDigest: string | null = null;

  constructor(private configs: Set<string>) {}

  apply(e: TraceEvent): void {
    const d = e.data;
    const digest = str(d.digest) ?? str(d.expected) ?? this.spanDigests.get(e.span) ?? null;
    if (digest && e.phase === 'start') this.spanDigests.set(e.span, digest);
    if (e.phase === 'start' && typeof d.repository === 'string') this.spanRepositories.set(e.span, d.repository);
    const repository = this.spanRepositories.get(e.span) ?? null;
    this.lastDigest = e.op === 'image.push' || e.op === 'image.pull' ? null : digest;
    this.active = digest && e.op !== 'image.push' && e.op !== 'image.pull' ? { digest, side: e.op.startsWith('registry.') ? 'registry' : 'client' } : this.active;
    switch (`${e.op}:${e.phase}`) {
      case 'image.push:start':
      case 'image.pull:start':
      {
        const reference = repoTag(str(d.reference) ?? '');
        this.transfers.set(e.span, { span: e.span, direction: e.op === 'image.push' ? 'push' : 'pull', reference, repository: repositoryOf(reference), manifest: null, blobs: [], done: false });
        return;
      }
      case 'image.push:end':
      case 'image.pull:end':
      case 'image.push:error':
      case 'image.pull:error':
        this.transfers.forEach((t) => (t.done ||= t.span === e.span));
        return;
      case 'blob.push:start':
      case 'blob.pull:start':
        return this.blobStart(e, digest);
      case 'blob.push:end':
      case 'blob.pull:end':
      case 'blob.push:error':
      case 'blob.pull:error':
        return this.blobEnd(e);
      case 'manifest.push:event':
      case 'manifest.pull:event':
        return this.manifestMoved(e);
      case 'registry.blob.head:end':
      case 'registry.blob.put:end':
      case 'registry.blob.get:end':
        return this.inRegistry(digest, repository, true, num(d.size));
      case 'registry.blob.head:error':
        return e.error?.code === 'BLOB_UNKNOWN' ? this.inRegistry(digest, repository, false, null) : undefined;
      case 'registry.blob.put:start':
        return d.via === 'mount' ? this.marking(digest, ['checking', 'sending'], 'mounting') : undefined;
      case 'registry.manifest.put:end':
      case 'registry.manifest.get:end':
        if (digest) this.manifest(digest).inRegistry = true;
        return;
      case 'blob.committed:event':
      case 'blob.exists:event':
        return this.local(digest, true);
      case 'blob.deleted:event':
        return this.local(digest, false);
    }
  }

  view(event: TraceEvent | null): RegistryGraphView {
    const edges = [...this.transfers.values()].flatMap((t) =>
      t.manifest ? t.blobs.map((b) => ({ manifest: t.manifest!, blob: b.digest })) : [],
    );
    const unique = edges.filter((x, i) => edges.findIndex((y) => y.manifest === x.manifest && y.blob === x.blob) === i);
    for (const b of this.blobs.values()) {
      b.manifests = unique.filter((x) => x.blob === b.digest).map((x) => x.manifest);
      b.tags = [...new Set(b.manifests.flatMap((m) => this.manifests.get(m)?.tags ?? []))];
      b.shared = b.manifests.length > 1 || b.tags.length > 1;
    }
    return { manifests: [...this.manifests.values()], blobs: [...this.blobs.values()], edges: unique, transfers: [...this.transfers.values()], active: this.active, event, eventDigest: event ? this.lastDigest : null };
  }

  private blob(digest: string): BlobNode {
    let b = this.blobs.get(digest);
    if (!b) {
      b = { digest, kind: this.configs.has(digest) ? 'config' : 'blob', size: null, manifests: [], tags: [], shared: false, local: null, inRegistry: null, repositories: [] };
      this.blobs.set(digest, b);
    }
    return b;
  }

  private manifest(digest: string): ManifestNode {
    let m = this.manifests.get(digest);
    if (!m) this.manifests.set(digest, (m = { digest, size: null, mediaType: null, tags: [], inRegistry: null }));
    return m;
  }

  private blobStart(e: TraceEvent, digest: string | null): void {
    const t = e.parent ? this.transfers.get(e.parent) : undefined;
    if (!digest || !t) return;
    const b = this.blob(digest);
    b.size = num(e.data.size) ?? b.size;
    if (e.data.kind === 'layer') b.kind = 'layer';
    // Known configs aside, what a push sends before its manifest are the layers.
    else if (b.kind === 'blob' && t.direction === 'push' && this.configs.size > 0) b.kind = 'layer';
    if (t.direction === 'push') b.local = true; // a push reads it from the local store
    const entry = { digest, mark: (t.direction === 'push' ? 'checking' : 'receiving') as BlobMark };
    t.blobs.push(entry);
    this.blobSpans.set(e.span, { t, entry });
  }

  private blobEnd(e: TraceEvent): void {
    const open = this.blobSpans.get(e.span);
    if (!open) return;
    const { t, entry: start } = open;
    // blob.push's `mounted` is the repository it was mounted from (push.ts), else false.
    const mounted = e.data.mounted;
    if (e.phase === 'error') start.mark = 'failed';
    else if (e.data.skipped === true) start.mark = 'skipped';
    else if (mounted === true || (typeof mounted === 'string' && mounted !== '')) {
      start.mark = 'mounted';
      if (typeof mounted === 'string') start.from = mounted;
    } else start.mark = t.direction === 'push' ? 'pushed' : 'pulled';
    if (start.mark === 'failed') return;
    const b = this.blob(start.digest);
    // Either way the blob is now in the transfer's repository: pushed there, or read from it.
    this.holds(b, t.repository);
    if (t.direction === 'pull') b.local = true;
  }

  private holds(b: BlobNode, repository: string | null): void {
    b.inRegistry = true;
    if (repository && !b.repositories.includes(repository)) b.repositories.push(repository);
  }

  private manifestMoved(e: TraceEvent): void {
    const t = this.transfers.get(e.span);
    const digest = str(e.data.digest);
    if (!digest) return;
    const m = this.manifest(digest);
    m.size = num(e.data.size) ?? m.size;
    m.mediaType = str(e.data.mediaType) ?? m.mediaType;
    const tag = repoTag(str(e.data.reference) ?? '');
    if (tag && !m.tags.includes(tag)) m.tags.push(tag);
    if (e.op === 'manifest.pull') m.inRegistry = true;
    if (t) t.manifest = digest;
  }

  /**
   * What the registry answered about a blob in one repository. "Unknown" there (a HEAD's
   * BLOB_UNKNOWN) turns the push to sending; the blob may still be in another repository.
   */
  private inRegistry(digest: string | null, repository: string | null, present: boolean, size: number | null): void {
    if (!digest) return;
    if (this.manifests.has(digest)) return;
    const b = this.blobs.get(digest);
    if (!b) return;
    b.size = size ?? b.size;
    if (present) return this.holds(b, repository);
    b.repositories = b.repositories.filter((r) => r !== repository);
    b.inRegistry = b.repositories.length > 0;
    this.marking(digest, ['checking'], 'sending');
  }

  /** The open push marks of a blob in `from` become `to`. */
  private marking(digest: string | null, from: BlobMark[], to: BlobMark): void {
    for (const t of this.transfers.values()) for (const x of t.blobs) if (x.digest === digest && !t.done && from.includes(x.mark)) x.mark = to;
  }

  private local(digest: string | null, present: boolean): void {
    if (!digest) return;
    const b = this.blobs.get(digest);
    if (b) b.local = present;
  }
}
