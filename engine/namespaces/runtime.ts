// The runtime, chapter 3's last piece: what `docker start` does with a container record made
// by `create`. Every earlier module of the chapter is one step of the recipe below; this file
// only puts them in order, registers each acquisition for release, and folds the exit back into
// the record (ExitCode, OOMKilled, FinishedAt) once the shim reports it.
//
//   start  1 rootfs  2 user  3 network  4 cgroup  5 bundle  6 ports  7 process (shim)  8 traced
//   exit   usage traced, ports closed, cgroup removed, network disconnected, rootfs unmounted, record updated
//
// (Over 500 lines: start, exit, adopt — with the undoing of a start a killed daemon left —, wait,
// pause and the signals share the live-state table, the waiters and one release of what a start
// acquired, and are read together; what /proc says about pid 1 and the root is container-root.ts.)
//
// The rootfs is the engine's own mount in the host's mount namespace (containerd does the
// same): the runtime's recipe then bind-mounts it onto itself inside the container's namespace.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, conflict, writeFileAtomic } from '../base/index.js';
import type { ImageConfig } from '../layers/index.js';
import type { Span, Tracer } from '../trace/index.js';
import { mountPlan, type ContainerRecord, type ContainerState as DockerState, type ContainerStore, type Snapshotter } from '../unionfs/index.js';
import { cgroupName, planCgroup, type CgroupPlan, type DetectedCgroups } from './cgroup-plan.js';
import { limitsOf, networkName, portBindings } from './host-config.js';
import { applyCgroup, detectCgroups, freezeCgroup, oomKilled, removeCgroup } from './cgroups.js';
import { connectContainer, disconnectContainer, releaseUnusedBridges } from './network-connect.js';
import type { NetworkStore } from './networks.js';
import { publishPorts, type PublishedPorts } from './port-proxy.js';
import { initCommand } from './recipe.js';
import { ociCgroupName, ociDelete, ociKill, ociRunArgv, ociRuntime, ociSpec, ociWaitStarted, runtimeOf, type OciRuntime } from './oci-runtime.js';
import { findInitHelper } from './init-helper.js';
import { traceInit, traceUsage } from './container-facts.js';
import { lookupCommand } from './lookup-command.js';
import { boundingCapabilities, resolveUser, specFromContainer, writeBundle } from './spec.js';
import { hostDevices as listHostDevices } from './host-devices.js';
import { readExit, resizeTerminal } from './shim.js';
import { containerInit, settledInit, unmountRoot } from './container-root.js';
import type { Supervisor, SupervisorEvent, WaitCondition } from './supervisor.js';
import type { SpecMount } from './types.js';

/** What the runtime knows about a started container beyond its record (in memory, rebuilt on adopt). */
interface Live {
  /** The container's cgroup: made by dockling, or under runc/crun a description of the one they make. */
  cgroup: CgroupPlan;
  /** `--runtime runc|crun`: the runtime that owns the container's process, for kill and delete. */
  oci?: OciRuntime;
  ports?: PublishedPorts;
}

/** The address and ports `inspect` and `ps` show. */
export interface ContainerNetwork {
  network: string;
  ip?: string;
  gateway?: string;
  mac?: string;
  ports: Array<{ hostIp: string; hostPort: number; containerPort: number; proto: 'tcp' | 'udp' }>;
}

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (r: WaitResult) => void;
}


/** In a container's directory while a start is under way (see startSteps and adopt). */
const STARTING = 'starting';

export class Runtime {
  private readonly live = new Map<string, Live>();
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly exitListeners = new Set<(record: ContainerRecord) => void>();
  private readonly readers = new Map<string, Set<Promise<unknown>>>();
  private detected?: Promise<DetectedCgroups>;

