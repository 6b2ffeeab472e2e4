// Choosing a snapshotter (chapter 2, "union fs"): overlay when this kernel can really do it,
// else copy. "Really" means more than `overlay` being listed in /proc/filesystems: a trial mount
// in a temp dir on the state root's filesystem (upperdir must live on a filesystem overlayfs
// accepts: not tmpfs on old kernels, not another overlay, not NFS), with a whiteout device in a
// lower layer, must hide the file it whites out and accept a write.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, invalid, run, tempDir, writeFileAtomic } from '../base/index.js';
import type { Tracer } from '../trace/index.js';
import { CopySnapshotter } from './copy.js';
import { mountPlan, unmount } from './mount.js';
import { OverlaySnapshotter } from './overlay.js';
import type { Snapshotter } from './types.js';

export async function overlaySupported(args: { tmpRoot: string }): Promise<boolean> {
  const listed = await readFile('/proc/filesystems', 'utf8').then((t) => /\toverlay$/m.test(t), () => false);
  if (!listed) return false;
  const dir = await tempDir(args.tmpRoot, 'overlay-check-');
  let mounted = false;
  const merged = join(dir.path, 'merged');
  try {
    for (const d of ['l1', 'l2', 'upper', 'work', 'merged']) await mkdir(join(dir.path, d));
    await writeFile(join(dir.path, 'l1', 'gone'), 'lower\n');
    await run(['mknod', join(dir.path, 'l2', 'gone'), 'c', '0', '0']);
    const options = ['lowerdir=l2:l1', 'upperdir=upper', 'workdir=work'];
    await mountPlan({ plan: { driver: 'overlay', key: 'check', mounts: [{ type: 'overlay', source: 'overlay', options }], cwd: dir.path, readonly: false, layers: [] }, target: merged });
    mounted = true;
    const hidden = await access(join(merged, 'gone')).then(() => false, () => true);
    await writeFile(join(merged, 'written'), 'upper\n');
    return hidden && (await readFile(join(dir.path, 'upper', 'written'), 'utf8')) === 'upper\n';
  } catch {
    return false;
  } finally {
    // Only remove the trial dir once nothing is mounted in it (a lazy unmount detaches at once).
    const unmounted = !mounted || (await unmount({ target: merged }).then(() => true, () => unmount({ target: merged, lazy: true }).then(() => true, () => false)));
    if (unmounted) await dir.remove().catch(() => {});
  }
}

export async function createSnapshotter(args: { root: string; tracer: Tracer; driver?: 'overlay' | 'copy' }): Promise<Snapshotter> {
  await mkdir(join(args.root, 'snapshots'), { recursive: true });
  // A state root keeps the driver it was made with: the two lay out layers differently.
  const recorded = await readFile(join(args.root, 'driver'), 'utf8').then((t) => t.trim(), () => undefined);
  if (recorded !== undefined && args.driver !== undefined && recorded !== args.driver) {
    throw new EngineError({ code: 'SNAPSHOTTER_DRIVER_MISMATCH', kind: 'failed-precondition', message: `${args.root} holds ${recorded} snapshots, not ${args.driver}`, data: { root: args.root, recorded, requested: args.driver } });
  }
  let driver = args.driver ?? recorded;
  if (driver === undefined) driver = (await overlaySupported({ tmpRoot: args.root })) ? 'overlay' : 'copy';
  if (recorded === undefined) await writeFileAtomic(join(args.root, 'driver'), `${driver}\n`);
  args.tracer.start('unionfs', 'snapshotter.init', { root: args.root, driver, chosen: args.driver === undefined }).end();
  if (driver === 'overlay') return new OverlaySnapshotter({ root: args.root, tracer: args.tracer });
  if (driver === 'copy') return new CopySnapshotter({ root: args.root, tracer: args.tracer });
  throw invalid('SNAPSHOTTER_UNKNOWN', `unknown snapshotter driver ${String(driver)}`, { driver });
}
