// The host's devices, chapter 3: what `--privileged` puts in a container's /dev. A container
// normally gets six devices (/dev/null, zero, full, random, urandom, tty: planner.ts). Docker
// gives a privileged one a node for every device of the host — disks, loop devices, /dev/kvm,
// /dev/net/tun — read from the host's /dev, and lifts the device cgroup, so the container can
// open them all. That is why `--privileged` is as strong as root on the host: a process that can
// open the host's disk can read and write any file on it.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxDevice } from './types.js';

/** Directories of /dev that are not devices of the host: other filesystems, or the container's own. */
const SKIPPED_DIRS = new Set(['pts', 'shm', 'mqueue', 'fd', 'hugepages']);
/** Nodes the container gets its own way: /dev/console (its terminal) and /dev/ptmx (a link to its pts). */
const SKIPPED_NODES = new Set(['console', 'ptmx']);

/**
 * Every block and character device under `dir` (the host's /dev), as config.json's
 * linux.devices: path as seen in the container, type, numbers, mode, owner. Links, fifos and
 * files are not devices and are left out, as runc's and Docker's walks leave them out.
 */
export function hostDevices(dir = '/dev', inside = '/dev'): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const st = (() => {
      try {
        return lstatSync(join(dir, name));
      } catch {
        return undefined; // gone while we looked (a hot-unplugged device): skip it
      }
    })();
    if (!st) continue;
    if (st.isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...hostDevices(join(dir, name), `${inside}/${name}`));
    } else if ((st.isBlockDevice() || st.isCharacterDevice()) && !(inside === '/dev' && SKIPPED_NODES.has(name))) {
      const { major, minor } = deviceNumbers(st.rdev);
      out.push({ path: `${inside}/${name}`, type: st.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  }
  return out;
}

/** st_rdev split as glibc's major() and minor() do (sys/sysmacros.h): 12 + 20 bits, interleaved. */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const [lo, hi] = [rdev % 2 ** 32, Math.floor(rdev / 2 ** 32)];
  const major = (((lo >>> 8) & 0xfff) | (hi & 0xfffff000)) >>> 0;
  const minor = ((lo & 0xff) | (((lo >>> 12) | ((hi & 0xfff) << 20)) & 0xffffff00)) >>> 0;
  return { major, minor };
}
