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
import { randomBytes } from 'node:crypto';
import { KeyedMutex } from '../base/index.js';
import { chainIDs, unpackLayer, type ContentStore, type Image, type LayerInfo } from '../layers/index.js';
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
    await s.prepare(key, args.parent);
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
        await s.commit(chainID, key);
      } catch (err) {
        // Another process (a second daemon on the same root is refused, but a tool may not be)
        // committed the same chainID first: its snapshot is as good as ours.
        if ((err as { code?: string }).code !== 'SNAPSHOT_EXISTS') throw err;
        await s.remove(key);
        span?.end({ chainID, skipped: true });
        return;
      }
      span?.end({ chainID, digest: layer.digest, diffID: layer.diffID, files: r.files, whiteouts: r.whiteouts, bytes: r.uncompressedSize, skipped: false });
    } catch (err) {
      await s.remove(key).catch(() => {});
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
