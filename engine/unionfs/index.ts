// Chapter 2, union fs: the public surface other chapters import. Snapshots (committed layers,
// active container roots, read-only views) kept by an overlay or a copy driver, the executor that
// mounts their plans, image unpacking into snapshots by chainID, and a container's changes.
export type { SnapshotKind, SnapshotInfo, Mount, MountPlan, Snapshotter } from './types.js';
export type { Change, PackResult } from '../layers/index.js';
export { createSnapshotter, overlaySupported } from './drivers.js';
export { OverlaySnapshotter } from './overlay.js';
export { CopySnapshotter } from './copy.js';
export { mountPlan, unmount, withMounted, mountArgv, readOnlyBind, readMountInfo, mountsUsing, clearTmpRoot } from './mount.js';
export type { MountInfo } from './mount.js';
export { unpackImage, PullUnpacker, removeUnusedLayers } from './unpack-image.js';
export { changes } from './changes.js';
export { packChanges } from './pack-changes.js';
// The union view of an image's layers (what the site's layer diagram draws).
export { planUnionView, imageUnionView } from './union-view.js';
export type { EntryType, LayerEntry, LayerInput, LayerView, PathView, WhiteoutView, UnionView } from './union-view.js';
// Containers' filesystems: records, create / diff / commit / export, paths inside a root.
export { ContainerFs, mergeConfig, CHANGE_KIND, EMPTY_LAYER_DIFFID } from './container-fs.js';
export type { CreateRequest, CommitOptions } from './container-fs.js';
export { ContainerStore, checkName, generateName, ZERO_TIME } from './container-store.js';
export type { ContainerRecord, ContainerRecordConfig, ContainerState } from './container-store.js';
export { archivePath, extractToPath, statPath, goFileMode } from './path-archive.js';
export type { PathStat } from './path-archive.js';
export { resolveInRoot, asksForContents } from './scoped-path.js';
export type { ScopedPath } from './scoped-path.js';
// `dockling system check`: snapshots and container records, read-only (issue 9).
export { checkSnapshots } from './snapshot-check.js';
export { reclaimSnapshots, CONTAINER_LABEL } from './reclaim.js';
export type { Reclaimed } from './reclaim.js';
export type { SnapshotCheck } from './snapshot-check.js';
