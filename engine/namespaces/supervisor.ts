// The daemon's registry of supervised containers (chapter 3). Each container has a state
// directory <root>/<id>/ where its dockling-shim writes facts (pid, log, exit) and where this
// class keeps state.json, the lifecycle record. The daemon holds no container as a child: it
// can die and a new Supervisor adopt()s what it finds — running, or exited meanwhile with the
// code the shim wrote down. Signals go straight to the container's pid; the shim forwards none.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, KeyedMutex, conflict, invalid, notFound } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import { createdState, readState, writeState, type ContainerState } from './container-state.js';
import { isAlive, readExit, readShimStart, startShim, waitExit, type ExitRecord, type TerminalSize } from './shim.js';

export type SupervisorAction = 'start' | 'die' | 'kill' | 'adopt' | 'remove';

/** What the daemon's /events will carry (Docker's container events: start, die, kill, destroy). */
export interface SupervisorEvent {
  action: SupervisorAction;
  id: string;
  time: string;
  pid?: number;
  exitCode?: number;
  signal?: string | number;
}

/** `docker wait --condition`: not-running (now or at the next exit), next-exit, removed. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface SupervisorStartOptions {
  stdin?: boolean;
  tty?: TerminalSize;
  /** The command reports on fd 3 whether it started (see startShim). */
  ready?: boolean;
  /** Unmounted by the shim once the container has exited. */
  unmountAtExit?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  span?: Span;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (state: ContainerState) => void;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class Supervisor {
  private readonly root: string;
  private readonly tracer: Tracer;
  private readonly watches = new Map<string, AbortController>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly listeners = new Set<(e: SupervisorEvent) => void>();
  private readonly lock = new KeyedMutex();

  constructor(opts: { root: string; tracer: Tracer }) {
    this.root = opts.root;
    this.tracer = opts.tracer;
  }

  /** The container's state directory: the shim's files and state.json. */
  dir(id: string): string {
    if (!ID.test(id)) throw invalid('CONTAINER_ID_INVALID', `container id ${JSON.stringify(id)} is not a valid name`, { id });
    return join(this.root, id);
  }

  /** Subscribes to events; returns the unsubscribe. */
  on(listener: (e: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // #region start
  /** Starts `argv` under a new shim and records the container as running. */
  async start(id: string, argv: string[], opts: SupervisorStartOptions = {}): Promise<ContainerState & { notStarted?: string }> {
    const dir = this.dir(id);
    return this.lock.run(id, async () => {
      const before = (await readState(dir)) ?? createdState(id);
      if (before.status === 'running') throw conflict('CONTAINER_RUNNING', `container ${id} is already running (pid ${before.pid})`, { id, pid: before.pid });
      const span = this.tracer.start('namespaces', 'process.start', { id, argv }, opts.span?.id ?? null);
      try {
        await mkdir(dir, { recursive: true });
        const s = await startShim({ stateDir: dir, argv, stdin: opts.stdin, tty: opts.tty, ready: opts.ready, unmountAtExit: opts.unmountAtExit, env: opts.env, cwd: opts.cwd, span });
        const state: ContainerState = {
          ...before, status: 'running', pid: s.pid, shimPid: s.shimPid, startTime: s.pidStart, shimStartTime: s.shimStart,
          startedAt: new Date().toISOString(), finishedAt: '', exitCode: 0, exitSignal: 0, error: undefined,
        };
        await writeState(dir, state);
        span.end({ pid: s.pid, shimPid: s.shimPid });
        this.emit({ action: 'start', id, pid: s.pid });
        this.watch(state);
        return s.notStarted ? { ...state, notStarted: s.notStarted } : state;
      } catch (err) {
        span.fail(err);
        throw err;
      }
    });
  }
  // #endregion start

  // #region adopt
  /**
   * On daemon start: every state directory under the root, reconciled with what the shims
   * wrote while no daemon was looking. Exit file present → exited with its code; shim alive →
   * running (and watched again); shim gone without an exit file → exited 255, 'supervisor died'.
   */
  async adopt(): Promise<ContainerState[]> {
    const span = this.tracer.start('namespaces', 'supervisor.adopt', { root: this.root });
    const names = await readdir(this.root).catch(() => [] as string[]);
    const adopted: ContainerState[] = [];
    const counts = { running: 0, exited: 0, lost: 0 };
    for (const id of names.filter((n) => ID.test(n))) {
      const state = await this.lock.run(id, () => this.reconcile(id));
      if (!state) continue;
      adopted.push(state);
      if (state.status === 'running') counts.running++;
      else if (state.error === 'supervisor died') counts.lost++;
      else counts.exited++;
    }
    span.end({ containers: adopted.length, ...counts });
    return adopted;
  }

  private async reconcile(id: string): Promise<ContainerState | undefined> {
    const dir = join(this.root, id);
    let state = await readState(dir);
    if (!state) return undefined;
    if (this.watches.has(id)) return state;
    // A daemon killed between "shim started" and "state written" leaves start.json newer than state.json.
    const start = await readShimStart(dir);
    const unrecorded = start !== undefined && start.shimPid !== state.shimPid;
    if (!unrecorded && state.status !== 'running') return state;
    if (unrecorded) {
      state = { ...state, status: 'running', pid: start.pid, shimPid: start.shimPid, startTime: start.pidStart, shimStartTime: start.shimStart };
    }
    const exit = await readExit(dir);
    if (exit) state = await this.recordExit(state, exit, state.status === 'running');
    else if (state.status === 'running' && !isAlive(state.shimPid, state.shimStartTime)) {
      state = await this.recordExit(state, lostExit(), true);
    } else if (state.status === 'running') {
      this.watch(state);
    }
    this.emit({ action: 'adopt', id, pid: state.pid, exitCode: state.status === 'exited' ? state.exitCode : undefined });
    return state;
  }
  // #endregion adopt

  async inspect(id: string): Promise<ContainerState> {
    const state = await readState(this.dir(id));
    if (!state) throw notFound('CONTAINER_NOT_FOUND', `no such container: ${id}`, { id });
    return state;
  }

  async list(): Promise<ContainerState[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const states = await Promise.all(names.filter((n) => ID.test(n)).map((n) => readState(join(this.root, n))));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  /**
   * Sends `signal` to the container's process. The start time guards against pid reuse: a
   * container that exited long ago must not have its number's new owner killed.
   */
  async kill(id: string, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    const state = await this.inspect(id);
    if (state.status !== 'running' || !isAlive(state.pid, state.startTime)) {
      throw conflict('CONTAINER_NOT_RUNNING', `container ${id} is not running`, { id, status: state.status });
    }
    try {
      process.kill(state.pid, signal);
    } catch (err) {
      // It exited between the check and the signal: the same answer as above.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      throw conflict('CONTAINER_NOT_RUNNING', `container ${id} is not running`, { id, status: 'exited' });
    }
    this.tracer.start('namespaces', 'process.signal', { id, pid: state.pid, signal }).end();
    this.emit({ action: 'kill', id, pid: state.pid, signal });
  }

  // #region stop
  /** `docker stop`: SIGTERM, then SIGKILL after `timeoutSec`; resolves once it has exited. */
  async stop(id: string, timeoutSec = 10): Promise<ContainerState> {
    const state = await this.inspect(id);
    if (state.status !== 'running') return state;
    const exited = this.wait(id, 'not-running');
    await this.kill(id, 'SIGTERM').catch(ignoreNotRunning);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutSec * 1000)));
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    await this.kill(id, 'SIGKILL').catch(ignoreNotRunning);
    return exited;
  }
  // #endregion stop

  /**
   * Resolves with the container's state when `condition` holds. The waiter is registered
   * *before* state.json is read: looking first loses an exit recorded during the read (the
   * waiter would join after that exit's settle and wait for ever — issue 4, an `attach` whose
   * last request, sent as the container exits, never returned). Registered first, it is either
   * settled by that exit or the read sees it.
   */
  wait(id: string, condition: WaitCondition = 'not-running'): Promise<ContainerState> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { condition, resolve };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
      const forget = () => {
        const rest = (this.waiters.get(id) ?? []).filter((w) => w !== waiter);
        if (rest.length) this.waiters.set(id, rest);
        else this.waiters.delete(id);
      };
      this.inspect(id).then((state) => {
        if (condition !== 'not-running' || state.status === 'running') return;
        forget();
        resolve(state);
      }, (err: unknown) => {
        forget();
        reject(err);
      });
    });
  }

  /** Forgets an exited container: its state directory (log included) is removed. */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    await this.lock.run(id, async () => {
      const state = await this.inspect(id);
      if (state.status === 'running') throw conflict('CONTAINER_RUNNING', `container ${id} is running: stop it first`, { id, pid: state.pid });
      await rm(dir, { recursive: true, force: true });
      this.emit({ action: 'remove', id });
      this.settle(id, state, ['removed']);
    });
  }

  /** Stops watching (daemon shutdown). The containers keep running, their shims keep logging. */
  close(): void {
    for (const ac of this.watches.values()) ac.abort();
    this.watches.clear();
  }

  private watch(state: ContainerState): void {
    const ac = new AbortController();
    this.watches.set(state.id, ac);
    const dir = join(this.root, state.id);
    waitExit({ stateDir: dir, shimPid: state.shimPid, shimStart: state.shimStartTime, signal: ac.signal })
      .then((exit) => this.lock.run(state.id, async () => {
        this.watches.delete(state.id);
        const current = (await readState(dir)) ?? state;
        await this.recordExit(current, exit, true);
      }))
      .catch((err: unknown) => {
        if (!ac.signal.aborted) this.tracer.start('namespaces', 'supervisor.watch').fail(err, { id: state.id });
      });
  }

  // #region record-exit
  /** Folds an exit into state.json; `announce` traces process.exit, emits die, wakes waiters. */
  private async recordExit(state: ContainerState, exit: ExitRecord, announce: boolean): Promise<ContainerState> {
    const next: ContainerState = {
      ...state, status: 'exited', exitCode: exit.code, exitSignal: exit.signal, finishedAt: exit.finishedAt,
      ...(exit.error ? { error: exit.error } : {}),
    };
    await writeState(join(this.root, state.id), next);
    if (announce) {
      const facts = { id: state.id, pid: state.pid, code: exit.code, signal: exit.signal, ...(exit.error ? { error: exit.error } : {}) };
      this.tracer.start('namespaces', 'process.exit', facts).end(facts);
      this.emit({ action: 'die', id: state.id, pid: state.pid, exitCode: exit.code });
      this.settle(state.id, next, ['not-running', 'next-exit']);
    }
    return next;
  }
  // #endregion record-exit

  private settle(id: string, state: ContainerState, conditions: WaitCondition[]): void {
    const list = this.waiters.get(id) ?? [];
    const [now, later] = [list.filter((w) => conditions.includes(w.condition)), list.filter((w) => !conditions.includes(w.condition))];
    if (later.length) this.waiters.set(id, later);
    else this.waiters.delete(id);
    for (const w of now) w.resolve(state);
  }

  private emit(e: Omit<SupervisorEvent, 'time'>): void {
    const event: SupervisorEvent = { ...e, time: new Date().toISOString() };
    for (const listener of this.listeners) listener(event);
  }
}

/** The end we record when the shim vanished without writing one: we cannot know the code. */
function lostExit(): ExitRecord {
  return { code: 255, signal: 0, oomKilled: false, finishedAt: new Date().toISOString(), error: 'supervisor died' };
}

function ignoreNotRunning(err: unknown): void {
  if (!(err instanceof EngineError && err.code === 'CONTAINER_NOT_RUNNING')) throw err;
}
