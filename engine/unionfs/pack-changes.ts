// A container's changes as a layer (chapter 2, "union fs"; what `docker commit` stores). The
// overlay driver already keeps exactly the changes, in its upperdir: pack that dir, reading its
// 0/0 devices as `.wh.` entries and its opaque dirs as `.wh..wh..opq` (layers/pack.ts knows the
// overlay form; overlayfs's own `trusted.overlay.*` xattrs are never packed). The copy driver
// has a full tree: pack only the paths changes() lists, with each deletion as a `.wh.` entry.
import type { Writable } from 'node:stream';
import { packLayer, type PackResult } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import { changes } from './changes.js';
import type { Snapshotter } from './types.js';

export async function packChanges(args: { snapshotter: Snapshotter; key: string; out: Writable; compression: 'gzip' | 'none'; span?: Span }): Promise<PackResult> {
  const { snapshotter, key, out, compression } = args;
  const span = args.span?.child('unionfs', 'snapshot.pack', { key, driver: snapshotter.driver, compression });
  try {
    const source = await snapshotter.changesSource(key);
    const result = source.form === 'overlay'
      ? await packLayer({ root: source.upper, whiteouts: 'overlay', out, compression, span })
      : await packLayer({ root: source.dir, changes: await changes({ snapshotter, key, span }), out, compression, span });
    span?.end({ ...result });
    return result;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}