  constructor(private readonly deps: {
    supervisor: Supervisor; store: ContainerStore; snapshotter: Snapshotter; networks: NetworkStore;
    imageConfig: (record: ContainerRecord) => Promise<ImageConfig>; tracer: Tracer;
    /** Volumes, binds and tmpfs asked for at create, as spec mounts (the daemon's mountsFor). */
    mounts?: (record: ContainerRecord) => Promise<SpecMount[]>;
    /** runc's and crun's --root: their state directories, under the data root. */
    ociRoot?: string;
  }) {
    deps.supervisor.on((e) => {
      if (e.action === 'die') void this.finish(e.id);
    });
  }

  /** Called after a container's exit has been folded into its record (the daemon's AutoRemove). */
  onExit(listener: (record: ContainerRecord) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  private dir(id: string): string {
    return this.deps.supervisor.dir(id);
  }

  logPath(id: string): string {
    return join(this.dir(id), 'container.log');
  }

  // #region runtime-start
  /** `docker start`: the recipe, each acquisition registered for release if a later step fails. */
  async start(record: ContainerRecord, span?: Span): Promise<void> {
    if (record.State.Running) throw new EngineError({ code: 'CONTAINER_RUNNING', kind: 'conflict', message: `container ${record.Id} is already running`, data: { id: record.Id } });
    if (this.starting.has(record.Id)) throw conflict('CONTAINER_STARTING', `container ${record.Id} is being started`, { id: record.Id });
    const run = this.deps.tracer.span({ chapter: 'namespaces', op: 'container.start', parent: span, data: { id: record.Id } }, (s) => this.startSteps(record, s));
    this.starting.set(record.Id, run.catch(() => undefined));
    let notStarted: string | undefined;
    try {
      notStarted = await run;
    } finally {
      this.starting.delete(record.Id);
    }
    if (notStarted) await this.reportNotStarted(record.Id, notStarted);
  }

  /** The start; resolves with dockling-init's reason when the container's command never ran. */
  private async startSteps(record: ContainerRecord, span: Span): Promise<string | undefined> {
    const { supervisor, networks } = this.deps;
    const id = record.Id;
    const dir = this.dir(id);
    const bundle = join(dir, 'bundle');
    const rootfs = join(bundle, 'rootfs');
    const undo: Array<() => Promise<unknown>> = [];
    // The start's intent, on disk until it succeeds or has undone itself: a daemon killed in
    // between leaves it, and the next daemon's adopt() undoes what this start had done.
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, STARTING), '');
    /** Runs independent steps side by side; each one's release is registered if it succeeded. */
    const together = async <T extends unknown[]>(...steps: { [K in keyof T]: { run: () => Promise<T[K]>; release: () => Promise<unknown> } }): Promise<T> => {
      const settled = await Promise.allSettled(steps.map((s) => s.run()));
      settled.forEach((r, i) => r.status === 'fulfilled' && undo.push(steps[i]!.release));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
    };
    try {
      const oci = this.ociOf(record);
      const network = networkName(record.HostConfig);
      const cgroup = planCgroup({ name: oci ? ociCgroupName(oci, id) : cgroupName(id), limits: limitsOf(record.HostConfig), detected: await this.cgroups() });
      // Steps 1–4 do not depend on one another, so they run at the same time:
      // 1. the container's snapshot, mounted at bundle/rootfs in the host's mount namespace,
      // 2. then the user, looked up in the image's own /etc/passwd (needs the rootfs);
      // 3. the network namespace, prepared outside: veth + address for a bridge (none makes its
      //    own at start, host uses the host's);
      // 4. the cgroup with its limits; dockling-init moves itself in first. Under
      //    --runtime runc|crun the runtime makes it from the spec's cgroupsPath and resources.
      const [user, net] = await together<[Awaited<ReturnType<typeof resolveUser>>, Awaited<ReturnType<typeof connectContainer>>, void]>(
        {
          run: async () => {
            await Promise.all([rm(join(dir, 'exit'), { force: true }), mkdir(rootfs, { recursive: true })]);
            await mountPlan({ plan: await this.deps.snapshotter.mounts(record.SnapshotKey), target: rootfs, span });
            return resolveUser({ rootfs, user: record.Config.User }).catch(async (err: unknown) => {
              await unmountRoot(rootfs, this.deps.snapshotter.driver).catch(() => {}); // not registered: this step failed
              throw err;
            });
          },
          release: () => unmountRoot(rootfs, this.deps.snapshotter.driver),
        },
        {
          run: () => connectContainer({ networks, containerId: id, name: record.Name, network, stateDir: networks.stateDir, span }),
          release: () => disconnectContainer({ networks, containerId: id, stateDir: networks.stateDir, span }),
        },
        {
          run: async () => { if (!oci) await applyCgroup({ plan: cgroup, span }); },
          release: async () => { if (!oci) await removeCgroup({ plan: cgroup, span }); },
        },
      );
      // 5. the bundle: config.json (volumes and binds among its mounts), hostname; /etc/hosts and
      //    resolv.conf are the network's files
      const mounts = (await this.deps.mounts?.(record)) ?? [];
      //    (--privileged: every capability the engine holds, a node for every device of the host)
      const privileged = record.HostConfig['Privileged'] === true;
      const hostDevices = privileged ? listHostDevices() : undefined;
      const hostCapabilities = privileged ? boundingCapabilities(await readFile('/proc/self/status', 'utf8')) : undefined;
      const base = specFromContainer({ record, image: await this.deps.imageConfig(record), user, mounts, hostDevices, hostCapabilities });
      const spec = {
        ...base,
        mounts: base.mounts.map((m) => (m.destination === '/etc/hosts' ? { ...m, source: net.hostsFile } : m.destination === '/etc/resolv.conf' ? { ...m, source: net.resolvConf } : m)),
        linux: { ...base.linux, namespaces: base.linux.namespaces.filter((n) => n.type !== 'network' || net.mode !== 'host') },
      };
      await writeBundle({ dir: bundle, spec: oci ? ociSpec(spec, { id, runtime: oci.name, netnsPath: net.netnsPath }) : spec });
      //    and, under runc or crun, the command found in the root before anything runs: not
      //    found → 127, not executable → 126 (dockling-init reports that itself, on its readiness pipe)
      if (oci) lookupCommand({ rootfs, args: spec.process.args, env: spec.process.env ?? [], cwd: spec.process.cwd, mountedAt: mounts.map((m) => m.destination) });
      // 6. published ports: a proxy in the daemon towards the container's address
      const ports = net.ip ? await publish(record, net.ip, span) : undefined;
      if (ports) undo.push(() => ports.close());
      // 7. the process: the recipe under a shim that outlives the daemon
      //    (or `runc run --bundle <bundle> <id>`: the same bundle, runc's own namespaces)
      const argv = oci
        ? ociRunArgv(oci, { bundle, id })
        : initCommand({ bundle, spec, initPath: findInitHelper(), cgroupProcs: cgroup.procsFiles, netnsPath: net.netnsPath ?? undefined }).argv;
      if (oci) undo.push(() => ociDelete(oci, { id }));
      this.live.set(id, { cgroup, oci, ports });
      undo.push(async () => this.live.delete(id));
      const state = await supervisor.start(id, argv, { stdin: record.Config.OpenStdin, tty: terminalOf(record), ready: !oci, unmountAtExit: rootfs, cwd: bundle, span });
      if (oci) await ociWaitStarted(oci, { id, gone: async () => (await readExit(dir)) !== undefined });
      // 8. what the kernel now says about pid 1 (its pids, namespaces, mounts), for the trace:
      //    dockling-init has exec'd the command (its readiness), so pid 1 is the user's command
      if (!oci && !state.notStarted) await traceInit({ span, id, pid: state.pid, argv: spec.process.args });
      await Promise.all([
        this.saveState(id, (s) => ({
          ...s, Status: 'running', Running: true, Pid: state.pid, ExitCode: 0, Error: '', OOMKilled: false,
          StartedAt: state.startedAt, FinishedAt: '0001-01-01T00:00:00Z',
        })),
        this.saveNetwork(id, { network, ip: net.ip, gateway: net.gateway, mac: net.mac, ports: portList(record, ports) }),
      ]);
      await rm(join(dir, STARTING), { force: true });
      return state.notStarted;
    } catch (err) {
      for (const release of undo.reverse()) await release().catch(() => {});
      await rm(join(dir, STARTING), { force: true });
      // Like dockerd: a command that cannot be executed leaves the container "created", with the
      // exit code the shell would give (127 not found, 126 not executable) and the error.
      if (err instanceof EngineError && err.code === 'CONTAINER_EXEC_FAILED') {
        const code = /not found|no such file/.test(err.message) ? 127 : 126;
        await this.saveState(id, (s) => ({ ...s, ExitCode: code, Error: err.message }));
      }
      throw err;
    }
  }
  // #endregion runtime-start

  /**
   * The container's command never ran: dockling-init said why on the shim's readiness pipe
   * ("127 exec: x: No such file or directory", "125 step "mount /data" failed: …"), and exited
   * with that status. Once the exit is folded into the record, `start` fails with dockerd's
   * words: `docker start` and `docker run` then exit 127, 126 or 125 as Docker's do.
   */
  private async reportNotStarted(id: string, why: string): Promise<void> {
    await this.deps.supervisor.wait(id, 'not-running');
    await this.finish(id);
    const m = /^(\d+) (.*)$/s.exec(why.trim());
    const status = Number(m?.[1] ?? 125);
    const text = m?.[2] ?? why.trim();
    const exec = /^exec: (.*): (.*)$/.exec(text);
    let message = `failed to create task for container: ${text}`;
    if (exec) {
      const [cmd, reason] = [exec[1]!, exec[2]!];
      message = `failed to create task for container: ${status === 127 && /No such file/.test(reason) && !cmd.includes('/')
        ? `exec: "${cmd}": executable file not found in $PATH`
        : `exec: "${cmd}": ${reason.toLowerCase()}`}`;
    }
    // As with dockerd, a container whose process never ran stays "created", with the status and the error.
    await this.saveState(id, (s) => ({ ...s, Status: 'created', Running: false, Paused: false, Pid: 0, ExitCode: status, Error: message }));
    const code = status === 127 || status === 126 ? 'CONTAINER_EXEC_FAILED' : 'CONTAINER_START_FAILED';
    throw new EngineError({ code, kind: 'internal', message, data: { id, exitCode: status } });
  }

  // #region runtime-exit
  /** The container's exit, folded into its record; then everything start acquired is released. */
  finish(id: string): Promise<void> {
    const running = this.finishing.get(id);
    if (running) return running;
    const done = this.finishSteps(id).finally(() => this.finishing.delete(id));
    this.finishing.set(id, done);
    return done;
  }

  private async finishSteps(id: string): Promise<void> {
    await this.starting.get(id);
    const record = await this.deps.store.get(id).catch(() => undefined);
    const state = await this.deps.supervisor.inspect(id).catch(() => undefined);
    // Already folded in, or a late event about a run that a restart has replaced.
    if (!record || !record.State.Running || state?.status !== 'exited') return;
    const live = this.live.get(id) ?? (await this.rebuild(record));
    this.live.delete(id);
    const oom = await oomKilled(live.cgroup).catch(() => false);
    const code = this.exitCodeOf({ code: state.exitCode, oom });
    // What the container used, read while its cgroup still exists (removed just below).
    await traceUsage({ cgroup: live.cgroup, id, tracer: this.deps.tracer });
    await this.release(id, live);
    const saved = await this.saveState(id, (s) => ({
      ...s, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: code, OOMKilled: oom,
      FinishedAt: state.finishedAt || new Date().toISOString(), Error: s.Error || (state.error ?? ''),
    }));
    this.settle(id, ['not-running', 'next-exit'], { StatusCode: code, Error: null });
    if (saved) for (const l of this.exitListeners) l(saved);
  }

  /**
   * Releases what a start acquired — ports, cgroup (or runc's state and cgroup), network, rootfs —
   * side by side: the process is gone, and none of them depends on another any more. Each does
   * nothing when its step never ran (a start the daemon was killed in).
   */
  private async release(id: string, live: Live): Promise<void> {
    await Promise.all([
      live.ports?.close(),
      live.oci ? ociDelete(live.oci, { id }) : removeCgroup({ plan: live.cgroup }),
      disconnectContainer({ networks: this.deps.networks, containerId: id, stateDir: this.deps.networks.stateDir }),
      unmountRoot(join(this.dir(id), 'bundle', 'rootfs'), this.deps.snapshotter.driver),
    ].map((p) => Promise.resolve(p).catch(() => {})));
  }

  /**
   * The record, once any exit the shim has already written is folded in: between the exit
   * file and the 'die' event there is a moment when the record still says running, and a
   * `start` or `attach` then must not believe it.
   */
  async refresh(record: ContainerRecord): Promise<ContainerRecord> {
    if (!record.State.Running || !(await readExit(this.dir(record.Id)))) return record;
    await this.deps.supervisor.wait(record.Id, 'not-running');
    await this.finishing.get(record.Id);
    return this.deps.store.get(record.Id);
  }

  /**
   * Docker's 128+signal convention: the shim computes it from how dockling-init (or runc) ended,
   * which is how pid 1 ended. An OOM kill is 137 whatever the runtime made of it: the cgroup knows.
   */
  private exitCodeOf(a: { code: number; oom: boolean }): number {
    return a.oom ? 137 : a.code;
  }
  // #endregion runtime-exit

  /** After a daemon restart: the cgroup plan again (it is data) and the ports re-published. */
  private async rebuild(record: ContainerRecord): Promise<Live> {
    const oci = this.ociOf(record);
    const cgroup = planCgroup({ name: oci ? ociCgroupName(oci, record.Id) : cgroupName(record.Id), limits: limitsOf(record.HostConfig), detected: await this.cgroups() });
    return { cgroup, oci };
  }

  // #region runtime-adopt
  /**
   * Daemon start-up: the supervisor reconciles the shims' files, then each record follows.
   * Running ones get their ports back; ones that exited while no daemon was looking get their
   * exit code and their cleanup (and are removed when they asked for --rm).
   */
  async adopt(): Promise<void> {
    await this.deps.supervisor.adopt();
    const records = await this.deps.store.list();
    for (const record of records) {
      // A start killed midway is undone; one killed after it saved "running" had finished.
      if (await this.halfStarted(record.Id)) {
        if (record.State.Running) await rm(join(this.dir(record.Id), STARTING), { force: true });
        else await this.undoHalfStart(record);
      }
      if (!record.State.Running) continue;
      const state = await this.deps.supervisor.inspect(record.Id).catch(() => undefined);
      if (state?.status === 'running') {
        const live = await this.rebuild(record);
        const net = await this.network(record.Id);
        if (net?.ip) live.ports = await publish(record, net.ip).catch(() => undefined);
        this.live.set(record.Id, live);
      } else {
        await this.finish(record.Id);
      }
    }
    // Then what no container owns any more: the endpoints of containers that are gone (a removal
    // the daemon was killed in), and the bridges no endpoint is on (one being made or removed).
    const { networks } = this.deps;
    await this.deps.tracer.span({ chapter: 'namespaces', op: 'net.reclaim' }, async (span) => {
      const ids = new Set(records.map((r) => r.Id));
      for (const ep of await networks.endpoints()) {
        if (!ids.has(ep.ContainerId)) await disconnectContainer({ networks, containerId: ep.ContainerId, stateDir: networks.stateDir, span }).catch(() => {});
      }
      await releaseUnusedBridges(networks, span);
    });
  }
  // #endregion runtime-adopt

  private halfStarted(id: string): Promise<boolean> {
    return stat(join(this.dir(id), STARTING)).then(() => true, () => false);
  }

  /**
   * A start the daemon was killed in (its STARTING file is still there): the client never heard
   * "started" (the record never said running), so the container stays as it was — created, or
   * exited — and what the start had acquired goes: the process if the shim had launched it, then
   * the cgroup, the network namespace with its veth and address, the mounted root.
   */
  private async undoHalfStart(record: ContainerRecord): Promise<void> {
    const id = record.Id;
    await this.deps.tracer.span({ chapter: 'namespaces', op: 'container.start.undo', data: { id } }, async () => {
      const state = await this.deps.supervisor.inspect(id).catch(() => undefined);
      if (state?.status === 'running') {
        const exited = this.deps.supervisor.wait(id, 'not-running');
        const killed = await this.kill(record, 'SIGKILL').then(() => true, () => false);
        // Never a daemon that does not come up: the releases below run after 10 s regardless.
        if (killed) await Promise.race([exited.catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]);
      }
      await this.release(id, await this.rebuild(record));
      await rm(join(this.dir(id), STARTING), { force: true });
    });
  }

  /** `POST /containers/{id}/resize?h=&w=`: the TTY container's terminal gets the new size. */
  resize(record: ContainerRecord, size: { rows: number; cols: number }): void {
    if (!record.State.Running) throw conflict('CONTAINER_NOT_RUNNING', `container ${record.Id} is not running`, { id: record.Id });
    resizeTerminal(this.dir(record.Id), size);
  }

  /** Sends a signal to the container's pid 1 (dockling-init's child: its parent forwards nothing). */
  async kill(record: ContainerRecord, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    const notRunning = () => conflict('CONTAINER_NOT_RUNNING', `cannot kill container: ${record.Name.slice(1)}: container ${record.Id} is not running`, { id: record.Id });
    const state = await this.deps.supervisor.inspect(record.Id).catch(() => undefined);
    if (!state || state.status !== 'running') throw notRunning();
    const oci = this.live.get(record.Id)?.oci ?? this.ociOf(record);
    if (oci) {
      // runc knows its container's init; signalling `runc run` itself would only be forwarded.
      await ociKill(oci, { id: record.Id, signal }).catch((err: unknown) => {
        throw err instanceof EngineError && err.kind === 'conflict' ? notRunning() : err;
      });
      this.deps.tracer.start('namespaces', 'container.signal', { id: record.Id, runtime: oci.name, signal }).end();
      return;
    }
    const pid1 = await containerInit(state.pid);
    try {
      process.kill(pid1 ?? state.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw notRunning();
      throw err;
    }
    this.deps.tracer.start('namespaces', 'container.signal', { id: record.Id, pid: pid1 ?? state.pid, signal }).end();
    // A frozen task does not act on a signal until it is thawed (v1 freezer): a paused
    // container is unpaused after the signal, as dockerd does, so that stop and kill work.
    const now = await this.deps.store.get(record.Id).catch(() => record);
    if (now.State.Paused) await this.unpause(now);
  }

  /**
   * What exec, top, pause and stats act on: a running container's pid 1 on the host, its cgroup
   * (a plan: data, rebuilt after a daemon restart) and its bundle directory.
   */
  async target(record: ContainerRecord): Promise<{ pid: number; cgroup: CgroupPlan; bundle: string }> {
    const notRunning = () => conflict('CONTAINER_NOT_RUNNING', `container ${record.Id} is not running`, { id: record.Id });
    const state = await this.deps.supervisor.inspect(record.Id).catch(() => undefined);
    if (!record.State.Running || !state || state.status !== 'running') throw notRunning();
    const bundle = join(this.dir(record.Id), 'bundle');
    const pid = await settledInit(state.pid, join(bundle, 'rootfs'));
    if (pid === undefined) throw notRunning();
    const live = this.live.get(record.Id) ?? (await this.rebuild(record));
    return { pid, cgroup: live.cgroup, bundle };
  }

  /**
   * `docker pause`: every process of the container frozen by its cgroup (freezer). Traced as
   * container.pause, its cgroup.freeze inside, and what the frozen processes hold (cgroup.usage).
   */
  async pause(record: ContainerRecord): Promise<void> {
    if (record.State.Paused) throw conflict('CONTAINER_PAUSED', `Container ${record.Id} is already paused`, { id: record.Id });
    const { cgroup } = await this.target(record);
    await this.deps.tracer.span({ chapter: 'namespaces', op: 'container.pause', data: { id: record.Id } }, async (span) => {
      await freezeCgroup({ plan: cgroup, frozen: true, span });
      await traceUsage({ cgroup, id: record.Id, parent: span });
    });
    await this.saveState(record.Id, (s) => ({ ...s, Status: 'paused', Paused: true }));
  }

  /** `docker unpause`: thawed, running again (container.unpause, its cgroup.freeze inside). */
  async unpause(record: ContainerRecord): Promise<void> {
    if (!record.State.Paused) throw conflict('CONTAINER_NOT_PAUSED', `Container ${record.Id} is not paused`, { id: record.Id });
    const { cgroup } = await this.target(record);
    await this.deps.tracer.span({ chapter: 'namespaces', op: 'container.unpause', data: { id: record.Id } }, (span) => freezeCgroup({ plan: cgroup, frozen: false, span }));
    await this.saveState(record.Id, (s) => ({ ...s, Status: s.Running ? 'running' : s.Status, Paused: false }));
  }

  /** `docker stop`: SIGTERM (or the image's StopSignal), SIGKILL after `timeoutSec` (a negative one waits for ever, as dockerd's). */
  async stop(record: ContainerRecord, timeoutSec = 10): Promise<void> {
    if (!record.State.Running) return;
    const exited = this.wait(record.Id, 'not-running');
    const signal = (record.Config.StopSignal as NodeJS.Signals | undefined) ?? 'SIGTERM';
    await this.kill(record, signal.startsWith('SIG') ? signal : (`SIG${signal}` as NodeJS.Signals)).catch(ignoreNotRunning);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      if (timeoutSec >= 0) timer = setTimeout(() => r('timeout'), timeoutSec * 1000);
    });
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return;
    await this.kill(record, 'SIGKILL').catch(ignoreNotRunning);
    await exited;
  }

  /** Resolves when `condition` holds: not-running (now if it is not), next-exit, removed. */
  async wait(id: string, condition: WaitCondition = 'not-running'): Promise<WaitResult> {
    const found = await this.deps.store.get(id);
    // Registered before the record is read again: an exit folded in between must still wake it.
    let resolveWait!: (r: WaitResult) => void;
    const waited = new Promise<WaitResult>((resolve) => (resolveWait = resolve));
    const waiter: Waiter = { condition, resolve: resolveWait };
    this.waiters.set(found.Id, [...(this.waiters.get(found.Id) ?? []), waiter]);
    const record = await this.deps.store.get(found.Id);
    if (condition === 'not-running' && !record.State.Running && !this.starting.has(record.Id)) {
      const list = (this.waiters.get(record.Id) ?? []).filter((w) => w !== waiter);
      if (list.length) this.waiters.set(record.Id, list);
      else this.waiters.delete(record.Id);
      await this.finishing.get(record.Id);
      const now = await this.deps.store.get(id);
      return { StatusCode: now.State.ExitCode, Error: null };
    }
    return waited;
  }

  /**
   * Forgets a stopped container's runtime state (rootfs mount, state dir, log), once whoever
   * still reads its log (an attach draining the last lines) is done or 3 s have passed.
   */
  async remove(record: ContainerRecord): Promise<void> {
    await this.finishing.get(record.Id);
    const readers = [...(this.readers.get(record.Id) ?? [])];
    await Promise.race([Promise.allSettled(readers), new Promise((r) => setTimeout(r, 3000).unref())]);
    await unmountRoot(join(this.dir(record.Id), 'bundle', 'rootfs'), this.deps.snapshotter.driver).catch(() => {});
    // runc's state, if it still has any (a missing runc binary must not block the removal)
    await Promise.resolve().then(() => this.ociOf(record)).then((oci) => oci && ociDelete(oci, { id: record.Id })).catch(() => {});
    await this.deps.supervisor.remove(record.Id).catch((err: unknown) => {
      if (!(err instanceof EngineError && err.code === 'CONTAINER_NOT_FOUND')) throw err;
    });
    await rm(this.dir(record.Id), { recursive: true, force: true });
  }

  /** Wakes `wait?condition=removed` once the record itself is gone. */
  removed(record: ContainerRecord): void {
    this.settle(record.Id, ['removed'], { StatusCode: record.State.ExitCode, Error: null });
  }

  /** Registers a reader of the container's files (an attach): remove() waits for it. */
  reading(id: string, done: Promise<unknown>): void {
    const set = this.readers.get(id) ?? new Set();
    set.add(done);
    this.readers.set(id, set);
    void done.finally(() => {
      set.delete(done);
      if (set.size === 0) this.readers.delete(id);
    });
  }

  /** The supervisor's events (start, die, kill, adopt, remove), for attach and /events. */
  on(listener: (e: SupervisorEvent) => void): () => void {
    return this.deps.supervisor.on(listener);
  }

  /** The container's network facts as saved at start, or undefined if it never started. */
  async network(id: string): Promise<ContainerNetwork | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(id), 'network.json'), 'utf8')) as ContainerNetwork;
    } catch {
      return undefined;
    }
  }

  /** Stops watching; containers keep running under their shims. */
  close(): void {
    this.deps.supervisor.close();
    for (const live of this.live.values()) void live.ports?.close();
  }

  private async saveNetwork(id: string, net: ContainerNetwork): Promise<void> {
    await writeFileAtomic(join(this.dir(id), 'network.json'), JSON.stringify(net) + '\n');
  }

  private async saveState(id: string, change: (s: DockerState) => DockerState): Promise<ContainerRecord | undefined> {
    const record = await this.deps.store.get(id).catch(() => undefined);
    if (!record) return undefined;
    const next = { ...record, State: change(record.State) };
    await this.deps.store.save(next);
    return next;
  }

  private settle(id: string, conditions: WaitCondition[], result: WaitResult): void {
    const list = this.waiters.get(id) ?? [];
    const later = list.filter((w) => !conditions.includes(w.condition));
    if (later.length) this.waiters.set(id, later);
    else this.waiters.delete(id);
    for (const w of list) if (conditions.includes(w.condition)) w.resolve(result);
  }

  /** The external runtime a container asked for (HostConfig.Runtime), or undefined for dockling's recipe. */
  private ociOf(record: ContainerRecord): OciRuntime | undefined {
    const name = runtimeOf(record.HostConfig);
    return name === 'dockling' ? undefined : ociRuntime({ name, root: this.deps.ociRoot ?? '/run/dockling-oci' });
  }

  private cgroups(): Promise<DetectedCgroups> {
    this.detected ??= detectCgroups();
    return this.detected;
  }
}

/** With -t: the terminal's first size, from the create's HostConfig.ConsoleSize [rows, cols]. */
function terminalOf(record: ContainerRecord): { rows: number; cols: number } | undefined {
  if (!record.Config.Tty) return undefined;
  const [rows = 0, cols = 0] = (record.HostConfig as { ConsoleSize?: number[] }).ConsoleSize ?? [];
  return { rows, cols };
}

async function publish(record: ContainerRecord, ip: string, span?: Span): Promise<PublishedPorts | undefined> {
  const bindings = portBindings(record.HostConfig);
  return bindings.length ? publishPorts({ bindings, containerIp: ip, span }) : undefined;
}

function portList(record: ContainerRecord, ports: PublishedPorts | undefined): ContainerNetwork['ports'] {
  const bindings = portBindings(record.HostConfig);
  return (ports?.ports ?? []).map((p, i) => ({ ...p, containerPort: bindings[i]!.containerPort, proto: bindings[i]!.proto }));
}

function ignoreNotRunning(err: unknown): void {
  if (!(err instanceof EngineError && err.code === 'CONTAINER_NOT_RUNNING')) throw err;
}
