// A write the filesystem refused — full, over quota, read-only, not ours — said the way Go's os
// package (and so dockerd) says it: `write /var/lib/…/ingest/3f…: no space left on device`.
// Node's stream errors carry the errno but not the path ("ENOSPC: no space left on device,
// write"), which leaves a learner guessing which disk filled up; the caller knows the file.
import { EngineError } from './errors.js';

/** The kernel's words for the errnos a store write can meet. */
const STORAGE_ERRNOS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * `err` as an EngineError naming `path` and errno (code `<prefix>_<ERRNO>`, data: syscall, path,
 * errno) when it is one of the storage errnos; anything else is returned as it was.
 */
export function storageFailure(err: unknown, a: { path: string; code: string }): unknown {
  const e = err as NodeJS.ErrnoException;
  const text = typeof e?.code === 'string' ? STORAGE_ERRNOS[e.code] : undefined;
  if (!text) return err;
  const syscall = e.syscall ?? 'write';
  const path = e.path ?? a.path;
  return new EngineError({
    code: `${a.code}_${e.code}`, kind: 'internal',
    message: `${syscall} ${path}: ${text} (${e.code})`,
    data: { syscall, path, errno: e.code }, cause: err,
  });
}
