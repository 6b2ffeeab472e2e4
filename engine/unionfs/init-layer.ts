// The init layer (chapter 2): one more snapshot between a container's image and its read-write
// layer, holding only the mount points a runtime needs — /proc, /dev and /sys, and the
// /etc/hostname, /etc/hosts and /etc/resolv.conf the engine binds its own files over (chapter 3).
// An image without them would otherwise get them made in the read-write layer when the
// container starts, so `diff` would list them as the container's changes and `commit` would
// bake empty copies into the new image (and every RUN of a build into its layer). Docker keeps
// the same layer, named `<id>-init`, for the same reason.
import { lstat, mkdir, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Span } from '../trace/index.js';
import { withMounted } from './mount.js';
import type { Snapshotter } from './types.js';

/** Mount points for the kernel's filesystems (namespaces' DEFAULT_MOUNTS, the top-level ones). */
export const INIT_DIRS = ['/proc', '/dev', '/sys'];
/** Mount points for the files the engine writes per container (namespaces' ETC_FILES). */
export const INIT_FILES = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

/** The committed init snapshot of container `id`: the parent of its read-write snapshot. */
export const initSnapshotName = (id: string) => `ctr-${id}-init`;

/**
 * Makes the init snapshot on top of `parent` (the image's top layer, if any) and returns its
 * name. The mount points are made through a mount of the snapshot, so a directory the image
 * already has (/etc) is copied up with its own mode and owner, as any write would.
 */
export async function prepareInitLayer(args: { snapshotter: Snapshotter; id: string; parent?: string; tmpRoot: string; labels?: Record<string, string>; span?: Span }): Promise<string> {
  const s = args.snapshotter;
  const name = initSnapshotName(args.id);
  const key = `${name}-active`;
  const plan = await s.prepare(key, args.parent, { ...(args.labels ? { labels: args.labels } : {}), span: args.span });
  try {
    const made = await withMounted({ plan, tmpRoot: args.tmpRoot, span: args.span }, async (root) => {
      const out: string[] = [];
      for (const d of INIT_DIRS) if (await makeMountPoint(root, d, 'dir')) out.push(d);
      for (const f of INIT_FILES) if (await makeMountPoint(root, f, 'file')) out.push(f);
      return out;
    });
    args.span?.event('init.layer', { key: name, made });
    await s.commit(name, key, { span: args.span });
  } catch (err) {
    await s.remove(key, { span: args.span }).catch(() => {});
    throw err;
  }
  return name;
}

/**
 * Makes `path` (absolute, inside the image) under `root` when it is missing: its missing parent
 * directories 0755, then the directory or the empty file. Nothing is followed: a component that
 * is a symlink, or anything not a directory, leaves the path to the runtime, which resolves it
 * inside the container — here a link to `/…` would point into the host.
 */
async function makeMountPoint(root: string, path: string, kind: 'dir' | 'file'): Promise<boolean> {
  const parts = path.split('/').filter(Boolean);
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    const last = i === parts.length - 1;
    const st = await lstat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (st && (last || !st.isDirectory())) return false; // already there, or not ours to follow
    if (st) continue;
    if (!last || kind === 'dir') {
      await mkdir(at, { mode: 0o755 });
      continue;
    }
    // O_EXCL with O_CREAT never follows a symlink at the last component.
    const fd = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    await fd.close();
  }
  return true;
}
