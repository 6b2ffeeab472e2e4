// `POST /containers/{id}/attach`, chapter 3: the endpoint that leaves HTTP (with exec start, exec.ts). Node hands a
// request with `Connection: Upgrade` to server.on('upgrade') with the raw socket; we answer
// `101 UPGRADED` by hand and the socket becomes a pipe (protocol reference §4.2):
//   out  the container's live log as stdcopy frames (raw bytes for a Tty container)
//   in   raw bytes for the container's stdin, written to the shim's FIFO — they may arrive
//        before `start` (`echo x | docker run -i`), so they are held until the container runs
// The client half-closes at once when it sends no stdin: that is not the end. The end is the
// container's exit — then we close, or `docker run` hangs for ever.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { join } from 'node:path';
import type { DaemonEngine } from '../engine.js';
import { HttpError, errorStatus } from '../http/respond.js';
import { splitVersion } from '../api-version.js';
import { decodeParam } from '../http/router.js';
import { formatLogEntry, openStdin, readLog } from '../../namespaces/index.js';
import type { ContainerRecord } from '../../unionfs/index.js';
import { stdcopyFrame } from './container-lifecycle.js';
import { EXEC_START, execUpgrade } from './exec.js';
import { queryBool } from '../http/query.js';

const ATTACH = /^\/containers\/([^/]+)\/attach$/;

/** The daemon's 'upgrade' listener. */
export function upgradeHandler(engine: DaemonEngine): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://dockling');
    const { path } = splitVersion(url.pathname);
    const m = ATTACH.exec(path);
    // Traced as any request is (the router's http.request), though it never reaches the router:
    // answered when the socket closes — 101 once it became a pipe, else the error's status.
    const span = engine.tracer.start('daemon', 'http.request', { method: req.method ?? 'GET', path, upgrade: true });
    socket.once('close', () => span.end({ status: 101 }));
    const refuse = (err: unknown) => {
      const { status, message } = errorStatus(err);
      span.event('http.error', { message });
      span.end({ status });
      rawError(socket, status, message);
    };
    socket.on('error', () => socket.destroy());
    const exec = EXEC_START.exec(path);
    // Decoded inside the promise: a malformed id is a 400 on this socket, not a throw out of an
    // event listener (which would take the whole daemon down).
    if (req.method === 'POST' && exec) {
      return void Promise.resolve().then(() => execUpgrade({ engine, id: decodeParam(exec[1]!), req, socket, head })).catch(refuse);
    }
    if (req.method !== 'POST' || !m) return refuse(new HttpError(404, 'page not found'));
    // The query is read before anything is written: a bad one is a 400, not a broken stream.
    Promise.resolve().then(() => engine.containers.get(decodeParam(m[1]!))).then((c) => engine.runtime.refresh(c))
      .then((c) => attach({ engine, c, socket, head, streams: attachStreams(url.searchParams) }))
      .catch(refuse);
  };
}

function rawError(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message }) + '\n';
  socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

// #region attach
/** Which streams an attach asked for: `?stdin=1&stdout=1&stderr=1`. */
function attachStreams(query: URLSearchParams): { stdin: boolean; stdout: boolean; stderr: boolean } {
  return { stdin: queryBool(query, 'stdin'), stdout: queryBool(query, 'stdout'), stderr: queryBool(query, 'stderr') };
}

function attach(a: { engine: DaemonEngine; c: ContainerRecord; socket: Duplex; head: Buffer; streams: { stdin: boolean; stdout: boolean; stderr: boolean } }): void {
  const { engine, c, socket, streams } = a;
  const tty = c.Config.Tty;
  socket.write(
    'HTTP/1.1 101 UPGRADED\r\n' +
      `Content-Type: application/vnd.docker.${tty ? 'raw-stream' : 'multiplexed-stream'}\r\n` +
      'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
  );
  const ac = new AbortController();
  socket.on('close', () => ac.abort());
  const since = new Date();
  // 1. stdin: held until the container runs, then written to the shim's FIFO
  if (streams.stdin && c.Config.OpenStdin) pipeStdin({ engine, c, socket, head: a.head, signal: ac.signal });
  // 2. output: the log from now on (from the start of this run when it has not started yet)
  const output = (async () => {
    if (!c.State.Running) await untilStarted(engine, c.Id, ac.signal);
    const entries = readLog({ path: engine.runtime.logPath(c.Id), follow: true, since, stdout: streams.stdout, stderr: streams.stderr, signal: ac.signal });
    for await (const e of entries) {
      const payload = formatLogEntry(e);
      socket.write(tty ? payload : stdcopyFrame(e.stream, payload));
    }
  })();
  // 3. the end: the container exited and its log is drained — close, the client waits for it
  const done = output.catch(() => undefined).then(() => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  engine.runtime.reading(c.Id, done);
}
// #endregion attach

/** Resolves when the container starts; rejects (ending the attach) if it is removed first or the client leaves. */
function untilStarted(engine: DaemonEngine, id: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = engine.runtime.on((e) => {
      if (e.id !== id) return;
      if (e.action === 'start') {
        off();
        resolve();
      } else if (e.action === 'remove') {
        off();
        reject(new Error('removed'));
      }
    });
    signal.addEventListener('abort', () => {
      off();
      reject(new Error('client gone'));
    });
  });
}

function pipeStdin(a: { engine: DaemonEngine; c: ContainerRecord; socket: Duplex; head: Buffer; signal: AbortSignal }): void {
  const held: Buffer[] = a.head.length ? [a.head] : [];
  let ended = false;
  let fifo: Writable | undefined;
  const stateDir = join(a.engine.runtime.logPath(a.c.Id), '..');
  a.socket.on('data', (b: Buffer) => (fifo ? fifo.write(b) : held.push(b)));
  a.socket.on('end', () => {
    ended = true;
    // StdinOnce: the container's stdin closes with the client's.
    if (fifo && a.c.Config.StdinOnce) fifo.end();
  });
  const open = () => {
    try {
      fifo = openStdin(stateDir);
    } catch {
      return; // exited already, or no stdin: the bytes have nowhere to go
    }
    fifo.on('error', () => undefined);
    for (const b of held.splice(0)) fifo.write(b);
    if (ended && a.c.Config.StdinOnce) fifo.end();
  };
  if (a.c.State.Running) open();
  else untilStarted(a.engine, a.c.Id, a.signal).then(open, () => undefined);
}
