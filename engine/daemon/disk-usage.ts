// `docker system df` (issue 9): what images, containers, volumes and the build cache take on
// disk, in the Engine API's SystemDataUsage shape. Docker counts an image's layers once per
// store (LayersSize), and splits each image's Size into SharedSize (layers another image has
// too) and the rest, which is what removing that image alone would give back.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonEngine } from './engine.js';
import { toSummary } from './image-views.js';
import { toContainerSummary } from './container-views.js';

/** Bytes in the files under `dir` (apparent sizes; a hard-linked file counted once). */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const n of names) {
      const st = await lstat(join(d, n)).catch(() => null);
      if (!st) continue; // removed while we looked
      if (st.isDirectory()) await walk(join(d, n));
      else if (!seen.has(`${st.dev}:${st.ino}`)) {
        seen.add(`${st.dev}:${st.ino}`);
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}

/** The bytes a container's read-write snapshot holds (its own changes only). */
export async function containerSize(engine: DaemonEngine, snapshotKey: string): Promise<number> {
  const src = await engine.snapshotter.changesSource(snapshotKey).catch(() => null);
  if (!src) return 0;
  return directorySize(src.form === 'overlay' ? src.upper : src.dir);
}

// #region system-df
/** `GET /system/df`: the SystemDataUsage document. */
export async function systemDataUsage(engine: DaemonEngine) {
  const images = await engine.images.list();
  const containers = await engine.containers.list();
  // A layer's size, counted once however many images list it; how many images list it.
  const layerSize = new Map<string, number>();
  const layerImages = new Map<string, number>();
  for (const image of images) {
    for (const l of new Map(image.layers.map((x) => [x.diffID, x])).values()) {
      layerSize.set(l.diffID, l.uncompressedSize);
      layerImages.set(l.diffID, (layerImages.get(l.diffID) ?? 0) + 1);
    }
  }
  const usedBy = (id: string) => containers.filter((c) => c.Image === id).length;
  const Images = images.map((image) => {
    const shared = [...new Set(image.layers.map((l) => l.diffID))].filter((d) => (layerImages.get(d) ?? 0) > 1).reduce((s, d) => s + (layerSize.get(d) ?? 0), 0);
    return { ...toSummary(image), SharedSize: shared, Containers: usedBy(image.id) };
  });
  const Containers = await Promise.all(containers.map(async (c) => {
    const image = images.find((i) => i.id === c.Image);
    const SizeRw = await containerSize(engine, c.SnapshotKey);
    return { ...toContainerSummary(c), SizeRw, SizeRootFs: SizeRw + (image?.size ?? 0) };
  }));
  const Volumes = await Promise.all((await engine.volumes.list()).map(async (v) => ({
    ...v,
    UsageData: { Size: await directorySize(v.Mountpoint), RefCount: (await engine.volumes.users(v.Name)).length },
  })));
  return {
    LayersSize: [...layerSize.values()].reduce((s, n) => s + n, 0),
    Images,
    Containers,
    Volumes,
    // The classic builder keeps its cache as images (chapter 5), so there is no separate cache.
    BuildCache: [],
  };
}
// #endregion system-df
