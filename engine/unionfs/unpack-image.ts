// From image to snapshots (chapter 2, "union fs"): each layer is unpacked once, into the
// committed snapshot named by its chainID, bottom-up. The chainID names "this layer on top of
// exactly these layers" (layers/chain-id.ts), so two images with the same base layers find
// those snapshots already there and share them — the same directories on disk.
//   for each layer, bottom-up:
//     1. its chainID snapshot exists?  skip it (shared)
//     2. prepare('extract-<random>', parent chainID)        an empty active snapshot
//     3. unpack the layer tar into it, in the driver's whiteout form, digests checked
//     4. commit(chainID, 'extract-…')                      now other images can share it
//   on any failure the active snapshot is removed: nothing half-unpacked stays.
// A pull does better than "download, then unpack" where the driver allows (PullUnpacker below):
// an overlay layer's directory holds only its own changes, so every layer is unpacked from its
// bytes as they arrive — one pass for digest, diffID and files — and committed bottom-up after.
import { randomBytes } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { KeyedMutex } from '../base/index.js';
import { chainIDs, unpackLayer, type ContentStore, type Digest, type Image, type LayerInfo, type UnpackResult } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import type { Snapshotter } from './types.js';

// Calls that unpack the same chainID into the same snapshotter wait for each other: the second
// finds the snapshot committed and skips it. Keyed by snapshotter, so separate roots never wait.
const locks = new WeakMap<Snapshotter, KeyedMutex>();

function lockFor(s: Snapshotter): KeyedMutex {
  let m = locks.get(s);
  if (!m) locks.set(s, (m = new KeyedMutex()));
  return m;
}

// Layers a pull has committed (or found committed) but not yet named in an image: held here
// until the pull ends, so that removeUnusedLayers() does not take them for unused meanwhile.
const leases = new WeakMap<Snapshotter, Map<string, number>>();

function lease(s: Snapshotter, keys: string[]): () => void {
  let held = leases.get(s);
  if (!held) leases.set(s, (held = new Map()));
  const map = held;
  for (const k of keys) map.set(k, (map.get(k) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const k of keys) {
      const n = (map.get(k) ?? 1) - 1;
      if (n > 0) map.set(k, n);
      else map.delete(k);
    }
  };
}

/** Takes the lock on `key` and keeps it until the function it resolves to is called. */
function hold(m: KeyedMutex, key: string): Promise<() => void> {
  return new Promise((acquired) => {
    void m.run(key, () => new Promise<void>((release) => acquired(release)));
  });
}

async function exists(s: Snapshotter, key: string): Promise<boolean> {
  return s.stat(key).then(() => true, (err: { code?: string }) => {
    if (err.code === 'SNAPSHOT_NOT_FOUND') return false;
    throw err;
  });
}

async function unpackOne(args: { layer: LayerInfo; chainID: string; parent?: string; content: ContentStore; snapshotter: Snapshotter; span?: Span }): Promise<void> {
  const { layer, chainID, snapshotter: s } = args;
  const span = args.span?.child('unionfs', 'snapshot.unpack', { chainID, digest: layer.digest, diffID: layer.diffID, parent: args.parent ?? null });
  try {
    if (await exists(s, chainID)) {
      span?.end({ chainID, skipped: true });
      return;
    }
    const key = `extract-${randomBytes(6).toString('hex')}`;
    await s.prepare(key, args.parent, { span });
    try {
      const target = await s.unpackTarget(key);
      const r = await unpackLayer({
        source: args.content.createReadStream(layer.digest),
        target: target.dir,
        whiteouts: target.whiteouts,
        expected: { digest: layer.digest, diffID: layer.diffID },
        span,
      });
      try {
        await s.commit(chainID, key, { span });
      } catch (err) {
        // Another process (a second daemon on the same root is refused, but a tool may not be)
        // committed the same chainID first: its snapshot is as good as ours.
        if ((err as { code?: string }).code !== 'SNAPSHOT_EXISTS') throw err;
        await s.remove(key, { span });
        span?.end({ chainID, skipped: true });
        return;
      }
      span?.end({ chainID, digest: layer.digest, diffID: layer.diffID, files: r.files, whiteouts: r.whiteouts, bytes: r.uncompressedSize, skipped: false });
    } catch (err) {
      await s.remove(key, { span }).catch(() => {});
      throw err;
    }
  } catch (err) {
    span?.fail(err, { chainID });
    throw err;
  }
}

