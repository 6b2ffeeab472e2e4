// Container lifecycle endpoints of chapter 3, in Docker Engine API shapes: start, stop, restart,
// kill, wait, logs and remove (with force). The traps are the docker CLI's (protocol reference
// §4.4, §8): wait's headers go out at once (`docker run` sends wait before start and blocks on
// them), `run -d` abandons its wait, and a failed start of an AutoRemove container must remove
// it or `wait?condition=removed` never answers. Attach is an upgrade: see attach.ts.
import { constants } from 'node:os';
import type { ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { HttpError, sendEmpty } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { EngineError, conflict } from '../../base/index.js';
import { formatLogEntry, readLog, type LogStream, type WaitCondition } from '../../namespaces/index.js';
import type { ContainerRecord } from '../../unionfs/index.js';
import type { Span } from '../../trace/index.js';
import { queryBool, queryInt } from '../http/query.js';


/** The stdcopy frame header: [stream, 0, 0, 0, length as uint32 big-endian]. */
export function stdcopyFrame(stream: LogStream | 'stdin', payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** `HUP`, `SIGHUP` or `1` as Node takes it; Docker answers 400 for anything else. */
export function parseSignal(text: string | null): NodeJS.Signals | number {
  if (!text) return 'SIGKILL';
  if (/^\d+$/.test(text)) return Number(text);
  const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new HttpError(400, `Invalid signal: ${text}`);
  return name;
}

// #region remove-container
/**
 * `docker rm [-f]`, and AutoRemove: a running container is killed first (with force), its
 * runtime state released (rootfs unmounted, log and state dir removed), then its snapshot and
 * record; `wait?condition=removed` wakes last.
 */
export async function removeContainer(a: { engine: DaemonEngine; ref: string; force: boolean; removeVolumes?: boolean; span?: Span }): Promise<void> {
  const { engine } = a;
  const c = await engine.containers.get(a.ref);
  if (c.State.Running) {
    if (!a.force) throw conflict('CONTAINER_RUNNING', `cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, { id: c.Id });
    const exited = engine.runtime.wait(c.Id, 'not-running');
    await engine.runtime.kill(c, 'SIGKILL').catch(ignoreNotRunning);
    await exited;
  }
  const stopped = await engine.containers.get(c.Id);
  await engine.runtime.remove(stopped);
  await engine.containers.remove({ container: c.Id, force: true, span: a.span });
  await engine.volumes.release({ containerId: c.Id, removeAnonymous: a.removeVolumes === true });
  engine.runtime.removed(stopped);
}
// #endregion remove-container

function ignoreNotRunning(err: unknown): void {
  if (!(err instanceof EngineError && err.code === 'CONTAINER_NOT_RUNNING')) throw err;
}

/** Starts a container; a failed start of an AutoRemove one removes it (dockerd does). */
export async function startContainer(engine: DaemonEngine, c: ContainerRecord, span?: Span): Promise<void> {
  try {
    await engine.runtime.start(c, span);
  } catch (err) {
    if (c.HostConfig['AutoRemove'] === true) await removeContainer({ engine, ref: c.Id, force: true }).catch(() => {});
    throw err;
  }
}

/** Docker's `since`/`until`: unix seconds, maybe with a fraction; anything else is a 400. */
function unixTime(v: string | null, name: string): Date | undefined {
  if (!v || v === '0') return undefined;
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(v)) throw new HttpError(400, `invalid value for ${name}: ${JSON.stringify(v.slice(0, 100))}: want unix seconds, e.g. 1700000000.5`);
  return new Date(Number(v) * 1000);
}

/** `tail`: `all` or a count of lines. */
function tailOf(v: string | null): number | undefined {
  if (!v || v === 'all') return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new HttpError(400, `invalid value for tail: ${JSON.stringify(v.slice(0, 100))}: want "all" or a number of lines`);
  return Number(v);
}

async function streamLogs(res: ServerResponse, c: ContainerRecord, engine: DaemonEngine, query: URLSearchParams): Promise<void> {
  const tail = tailOf(query.get('tail'));
  const [since, until] = [unixTime(query.get('since'), 'since'), unixTime(query.get('until'), 'until')];
  // Every parameter is read before the headers go: after them, a bad one could not be a 400.
  const [timestamps, follow, stdout, stderr] = ['timestamps', 'follow', 'stdout', 'stderr'].map((n) => queryBool(query, n));
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': c.Config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
  res.flushHeaders();
  const entries = readLog({
    path: engine.runtime.logPath(c.Id),
    // Following a container that is not running would wait for an exit that never comes.
    follow: follow! && c.State.Running,
    tail,
    since,
    until,
    stdout: stdout!,
    stderr: stderr!,
    signal: ac.signal,
  });
  for await (const e of entries) {
    const payload = formatLogEntry(e, { timestamps });
    res.write(c.Config.Tty ? payload : stdcopyFrame(e.stream, payload));
  }
  res.end();
}

export const containerLifecycleRoutes: Route<DaemonEngine>[] = [
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/start$/,
    handler: async ({ res, params, engine, span }) => {
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      if (c.State.Running) return sendEmpty(res, 304);
      await startContainer(engine, c, span);
      sendEmpty(res, 204);
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/stop$/,
    handler: async ({ res, params, query, engine }) => {
      const timeout = queryInt(query, 't', 10);
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      if (!c.State.Running) return sendEmpty(res, 304);
      await engine.runtime.stop(c, timeout);
      sendEmpty(res, 204);
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/restart$/,
    handler: async ({ res, params, query, engine, span }) => {
      const timeout = queryInt(query, 't', 10);
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      if (c.State.Running) await engine.runtime.stop(c, timeout);
      await startContainer(engine, await engine.containers.get(c.Id), span);
      sendEmpty(res, 204);
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/kill$/,
    handler: async ({ res, params, query, engine }) => {
      const signal = parseSignal(query.get('signal'));
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      try {
        if (!c.State.Running) throw conflict('CONTAINER_NOT_RUNNING', '', {});
        const exited = engine.runtime.wait(c.Id, 'not-running');
        await engine.runtime.kill(c, signal);
        // dockerd's Kill: after SIGKILL it answers once the container is down (or 2 s passed).
        if (signal === 'SIGKILL' || signal === 9) await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      } catch (err) {
        if (!(err instanceof EngineError && err.code === 'CONTAINER_NOT_RUNNING')) throw err;
        throw conflict('CONTAINER_NOT_RUNNING', `cannot kill container: ${params[0]}: container ${c.Id} is not running`, { id: c.Id });
      }
      sendEmpty(res, 204);
    },
  },
  {
    // `docker run -it` sends it after start, and again on each SIGWINCH of its terminal (200, no body).
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/resize$/,
    handler: async ({ res, params, query, engine }) => {
      const [rows, cols] = [Number(query.get('h') ?? 0), Number(query.get('w') ?? 0)];
      if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
        throw new HttpError(400, `invalid terminal size: h=${query.get('h')} w=${query.get('w')}`);
      }
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      if (!c.State.Running) throw conflict('CONTAINER_NOT_RUNNING', `Container ${c.Id} is not running`, { id: c.Id });
      if (c.Config.Tty) engine.runtime.resize(c, { rows, cols }); // dockerd ignores a resize of a non-TTY container too
      sendEmpty(res, 200);
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/wait$/,
    handler: async ({ res, params, query, engine }) => {
      const condition = (query.get('condition') || 'not-running') as WaitCondition;
      if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new HttpError(400, `invalid condition: "${condition}"`);
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      // The headers now: `docker run` waits for them before it sends start.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      const result = await engine.runtime.wait(c.Id, condition);
      res.end(JSON.stringify(result) + '\n');
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/logs$/,
    handler: async ({ res, params, query, engine }) => {
      const c = await engine.runtime.refresh(await engine.containers.get(params[0]!));
      if (!queryBool(query, 'stdout') && !queryBool(query, 'stderr')) throw new HttpError(400, 'Bad parameters: you must choose at least one stream');
      await streamLogs(res, c, engine, query);
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/containers\/([^/]+)$/,
    handler: async ({ res, params, query, engine, span }) => {
      await removeContainer({ engine, ref: params[0]!, force: queryBool(query, 'force'), removeVolumes: queryBool(query, 'v'), span });
      sendEmpty(res, 204);
    },
  },
];
