// Where the daemon listens. `-H unix:///run/dockling.sock` only, for now: a TCP socket would
// hand root on this machine to anyone who can reach the port, so it waits for TLS. A socket
// file left behind by a crashed daemon is removed before listening — but only after checking
// that nothing answers on it, so a running daemon is never silently stolen from.
import { createConnection } from 'node:net';
import type { Server } from 'node:http';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EngineError, invalid } from '../base/index.js';

/** `unix:///run/dockling.sock` → `/run/dockling.sock`; anything else is refused with a reason. */
export function parseHost(host: string): string {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid('HOST_INVALID', `unix socket path must be absolute: ${host}`, { host });
    return path;
  }
  if (host.startsWith('tcp://') || host.startsWith('fd://') || host.startsWith('ssh://')) {
    throw invalid('HOST_UNSUPPORTED', `${host}: only unix:// sockets are supported for now; tcp:// comes later, with TLS`, { host });
  }
  throw invalid('HOST_INVALID', `invalid host ${host}: expected unix:///path/to/socket`, { host });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Listens on a unix socket, mode 0660 (root and the socket's group, as dockerd does). */
export async function listenUnix(server: Server, path: string): Promise<void> {
  const existing = await lstat(path).catch(() => null);
  if (existing) {
    if (!existing.isSocket()) {
      throw new EngineError({ code: 'HOST_NOT_SOCKET', kind: 'conflict', message: `${path} exists and is not a socket`, data: { path } });
    }
    if (await answers(path)) {
      throw new EngineError({ code: 'HOST_IN_USE', kind: 'conflict', message: `another daemon is listening on ${path}`, data: { path } });
    }
    await rm(path, { force: true });
  }
  await mkdir(dirname(path), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // listen() creates the file with the umask's mode; tighten it at once.
  await chmod(path, 0o660);
}
