// `docker exec` over the Engine API, chapter 3 (protocol reference §5.5): create an exec
// instance, start it — hijacked like attach (§4.2): `101 UPGRADED`, stdcopy frames out, raw
// stdin in — and report it. Unlike a container's output, an exec's goes straight to the client
// that started it, never to the container's log: the daemon spawns the process itself and frames
// its pipes. The connection closes when the process has exited; the CLI then reads the exit code
// from `GET /exec/{id}/json`. With "Tty": true the process has a terminal: its output is one
// raw stream (no frames: a terminal has no stderr), and `POST /exec/{id}/resize` sizes it.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import type { Route } from '../http/router.js';
import { HttpError, readBody, sendEmpty, sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import type { ExecInstance } from '../execs.js';
import type { ExecProcess, TerminalSize } from '../../namespaces/index.js';
import type { Span } from '../../trace/index.js';
import { stdcopyFrame } from './container-lifecycle.js';
import { EXEC_CREATE_SHAPE, checkShape } from '../http/body-shape.js';

export const EXEC_START = /^\/exec\/([^/]+)\/start$/;

/** Docker's ConsoleSize: [height, width]; null, absent or [0, 0] when the client has no terminal. */
type ConsoleSize = [number, number] | null;

interface ExecCreateBody {
  Cmd?: string[] | null; Env?: string[] | null; User?: string; WorkingDir?: string; Tty?: boolean;
  AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean; Privileged?: boolean;
  ConsoleSize?: ConsoleSize;
}

/** ExecStartCheck: Tty is the create's already (dockerd ignores this one); ConsoleSize wins. */
interface ExecStartBody {
  Detach?: boolean; Tty?: boolean; ConsoleSize?: ConsoleSize;
}

function parseJSON<T>(body: Buffer): T {
  try {
    return (body.length ? JSON.parse(body.toString('utf8')) : {}) as T;
  } catch {
    throw new HttpError(400, 'invalid JSON body');
  }
}

/** A body's ConsoleSize as a size, or undefined when it has none. */
function sizeOf(consoleSize: ConsoleSize | undefined): TerminalSize | undefined {
  if (!Array.isArray(consoleSize) || consoleSize.length !== 2) return undefined;
  const [rows, cols] = consoleSize.map(Number) as [number, number];
  return checkSize(rows, cols);
}

/** A size the kernel's struct winsize can hold (two unsigned shorts), or 400. */
function checkSize(rows: number, cols: number): TerminalSize {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
    throw new HttpError(400, `invalid terminal size: h=${rows} w=${cols}`);
  }
  return { rows, cols };
}

/** The stream's media type: frames for pipes, raw bytes for a terminal. */
const streamType = (tty: boolean) => `application/vnd.docker.${tty ? 'raw-stream' : 'multiplexed-stream'}`;

// #region exec-output
/**
 * The exec's output on `out` — stdcopy frames for stdout and stderr, or with a terminal its
 * bytes as they come (stderr then only carries what failed before the terminal existed) —
 * and `end` once the process has exited.
 */
function pipeOutput(p: ExecProcess, out: Writable, tty: boolean, end: () => void): void {
  p.stdout.on('data', (b: Buffer) => out.write(tty ? b : stdcopyFrame('stdout', b)));
  p.stderr.on('data', (b: Buffer) => out.write(tty ? b : stdcopyFrame('stderr', b)));
  void p.exited.then(end);
}
// #endregion exec-output

/** Background exec (`exec -d`, Detach:true): the output is read and dropped. */
function detach(p: ExecProcess): void {
  p.stdout.resume();
  p.stderr.resume();
  p.stdin?.end();
}

/**
 * The exec, and how to start it: with the start's ConsoleSize when it has one, else the create's.
 * `span`: the request's, when it has one (a hijacked start has none: the exec traces itself).
 */
async function startFor(engine: DaemonEngine, id: string, body: ExecStartBody, span?: Span): Promise<{ x: ExecInstance; start: () => Promise<ExecProcess> }> {
  const x = engine.execs.get(id);
  const c = await engine.runtime.refresh(await engine.containers.get(x.containerId));
  const size = sizeOf(body.ConsoleSize);
  return {
    x,
    start: () => {
      if (size && !x.started) engine.execs.resize(x, size);
      return engine.execs.start(x, c, span);
    },
  };
}

