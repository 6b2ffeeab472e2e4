// The daemon's exec instances, chapter 3 (`docker exec`): `POST /containers/{id}/exec` makes
// one (a config and an id, nothing runs), `POST /exec/{id}/start` runs it once, `GET
// /exec/{id}/json` reports it — its ExitCode becomes the docker CLI's exit code. In memory, as
// dockerd keeps them: they are forgotten with their container (or when the daemon stops).
// An exec with Tty has a terminal whose size `POST /exec/{id}/resize` changes while it runs.
import { randomBytes } from 'node:crypto';
import { EngineError, conflict } from '../base/index.js';
import { startExec, type ExecConfig, type ExecProcess, type Runtime, type TerminalSize } from '../namespaces/index.js';
import type { ContainerRecord } from '../unionfs/index.js';
import type { Span, Tracer } from '../trace/index.js';

/** One exec: what was asked, and what happened (Docker's ExecInspect, less what it cannot know). */
export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  tty: boolean;
  /** The terminal's size: ConsoleSize at create or start, then each resize. */
  size?: TerminalSize;
  running: boolean;
  /** null until it has exited. */
  exitCode: number | null;
  pid: number;
  started: boolean;
}

export class Execs {
  private readonly all = new Map<string, ExecInstance>();
  /** The running ones' processes, for resize. */
  private readonly processes = new Map<string, ExecProcess>();

  /** `tracer`: each exec is traced as container.exec (its pids, its exit) even when no request span is given. */
  constructor(private readonly runtime: Runtime, private readonly tracer?: Tracer) {
    runtime.on((e) => {
      if (e.action !== 'remove') return;
      for (const [id, x] of this.all) if (x.containerId === e.id) this.all.delete(id);
    });
  }

  /** Makes an exec in a running container; refuses a stopped one (409) and a paused one, as dockerd. */
  create(c: ContainerRecord, x: Omit<ExecInstance, 'id' | 'containerId' | 'running' | 'exitCode' | 'pid' | 'started'>): ExecInstance {
    if (!c.State.Running) throw conflict('CONTAINER_NOT_RUNNING', `container ${c.Id} is not running`, { id: c.Id });
    if (c.State.Paused) throw conflict('CONTAINER_PAUSED', `Container ${c.Id} is paused, unpause the container before exec`, { id: c.Id });
    if (x.config.cmd.length === 0) throw new EngineError({ code: 'EXEC_NO_COMMAND', kind: 'invalid-argument', message: 'No exec command specified', data: {} });
    const instance: ExecInstance = { ...x, id: randomBytes(32).toString('hex'), containerId: c.Id, running: false, exitCode: null, pid: 0, started: false };
    this.all.set(instance.id, instance);
    return instance;
  }

  get(id: string): ExecInstance {
    const x = this.all.get(id);
    if (!x) throw new EngineError({ code: 'EXEC_NOT_FOUND', kind: 'not-found', message: `No such exec instance: ${id}`, data: { id } });
    return x;
  }

  /** Runs the exec once; its exit code is recorded when the process (and its output) ends. */
  async start(x: ExecInstance, c: ContainerRecord, span?: Span): Promise<ExecProcess> {
    if (x.started) throw conflict('EXEC_ALREADY_STARTED', `Error: Exec command ${x.id} has already run`, { id: x.id });
    if (c.State.Paused) throw conflict('CONTAINER_PAUSED', `Container ${c.Id} is paused, unpause the container before exec`, { id: c.Id });
    const target = await this.runtime.target(c);
    x.started = true;
    const tty = x.tty ? (x.size ?? { rows: 0, cols: 0 }) : undefined;
    const p = await startExec({ bundle: target.bundle, pid: target.pid, cgroup: target.cgroup, config: x.config, stdin: x.attachStdin, tty, span, tracer: this.tracer, id: c.Id });
    Object.assign(x, { running: true, pid: p.pid });
    this.processes.set(x.id, p);
    void p.exited.then((code) => {
      this.processes.delete(x.id);
      Object.assign(x, { running: false, exitCode: code });
    });
    return p;
  }

  /**
   * `POST /exec/{id}/resize`: the size is kept (one sent before start is the size to start
   * with) and given to the running terminal. Without a terminal there is nothing to size.
   */
  resize(x: ExecInstance, size: TerminalSize): void {
    if (!x.tty) return;
    x.size = size;
    this.processes.get(x.id)?.resize(size);
  }

  /** Docker's ExecInspect JSON. */
  view(x: ExecInstance): Record<string, unknown> {
    const [entrypoint, ...args] = x.config.cmd;
    return {
      ID: x.id, Running: x.running, ExitCode: x.exitCode,
      ProcessConfig: { tty: x.tty, entrypoint, arguments: args, privileged: false, user: x.config.user ?? '' },
      OpenStdin: x.attachStdin, OpenStderr: x.attachStderr, OpenStdout: x.attachStdout, CanRemove: false,
      ContainerID: x.containerId, DetachKeys: '', Pid: x.pid,
    };
  }
}
