// A container's filesystems made real (chapter 3): the acting half of mount-options.ts. Each
// planned request gets its host side — a named volume created on first use, an anonymous one
// per container and path, a `-v` host directory made when missing — and is recorded as used
// by the container, then becomes the spec mount the recipe performs inside the container's
// root before pivot_root. Nothing is mounted here: the runtime mounts, in the container's own
// mount namespace, so nothing can be left in the host's mount table.
import { mkdir, stat } from 'node:fs/promises';
import { invalid } from '../base/index.js';
import type { SpecMount } from './types.js';
import { planMounts, specMount, type FilesystemHostConfig } from './mount-options.js';
import { ANONYMOUS_LABEL, anonymousVolumeName, type VolumeStore } from './volumes.js';

// #region mounts-for
/**
 * The extra spec mounts for a container: pass them as `mounts` to specFromContainer.
 * Idempotent: calling it on every start finds the same volumes (anonymous ones are named after
 * the container id and the path). `ReadonlyRootfs` needs nothing here: specFromContainer sets
 * root.readonly from the same HostConfig and the planner remounts the root read-only last.
 */
export async function mountsFor(args: {
  containerId: string;
  hostConfig: FilesystemHostConfig;
  /** The container's Config.Volumes (the image's VOLUMEs and any asked at create). */
  imageVolumes?: Record<string, object> | null;
  volumes: VolumeStore;
}): Promise<SpecMount[]> {
  const mounts: SpecMount[] = [];
  for (const request of planMounts({ hostConfig: args.hostConfig, imageVolumes: args.imageVolumes })) {
    if (request.type === 'tmpfs') {
      mounts.push(specMount(request));
    } else if (request.type === 'bind') {
      await ensureBindSource(request.source, request.createHostPath);
      mounts.push(specMount(request));
    } else {
      const anonymous = request.source === '';
      const name = anonymous ? anonymousVolumeName(args.containerId, request.destination) : request.source;
      const volume = await args.volumes.create({ name, labels: anonymous ? { [ANONYMOUS_LABEL]: '' } : {} });
      await args.volumes.use(name, args.containerId);
      mounts.push(specMount(request, volume.Mountpoint));
    }
  }
  return mounts;
}
// #endregion mounts-for

/** `-v /missing:/x` makes /missing (a directory, as Docker does); `--mount type=bind` refuses. */
async function ensureBindSource(source: string, create: boolean): Promise<void> {
  if (await stat(source).then(() => true, () => false)) return;
  if (!create) throw invalid('BIND_SOURCE_MISSING', `invalid mount config for type "bind": bind source path does not exist: ${source}`, { source });
  await mkdir(source, { recursive: true, mode: 0o755 });
}