export const execRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/exec$/,
    handler: async ({ req, res, params, engine }) => {
      const body = parseJSON<ExecCreateBody>(await readBody(req));
      checkShape(body, EXEC_CREATE_SHAPE, 'exec create request');
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      const x = engine.execs.create(c, {
        config: { cmd: body.Cmd ?? [], env: body.Env ?? [], user: body.User || undefined, workingDir: body.WorkingDir || undefined },
        attachStdin: body.AttachStdin === true, attachStdout: body.AttachStdout !== false, attachStderr: body.AttachStderr !== false, tty: body.Tty === true,
        size: body.Tty === true ? sizeOf(body.ConsoleSize) : undefined,
      });
      sendJSON(res, 201, { Id: x.id });
    },
  },
  {
    // Without an upgrade: Detach:true runs in the background (`exec -d`); otherwise the output
    // is the response body, framed the same way.
    method: 'POST',
    pattern: EXEC_START,
    handler: async ({ req, res, params, engine, span }) => {
      const body = parseJSON<ExecStartBody>(await readBody(req));
      const { x, start } = await startFor(engine, params[0]!, body, span);
      const p = await start();
      if (body.Detach) {
        detach(p);
        return sendEmpty(res, 200);
      }
      p.stdin?.end();
      res.writeHead(200, { 'Content-Type': streamType(x.tty) });
      pipeOutput(p, res, x.tty, () => res.end());
    },
  },
  {
    method: 'GET',
    pattern: /^\/exec\/([^/]+)\/json$/,
    handler: ({ res, params, engine }) => sendJSON(res, 200, engine.execs.view(engine.execs.get(params[0]!))),
  },
  {
    // `docker exec -it` sends it after start and on each SIGWINCH of its terminal (200, no body).
    method: 'POST',
    pattern: /^\/exec\/([^/]+)\/resize$/,
    handler: ({ res, params, query, engine }) => {
      const size = checkSize(Number(query.get('h') ?? 0), Number(query.get('w') ?? 0));
      engine.execs.resize(engine.execs.get(params[0]!), size);
      sendEmpty(res, 200);
    },
  },
];

// #region exec-start
/**
 * `POST /exec/{id}/start` with `Connection: Upgrade` (from the daemon's 'upgrade' listener).
 * The JSON body is the first Content-Length bytes after the headers (in `head`, then the
 * socket); whatever follows is stdin. The client may have sent it all, FIN included, before we
 * look: the socket is read from the first moment and its bytes held.
 */
export async function execUpgrade(a: { engine: DaemonEngine; id: string; req: IncomingMessage; socket: Duplex; head: Buffer }): Promise<void> {
  const { socket } = a;
  const input = holdInput(socket, a.head);
  const body = parseJSON<ExecStartBody>(await input.take(Number(a.req.headers['content-length'] ?? 0)));
  const { x, start } = await startFor(a.engine, a.id, body);
  const p = await start();
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${streamType(x.tty)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  const detached = body.Detach === true;
  if (detached) {
    detach(p);
    return void socket.end();
  }
  // stdin: raw bytes until the client half-closes (not the end of the exec: its exit is)
  if (x.attachStdin && p.stdin) {
    p.stdin.on('error', () => undefined);
    input.pipe(p.stdin);
  }
  pipeOutput(p, socket, x.tty, () => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
// #endregion exec-start

/** Everything the client sends, held from the start: the body first (`take`), then stdin (`pipe`). */
function holdInput(socket: Duplex, head: Buffer): { take(length: number): Promise<Buffer>; pipe(to: Writable): void } {
  let held = head;
  let ended = false;
  let sink: Writable | undefined;
  let wanted: { length: number; resolve: (b: Buffer) => void } | undefined;
  const check = () => {
    if (!wanted || (held.length < wanted.length && !ended)) return;
    const { length, resolve } = wanted;
    wanted = undefined;
    resolve(held.subarray(0, length));
    held = held.subarray(length);
  };
  socket.on('data', (b: Buffer) => {
    if (sink) return void sink.write(b);
    held = Buffer.concat([held, b]);
    check();
  });
  socket.on('end', () => {
    ended = true;
    sink?.end();
    check();
  });
  return {
    take: (length) => new Promise((resolve) => {
      wanted = { length, resolve };
      check();
    }),
    pipe(to) {
      sink = to;
      if (held.length) to.write(held);
      held = Buffer.alloc(0);
      if (ended) to.end();
    },
  };
}
