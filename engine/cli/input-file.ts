// Opens a file the user named for upload (load -i, import FILE), failing with Docker's words
// before any request is made, instead of as a broken upload half-way.
import type { ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CliError } from './errors.js';

export async function openInput(path: string): Promise<ReadStream> {
  try {
    const fh = await open(path, 'r');
    // The stream owns the handle (and closes it); a bare fd would be closed under it when the
    // FileHandle object is garbage-collected, cutting the upload short.
    return fh.createReadStream();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new CliError(`open ${path}: ${why}`);
  }
}
