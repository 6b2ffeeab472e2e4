// A started container seen from the host (chapter 3): which process is its pid 1, when that
// process stands in the container's own root, and unmounting that root once it is over. The
// runtime (runtime.ts) asks these questions of /proc and the mount table; the answers are facts
// about processes and mounts, not steps of the start recipe, so they live here.
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../base/index.js';
import { readMountInfo, unmount } from '../unionfs/index.js';

/**
 * Unmounts the rootfs if (and as long as) something is mounted there; lazily when busy. Usually
 * the shim has already done it when the container exited. An overlay mount point is seen by its
 * device number differing from its parent's: cheaper than reading mountinfo with thousands of
 * mounts. The copy driver's root is a bind mount on the same device, so there mountinfo tells.
 */
export async function unmountRoot(rootfs: string, driver: 'overlay' | 'copy'): Promise<void> {
  const mounted = async () => {
    if (driver === 'copy') return (await readMountInfo()).some((m) => m.mountPoint === rootfs);
    const [here, parent] = await Promise.all([stat(rootfs).catch(() => null), stat(join(rootfs, '..')).catch(() => null)]);
    return here !== null && parent !== null && here.dev !== parent.dev;
  };
  for (let i = 0; i < 4 && (await mounted()); i++) {
    await unmount({ target: rootfs }).catch(() => unmount({ target: rootfs, lazy: true }));
  }
}

/**
 * The container's pid 1 on the host. The shim's recorded pid is pid 1 itself for dockling's own
 * runtime (dockling-init forked it and left: it is in a pid namespace other than ours); under
 * `runc run` it is runc, and pid 1 is runc's only child. A child belongs to the thread that
 * forked it, and runc is a Go program whose threads all fork: its `/proc/<pid>/task/<tid>/children`
 * are read for every thread, not only the main one.
 */
export async function containerInit(unsharePid: number): Promise<number | undefined> {
  const [theirs, ours] = await Promise.all([readlink(`/proc/${unsharePid}/ns/pid`).catch(() => null), readlink('/proc/self/ns/pid')]);
  if (theirs === null) return undefined;
  if (theirs !== ours) return unsharePid;
  for (let i = 0; i < 20; i++) {
    try {
      const tasks = await readdir(`/proc/${unsharePid}/task`);
      const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${unsharePid}/task/${t}/children`, 'utf8').catch(() => '')));
      const kids = lists.join(' ').trim().split(/\s+/).filter(Boolean);
      if (kids.length) return Number(kids[0]);
    } catch {
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/**
 * The container's pid 1 once it stands in its own root. Right after start, unshare's child is
 * still dockling-init making the container's mounts, in the host's root until its pivot_root: a process
 * that joined it then (exec) would see the host's files. Its root is the container's when it
 * is the very directory the rootfs is mounted on (same device and inode).
 */
export async function settledInit(unsharePid: number, rootfs: string): Promise<number | undefined> {
  const want = await stat(rootfs);
  for (let i = 0; i < 300; i++) {
    const pid = await containerInit(unsharePid);
    if (pid === undefined) return undefined;
    const root = await stat(`/proc/${pid}/root/`).catch(() => undefined);
    if (!root) return undefined;
    if (root.dev === want.dev && root.ino === want.ino) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new EngineError({ code: 'CONTAINER_STARTING', kind: 'unavailable', message: `container pid ${unsharePid} did not reach its root filesystem in 3s`, data: { pid: unsharePid, rootfs } });
}