/**
 * Unpacks every layer of `image` into committed snapshots; returns the top chainID (undefined
 * with no layers). `onLayer` hears of each layer before and after (a pull's "Extracting" and
 * "Pull complete").
 */
export async function unpackImage(args: {
  image: Pick<Image, 'layers'>; content: ContentStore; snapshotter: Snapshotter; span?: Span;
  onLayer?: (index: number, phase: 'start' | 'done') => void;
}): Promise<string | undefined> {
  const layers = args.image.layers;
  const ids = chainIDs(layers.map((l) => l.diffID));
  const lock = lockFor(args.snapshotter);
  let parent: string | undefined;
  for (let i = 0; i < layers.length; i++) {
    const chainID = ids[i]!;
    const below = parent;
    args.onLayer?.(i, 'start');
    await lock.run(chainID, () => unpackOne({ layer: layers[i]!, chainID, parent: below, content: args.content, snapshotter: args.snapshotter, span: args.span }));
    args.onLayer?.(i, 'done');
    parent = chainID;
  }
  return parent;
}

// #region pull-unpack
/** A layer being unpacked from its download: its active snapshot, and the lock on its chainID. */
interface Streamed { key: string; sink: PassThrough; unpacked: Promise<UnpackResult>; release: () => void; span?: Span }

/**
 * A pull's layers into committed snapshots (the daemon hands one to the registry client once the
 * config names the diffIDs). Where the driver lets a layer be unpacked alone, `stream(i)` gives
 * the download a place to write layer i's bytes as they arrive; the unpack counts and checks the
 * digest and diffID on the way. `layer(i)` is called bottom-up, once layer i and those below are
 * stored: it commits a streamed layer (naming its parent now), or unpacks one from the store.
 * A chainID is locked from its stream's start to its commit: a second pull of the same layer
 * waits, then finds it committed.
 */
export class PullUnpacker {
  private readonly ids: string[];
  private readonly streamed = new Map<number, Streamed>();
  private readonly unlease: () => void;

  constructor(private readonly a: { layers: Array<{ digest: Digest; diffID: Digest }>; content: ContentStore; snapshotter: Snapshotter; span?: Span }) {
    this.ids = chainIDs(a.layers.map((l) => l.diffID));
    this.unlease = lease(a.snapshotter, this.ids);
  }

