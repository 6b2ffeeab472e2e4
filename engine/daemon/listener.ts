// How the daemon opens what listen-plan.ts decided: a unix socket file, or a TCP port. A socket
// file left behind by a crashed daemon is removed before listening — but only after checking
// that nothing answers on it, so a running daemon is never silently stolen from. Or a socket
// systemd made and passed (fd://).
import { createConnection } from 'node:net';
import type { Server } from 'node:net';
import { chmod, chown, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EngineError } from '../base/index.js';

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

/**
 * Listens on a unix socket, mode 0660 (root and the socket's group, as dockerd does). With
 * `gid` (--group), the file's group is that group, so its members need no sudo.
 */
export async function listenUnix(server: Server, path: string, gid?: number): Promise<void> {
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
  if (gid !== undefined) await chown(path, 0, gid);
}

/** Listens on ADDRESS:PORT (TLS or not is the server's business: https.Server is a net.Server). */
export async function listenTcp(server: Server, address: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    if (err.code === 'EADDRINUSE') throw new EngineError({ code: 'HOST_IN_USE', kind: 'conflict', message: `something already listens on ${where}`, data: { address, port } });
    if (err.code === 'EADDRNOTAVAIL') throw new EngineError({ code: 'HOST_NO_ADDRESS', kind: 'invalid-argument', message: `${where}: no network interface of this machine has that address`, data: { address, port } });
    throw err;
  });
}

/**
 * Listens on a socket systemd opened and passed as descriptor `fd` (fd://). It is already
 * bound and listening, with the owner, group and mode the socket unit gave it: nothing to
 * chmod, and nothing to remove at stop — the socket unit keeps it, and queues the connections
 * that arrive while no daemon runs.
 */
export async function listenFd(server: Server, fd: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
