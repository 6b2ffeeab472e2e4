// What a file that is not a regular file becomes in a tar (chapter 5): the context the CLI sends
// and the files a COPY lands both write directories, symlinks, FIFOs and device nodes the same
// way. Regular files (their bytes) and hard links (which need the walk's memory of inodes) stay
// with the callers; a socket has no tar form, and Docker's tar leaves it out.
import { readlinkSync, type Stats } from 'node:fs';
import type { Headers } from 'tar-stream';
import { splitDev } from '../base/index.js';

/** The header for `st` (found at `host`, written as `header.name`), or null for a socket. */
export function specialEntry(st: Stats, host: string, header: Headers): Headers | null {
  if (st.isDirectory()) return { ...header, name: `${header.name}/`, type: 'directory' };
  if (st.isSymbolicLink()) return { ...header, type: 'symlink', linkname: readlinkSync(host) };
  if (st.isFIFO()) return { ...header, type: 'fifo' };
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = splitDev(st.rdev);
    return { ...header, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor };
  }
  return null;
}
