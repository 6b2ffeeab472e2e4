// Chapter 2's vocabulary: snapshots, the directories a union filesystem stacks, and the mount
// plans that stack them. The contract follows containerd's snapshotter model (prepare / view /
// commit / remove / mounts): a snapshotter *describes* mounts and never mounts; a separate
// executor (mount.ts) turns a MountPlan into mount(8) calls, which is what the trace records.
//
// How an image becomes a container's root, with the overlay driver:
//   1. for each layer, bottom-up, its chainID names a committed snapshot (shared by every image
//      that has the same layers below it):  prepare('extract-1', parent) → unpack the layer tar
//      into the active snapshot's upper dir (OCI whiteouts become 0/0 char devices and opaque
//      xattrs) → commit(chainID, 'extract-1');
//   2. a container gets prepare(containerKey, topChainID): an empty upper dir and a work dir;
//   3. mounts(containerKey) returns one overlay mount: lowerdir = the chain's dirs top-first,
//      upperdir, workdir; the executor mounts it, relative to a short working directory so a
//      long stack fits in the kernel's one-page options limit;
//   4. what the container writes lands in the upper dir (copy-up for changed lower files), so
//      `diff` and `commit` read only the upper dir;
//   5. remove(containerKey) deletes the upper dir; committed layers stay while anything uses them.

import type { Span } from '../trace/index.js';

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  /** The snapshot's key: a chainID (`sha256:…`) for committed layers, any string for active ones. */
  key: string;
  kind: SnapshotKind;
  /** The key of the committed snapshot below it, if any. */
  parent?: string;
  /** Short numeric id used for the on-disk directory (short paths keep overlay options small). */
  id: string;
  created: string;
  labels?: Record<string, string>;
}

/**
 * One mount(8) call, described: `mount -t overlay <source> -o <options> <target>` for overlay,
 * `mount -o bind <source> <target>` for a bind. A bind whose options include `remount`
 * (`remount,bind,ro`) is `mount -o remount,bind,ro <target>`: the second step of a read-only
 * bind mount, since the read-only flag of a bind applies only through a remount.
 */
export interface Mount {
  type: 'overlay' | 'bind';
  source: string;
  options: string[];
}

/**
 * What it takes to make a snapshot's root appear at a target directory. `cwd` is set when the
 * options use paths relative to it (the short-path trick for long lowerdir lists).
 */
export interface MountPlan {
  driver: 'overlay' | 'copy';
  key: string;
  mounts: Mount[];
  cwd?: string;
  readonly: boolean;
  /** The layer directories the plan stacks, top first (for the trace and the diagram). */
  layers: string[];
  /** The directory that receives writes (overlay upperdir, or the copy), absent for views.
   *  Overlay plans name it (and workdir) by absolute path, so /proc/self/mountinfo shows which
   *  snapshot a mount uses; only the lowerdirs are relative to `cwd`. */
  upper?: string;
}

export interface Snapshotter {
  readonly driver: 'overlay' | 'copy';
  /** Makes a writable snapshot on top of `parent` (a committed key) and returns how to mount it. */
  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string>; span?: Span }): Promise<MountPlan>;
  /** Makes a read-only snapshot of `parent`. */
  view(key: string, parent?: string, opts?: { span?: Span }): Promise<MountPlan>;
  /**
   * Whether a layer's directory holds only that layer's own changes, so it can be unpacked before
   * the layers below it are (overlay: yes; copy: no, its directory starts as a copy of the parent).
   * A pull then unpacks every layer as its bytes arrive, and commits them bottom-up, each naming
   * its parent at commit.
   */
  readonly unpacksAlone: boolean;
  /**
   * Turns the active snapshot `key` into the committed snapshot `name` (a chainID for layers).
   * `opts.parent` names its parent now, for one prepared without (only when `unpacksAlone`).
   */
  commit(name: string, key: string, opts?: { parent?: string; span?: Span }): Promise<void>;
  /** Removes a snapshot; refuses (SNAPSHOT_IN_USE, conflict) while another snapshot has it as parent. */
  remove(key: string, opts?: { span?: Span }): Promise<void>;
  /** The mount plan of an existing active or view snapshot. */
  mounts(key: string): Promise<MountPlan>;
  stat(key: string): Promise<SnapshotInfo>;          // SNAPSHOT_NOT_FOUND
  list(): Promise<SnapshotInfo[]>;
  /**
   * Where a layer is unpacked into for an active snapshot, and which whiteout form it wants
   * ('overlay': 0/0 char devices and opaque xattrs; 'apply': delete from a full copy).
   */
  unpackTarget(key: string): Promise<{ dir: string; whiteouts: 'overlay' | 'apply' }>;
  /**
   * The directory holding what an active snapshot changed relative to its parent, and how to
   * read it: 'overlay' = an upperdir (whiteouts as 0/0 devices / opaque xattrs); 'copy' = a full
   * tree that must be compared against `parentDir` (itself a full tree).
   */
  changesSource(key: string): Promise<{ form: 'overlay'; upper: string; lowers: string[] } | { form: 'copy'; dir: string; parentDir?: string }>;
}
