// The client's half of an attached container (chapter 3): the hijacked socket carries stdcopy
// frames — an 8-byte header [stream, 0, 0, 0, length BE] then the bytes — which this module
// splits onto our stdout and stderr; our stdin goes the other way as raw bytes. `run` and
// `start -a` use it in the docker CLI's order: attach, wait (headers only), start, then read.
import type { Socket } from 'node:net';
import type { ApiClient } from './client.js';
import { DaemonError } from './errors.js';

/** Splits stdcopy frames from `socket` onto `stdout`/`stderr`; resolves at the socket's end. */
export function demux(socket: Socket, out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, raw = false): Promise<void> {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (raw) return void out.stdout.write(chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const len = pending.readUInt32BE(4);
      if (pending.length < 8 + len) break;
      const payload = pending.subarray(8, 8 + len);
      (pending[0] === 2 ? out.stderr : out.stdout).write(payload);
      pending = pending.subarray(8 + len);
    }
  });
  return new Promise((resolve) => {
    socket.on('end', () => resolve());
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

/** Docker's exit code for a failed start: 127 not found, 126 not executable, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 125;
}

export interface AttachedRun {
  /** Resolves with the container's exit code (the wait's StatusCode) once output has ended. */
  exitCode: Promise<number>;
}

// #region attach-and-start
/**
 * attach → wait (its headers must arrive before start, or dockerd-compatible daemons could
 * deadlock us) → start. A failed start throws the daemon's error; the caller maps its text.
 */
export async function attachAndStart(a: {
  client: ApiClient; id: string; stdin?: NodeJS.ReadableStream; tty: boolean; condition: 'next-exit' | 'removed';
  stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; start: boolean;
  /** Called once the container runs: a TTY's first resize goes here (protocol reference §5.4). */
  started?: () => Promise<void>;
}): Promise<AttachedRun> {
  const id = encodeURIComponent(a.id);
  const socket = await a.client.hijack(`/containers/${id}/attach`, { query: { stream: true, stdin: a.stdin !== undefined, stdout: true, stderr: true } });
  if (a.stdin) {
    a.stdin.on('data', (b: Buffer) => socket.write(b));
    a.stdin.on('end', () => socket.end());
  } else {
    socket.end(); // no stdin: half-close at once, as the docker CLI does
  }
  const output = demux(socket, a, a.tty);
  const wait = await a.client.ok('POST', `/containers/${id}/wait`, { query: { condition: a.condition } });
  const body = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of wait) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { StatusCode?: number; Error?: { Message?: string } | null };
  })();
  if (a.start) {
    try {
      await a.client.ok('POST', `/containers/${id}/start`).then((r) => r.resume());
    } catch (err) {
      socket.destroy();
      wait.destroy();
      throw err;
    }
  }
  await a.started?.();
  const exitCode = (async () => {
    const [result] = await Promise.all([body, output]);
    if (result.Error?.Message) throw new DaemonError(500, `Error waiting for container: ${result.Error.Message}`);
    return result.StatusCode ?? 0;
  })();
  return { exitCode };
}
// #endregion attach-and-start