  /** Where layer `index`'s bytes go as they download, or undefined: unpacked later (or already). */
  async stream(index: number): Promise<{ sink: Writable; unpacked: Promise<UnpackResult> } | undefined> {
    const s = this.a.snapshotter;
    if (!s.unpacksAlone) return undefined;
    const chainID = this.ids[index]!;
    const layer = this.a.layers[index]!;
    const release = await hold(lockFor(s), chainID);
    try {
      if (await exists(s, chainID)) {
        release();
        return undefined;
      }
      const span = this.a.span?.child('unionfs', 'snapshot.unpack', { chainID, digest: layer.digest, diffID: layer.diffID, parent: this.ids[index - 1] ?? null, streamed: true });
      // No parent yet: it is named at commit, once the layers below are committed.
      const key = `extract-${randomBytes(6).toString('hex')}`;
      await s.prepare(key, undefined, { span });
      const target = await s.unpackTarget(key);
      const sink = new PassThrough({ highWaterMark: 1024 * 1024 });
      const unpacked = unpackLayer({ source: sink, target: target.dir, whiteouts: target.whiteouts, expected: layer, span });
      unpacked.catch(() => {}); // awaited in layer() or cancel()
      this.streamed.set(index, { key, sink, unpacked, release, span });
      return { sink, unpacked };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Layer `index` (stored, as are those below) committed; `onPhase` for "Extracting" and "Pull complete". */
  async layer(index: number, stored: LayerInfo, onPhase: (phase: 'start' | 'done') => void): Promise<void> {
    const s = this.a.snapshotter;
    const chainID = this.ids[index]!;
    const parent = this.ids[index - 1];
    const st = this.streamed.get(index);
    onPhase('start');
    if (!st) {
      await lockFor(s).run(chainID, () => unpackOne({ layer: stored, chainID, parent, content: this.a.content, snapshotter: s, span: this.a.span }));
      onPhase('done');
      return;
    }
    this.streamed.delete(index);
    try {
      const r = await st.unpacked;
      try {
        await s.commit(chainID, st.key, { ...(parent ? { parent } : {}), span: st.span });
        st.span?.end({ chainID, digest: r.digest, diffID: r.diffID, files: r.files, whiteouts: r.whiteouts, bytes: r.uncompressedSize, skipped: false });
      } catch (err) {
        // Committed meanwhile by something outside this daemon's locks: as good as ours.
        if ((err as { code?: string }).code !== 'SNAPSHOT_EXISTS') throw err;
        await s.remove(st.key, { span: st.span });
        st.span?.end({ chainID, skipped: true });
      }
    } catch (err) {
      await s.remove(st.key, { span: st.span }).catch(() => {});
      st.span?.fail(err, { chainID });
      throw err;
    } finally {
      st.release();
    }
    onPhase('done');
  }

  /** The pull is over (its image named, or `failure`): unpacks still going are stopped and removed; the layers are let go. */
  async end(failure?: unknown): Promise<void> {
    const left = [...this.streamed.values()];
    this.streamed.clear();
    await Promise.all(left.map(async (st) => {
      st.sink.destroy(failure instanceof Error ? failure : new Error(String(failure ?? 'the pull ended first')));
      await st.unpacked.catch(() => {});
      await this.a.snapshotter.remove(st.key, { span: st.span }).catch(() => {});
      st.span?.fail(failure);
      st.release();
    }));
    this.unlease();
  }
}
// #endregion pull-unpack

// #region remove-unused
/**
 * After `rmi`: removes the committed layer snapshots that no image's chain names (`keep`), no
 * pull holds, and no other snapshot stands on — top layers first, then what they stood on, until
 * nothing more can go. A container's snapshot stands on its image's top layer, so a layer in use
 * is never removed. Returns the keys removed.
 */
export async function removeUnusedLayers(args: { snapshotter: Snapshotter; keep: Set<string>; span?: Span }): Promise<string[]> {
  const s = args.snapshotter;
  const removed: string[] = [];
  const free = (key: string) => !args.keep.has(key) && !leases.get(s)?.has(key);
  for (;;) {
    const all = await s.list();
    const standsOn = new Set(all.map((x) => x.parent).filter((p): p is string => p !== undefined));
    const leaves = all.filter((x) => x.kind === 'committed' && free(x.key) && !standsOn.has(x.key));
    let progress = false;
    for (const leaf of leaves) {
      // Under the layer's unpack lock: a pull unpacking it now finishes first, and leases it.
      const gone = await lockFor(s).run(leaf.key, async () => {
        if (!free(leaf.key)) return false;
        return s.remove(leaf.key, { span: args.span }).then(() => true, (err: { code?: string }) => {
          if (err.code === 'SNAPSHOT_IN_USE' || err.code === 'SNAPSHOT_NOT_FOUND') return false;
          throw err;
        });
      });
      if (!gone) continue;
      removed.push(leaf.key);
      args.span?.event('snapshot.released', { key: leaf.key });
      progress = true;
    }
    if (!progress) return removed;
  }
}
// #endregion remove-unused
