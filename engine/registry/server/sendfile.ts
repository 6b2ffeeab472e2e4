// Big blobs go out through sendfile(2) (chapter 4). Read-then-write copies every byte of a
// 100 MB layer into Node and out again; sendfile lets the kernel move the file's pages to the
// socket itself, the way Go's registry serves blobs. Node has no sendfile for sockets, so
// dockling-sendfile.c (built next to this module) does it, with the client's socket as its
// standard output:
//   1. the response headers are written and flushed to the socket;
//   2. dockling-sendfile FILE OFFSET COUNT sends the body, and exits;
//   3. the response is ended with nothing more to write, and the connection lives on.
// Only on a plain socket: through TLS the bytes must be encrypted by Node, so they go the usual
// way — as do small blobs, where starting a process costs more than the copies it saves.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../base/index.js';

/** Below this, read + write costs less than starting a process. */
export const SENDFILE_MIN_BYTES = 1024 * 1024;

let helper: string | null | undefined;

/** dockling-sendfile's path (the built one in dist/ when running from source), or null if not built. */
function helperPath(): string | null {
  if (helper !== undefined) return helper;
  const here = fileURLToPath(new URL('./dockling-sendfile', import.meta.url));
  const path = here.includes('/dist/engine/') ? here : fileURLToPath(new URL('../../../dist/engine/registry/server/dockling-sendfile', import.meta.url));
  try {
    accessSync(path, constants.X_OK);
    helper = path;
  } catch {
    helper = null;
  }
  return helper;
}

/**
 * The descriptor of the response's socket when it is a plain one (TCP or unix, not TLS), else null.
 * The descriptor, not the stream, is what the child gets: handed a stream, Node stops reading it
 * for good (the child owns it now), and the next request on this connection would go unread.
 */
function plainSocketFd(res: ServerResponse): number | null {
  const socket = res.socket as (Socket & { encrypted?: boolean; _handle?: { fd?: number } }) | null;
  if (!socket || socket.encrypted || socket.destroyed) return null;
  const fd = socket._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** Whether `count` bytes for `res` should go through sendfile: big enough, a plain socket, the helper built. */
export function useSendfile(res: ServerResponse, count: number): boolean {
  return count >= SENDFILE_MIN_BYTES && plainSocketFd(res) !== null && helperPath() !== null;
}

/** Sends bytes [start, start + count) of `file` as the body of `res`, whose headers are set (after useSendfile said yes). */
export async function sendfileBody(res: ServerResponse, file: string, start: number, count: number): Promise<void> {
  const socket = res.socket!;
  const fd = plainSocketFd(res)!;
  res.flushHeaders();
  // Writes on a socket complete in order: when this empty one has, the headers are in the kernel.
  await new Promise<void>((resolve, reject) => socket.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  const child = spawn(helperPath()!, [file, String(start), String(count)], { stdio: ['ignore', fd, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
  const code = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) {
    // Some of the body may be out: the only honest end for this response is a closed connection.
    socket.destroy();
    throw new EngineError({ code: 'BLOB_SEND_FAILED', kind: 'unavailable', message: `sending ${file}: ${stderr.trim() || `dockling-sendfile exited with ${code}`}`, data: { file, start, count, status: code } });
  }
  res.end();
}
