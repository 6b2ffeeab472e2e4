// The daemon: the one place that turns a data root into stores, a tracer and a listening
// socket, and that takes them down again in reverse order. Start-up, as a recipe:
//   0. read the settings (flags + daemon.json)  4. build the stores (content, images, snapshots,
//   1. lock the data root (daemon.pid)             containers, volumes, networks), the runtime
//   2. lay out content/, tmp/, trace/              and the registry client
//   3. open the trace (file + live stream)      5. adopt the containers that kept running
//                                               6. route requests, listen on each -H socket
//                                                  (unix, or TCP with mutual TLS: listen-plan.ts)
//                                               7. the read-only live listener (--trace-listen)
// Reload (SIGHUP): read daemon.json again, apply what dockerd applies live (daemon-reload.ts).
// Stop: close the live listener and the sockets, remove them, stop watching containers (they keep
// running), close the registry client's connections, flush the trace, release the lock.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Server } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid, useSpawnServer } from '../base/index.js';
import { ContentStore, ImageStore } from '../layers/index.js';
import { RegistryClient } from '../registry/index.js';
import { JsonlFileSink, StreamSink, Tracer, silentTracer } from '../trace/index.js';
import { ContainerFs, clearTmpRoot, createSnapshotter } from '../unionfs/index.js';
// Until namespaces/index.ts exports VolumeStore (its owner adds it), straight from the file.
import { acquirePidLock, type PidLock } from './pid-lock.js';
import { listenFd, listenTcp, listenUnix } from './listener.js';
import { planListeners, type ListenAddress, type TlsSettings } from './listen-plan.js';
import { readOnly } from './read-only-api.js';
import { createRouter } from './http/router.js';
import { answerUnparsable } from './http/respond.js';
import type { DaemonEngine } from './engine.js';
import { systemRoutes } from './routes/system.js';
import { imageRoutes } from './routes/images.js';
import { imageArchiveRoutes } from './routes/image-archive.js';
import { traceRoutes } from './routes/trace.js';
import { systemCheckRoutes } from './routes/system-check.js';
import { containerRoutes } from './routes/containers.js';
import { containerLifecycleRoutes, removeContainer } from './routes/container-lifecycle.js';
import { upgradeHandler } from './routes/attach.js';
import { NetworkStore, Runtime, Supervisor, VolumeStore, mountsFor } from '../namespaces/index.js';
import { unionViewRoutes } from './routes/union-view.js';
import { volumeRoutes } from './routes/volumes.js';
import { execRoutes } from './routes/exec.js';
import { containerProcessRoutes } from './routes/container-processes.js';
import { Execs } from './execs.js';
import { networkRoutes } from './routes/networks.js';
import { registryRoutes } from './routes/registry.js';
import { buildRoutes } from './routes/build.js';
import { pruneRoutes } from './routes/prune.js';
import { GcLock, guardedByGc } from './gc-lock.js';
import { readDaemonConfig, mergeDaemonConfig, mergeListenConfig, mergeOne, type DaemonFileConfig, type LogLevel } from './daemon-config.js';
import { planReload, type ReloadPlan } from './daemon-reload.js';
import { checkRegistrySettings, type RegistrySettings } from './registry-settings.js';
import { parseTraceListen, parseTraceOrigins, type LoopbackAddress } from './live/live-settings.js';
import { LiveListener } from './live/live-listener.js';

export interface DaemonOptions {
  /** `--data-root`; none: daemon.json's `data-root`, else /var/lib/dockling. */
  dataRoot?: string;
  /** `unix:///run/dockling.sock`, `tcp://0.0.0.0:2376` (with tls.tlsverify), `fd://`: each -H; none: daemon.json's `hosts`, else the default socket. */
  hosts: string[];
  /** The descriptors systemd passed (LISTEN_FDS from 3 on, when LISTEN_PID is ours): what fd:// listens on. */
  activatedFds?: number[];
  /** `--group`: the group that owns unix:// sockets (fd:// ones have the socket unit's). */
  socketGroup?: { name: string; gid: number };
  /** `--log-level`; none: daemon.json's `log-level`, else info. */
  logLevel?: LogLevel;
  /** Docker's --tls, --tlsverify, --tlscacert, --tlscert, --tlskey: how tcp:// hosts are guarded. */
  tls?: TlsSettings;
  /** The default bridge's device name and subnet (`dockling0`, 10.213.0.0/24 unless told). */
  bridge?: string;
  bridgeSubnet?: string;
  /** Where user networks get their /24s (Docker's --default-address-pool base=…; 10.213.0.0/16 unless told). */
  addressPool?: string;
  /** Registries spoken to in plain HTTP: `host[:port]` or a CIDR (`--insecure-registry`, repeatable). */
  insecureRegistries?: string[];
  /** Mirrors tried before Docker Hub for Hub images (`--registry-mirror`, repeatable). */
  registryMirrors?: string[];
  /**
   * daemon.json; a missing file is an error only when `required` (the user named it). Its
   * directory also holds certs.d/, the registries' extra CAs and client certificates.
   */
  configFile?: { path: string; required: boolean };
  /**
   * `--trace-listen 127.0.0.1:PORT`: the read-only listener the site follows (live/), off unless
   * given; loopback only.
   */
  traceListen?: string;
  /** `--trace-origin`, repeatable: the origins whose pages may read it (default: the site's dev and preview servers). */
  traceOrigins?: string[];
}

const DEFAULT_SOCKET = 'unix:///run/dockling.sock';
const DEFAULT_DATA_ROOT = '/var/lib/dockling';

/** The options once the flags and daemon.json are merged: what the daemon runs with. */
interface StartOptions extends DaemonOptions {
  dataRoot: string;
  logLevel: LogLevel;
  /** --log-level itself: a reload keeps it over the file's. */
  givenLogLevel?: LogLevel;
}

/** Every route, in matching order: specific patterns before the greedy DELETE /images/(.+). */
export const ROUTES = [...systemRoutes, ...systemCheckRoutes, ...traceRoutes, ...unionViewRoutes, ...imageArchiveRoutes, ...registryRoutes, ...buildRoutes, ...imageRoutes, ...containerLifecycleRoutes, ...execRoutes, ...containerProcessRoutes, ...containerRoutes, ...volumeRoutes, ...networkRoutes];

/** What the daemon serves: ROUTES and the garbage collection's, writers and collectors under the GcLock (gc-lock.ts). */
const SERVED_ROUTES = guardedByGc([...pruneRoutes, ...ROUTES]);

/**
 * The fork server built next to this module (dist/engine/daemon/), or beside the source tree
 * when this file runs from source; null (plain child_process.spawn) when it was not built.
 */
function spawnServerPath(): string | null {
  const candidates = [new URL('./dockling-spawn', import.meta.url), new URL('../../dist/engine/daemon/dockling-spawn', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export class Daemon {
  private readonly servers: Array<{ server: Server; at: ListenAddress }> = [];
  private liveListener: LiveListener | null = null;

  private constructor(
    readonly engine: DaemonEngine,
    private readonly lock: PidLock,
    private readonly opts: StartOptions,
    /** daemon.json as read at start (or at the last good reload), and the level it set. */
    private loaded: { file: DaemonFileConfig; logLevel: LogLevel },
  ) {}

  // #region start
  static async start(given: DaemonOptions): Promise<Daemon> {
    const file = given.configFile ? await readDaemonConfig(given.configFile.path, { required: given.configFile.required }) : {};
    const opts = hostSettings(given, file); // data root, address pool and log level: flag or file
    const listen = listenSettings(opts, file);
    const listeners = planListeners(listen.hosts, listen.tls, opts.activatedFds); // refuse bad -H before touching anything
    const tlsFiles = await readTlsFiles(listeners, listen.tls); // and unreadable certificates
    const live = liveSettings(opts); // and a --trace-listen off loopback
    const registrySettings = readRegistrySettings(opts, file); // and bad registry settings
    await mkdir(opts.dataRoot, { recursive: true });
    const lock = await acquirePidLock(join(opts.dataRoot, 'daemon.pid'));
    let daemon: Daemon | undefined;
    try {
      // Host commands fork from a small helper, not from this large process (dockling-spawn.c).
      useSpawnServer(spawnServerPath());
      const engine = await openEngine(opts, registrySettings);
      daemon = new Daemon(engine, lock, opts, { file, logLevel: opts.logLevel });
      for (const at of listeners) await daemon.listen(at, tlsFiles);
      if (live) daemon.liveListener = await LiveListener.start({ engine, ...live });
      engine.tracer.start('daemon', 'daemon.start', { dataRoot: opts.dataRoot, sockets: listeners.map((l) => l.host), ...(daemon.liveUrl ? { traceListen: daemon.liveUrl } : {}), pid: process.pid }).end();
      return daemon;
    } catch (err) {
      if (daemon) {
        await daemon.stop(); // what is open closes in order, the lock last
      } else {
        useSpawnServer(null);
        await lock.release();
      }
      throw err;
    }
  }
  // #endregion start

  get socketPaths(): string[] {
    return this.servers.flatMap((s) => (s.at.kind === 'unix' ? [s.at.path] : []));
  }

  /** What each -H became: for the start-up lines (and the warning for a read-only TCP listener). */
  get listeners(): ListenAddress[] {
    return this.servers.map((s) => s.at);
  }

  /** The log level from --log-level or daemon.json (info unless told); SIGHUP may change it. */
  get logLevel(): LogLevel {
    return this.loaded.logLevel;
  }

  // #region reload
  /**
   * SIGHUP: daemon.json again. A file that cannot be read or checked throws and changes
   * nothing; otherwise the registry client is replaced by one with the new lists (pulls
   * already under way finish with the old one) and the plan says what changed.
   */
  async reload(): Promise<ReloadPlan> {
    const config = this.opts.configFile;
    if (!config) throw invalid('NO_CONFIG_FILE', 'this daemon was started without a configuration file: nothing to reload', {});
    const file = await readDaemonConfig(config.path, { required: config.required });
    const plan = planReload({
      path: config.path,
      flags: { insecureRegistries: this.opts.insecureRegistries ?? [], registryMirrors: this.opts.registryMirrors ?? [], ...(this.opts.givenLogLevel ? { logLevel: this.opts.givenLogLevel } : {}) },
      before: { file: this.loaded.file, registrySettings: this.engine.registrySettings, logLevel: this.loaded.logLevel },
      file,
    });
    const old = this.engine.registry;
    this.engine.registry = registryClient({ opts: this.opts, settings: plan.registrySettings, tracer: this.engine.tracer, version: this.engine.version });
    this.engine.registrySettings = plan.registrySettings;
    old.close();
    this.loaded = { file, logLevel: plan.logLevel };
    this.engine.tracer.start('daemon', 'daemon.reload', { path: config.path, applied: plan.applied, atNextStart: plan.atNextStart }).end();
    return plan;
  }
  // #endregion reload

  /** `http://127.0.0.1:7357` when --trace-listen was given, else null. */
  get liveUrl(): string | null {
    return this.liveListener?.url ?? null;
  }

  /** The origins allowed to read the live listener (empty when it is off). */
  get liveOrigins(): string[] {
    return this.liveListener?.origins ?? [];
  }

  private async listen(at: ListenAddress, tlsFiles: TlsFiles | null): Promise<void> {
    const quiet = silentTracer();
    const router = createRouter({
        routes: SERVED_ROUTES,
        engine: this.engine,
        serverVersion: this.engine.version,
        // Reading the trace is not traced: a follower would otherwise see itself forever.
        startSpan: (method, reqPath) =>
          (reqPath === '/dockling/trace' ? quiet : this.engine.tracer).start('daemon', 'http.request', { method, path: reqPath }),
    });
    const server = this.serverFor(at, router, tlsFiles);
    // Streams (load, import, trace follow) can run long; let Node not time them out.
    server.requestTimeout = 0;
    if (at.kind === 'tcp' && at.access === 'read-only') {
      // Attach and exec change things: an unauthenticated listener refuses their upgrade too.
      server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"attach and exec are refused on a read-only API listener (--tls=false)"}\n'));
    } else {
      // Attach leaves HTTP: Node hands `Connection: Upgrade` requests to this listener, not the router.
      server.on('upgrade', upgradeHandler(this.engine));
    }
    answerUnparsable(server);
    server.headersTimeout = 60_000;
    if (at.kind === 'unix') await listenUnix(server, at.path, this.opts.socketGroup?.gid);
    else if (at.kind === 'fd') await listenFd(server, at.fd);
    else await listenTcp(server, at.address, at.port);
    this.servers.push({ server, at });
  }

  // #region server-for
  /**
   * A plain HTTP server for a unix socket or a read-only loopback port; for --tlsverify, a TLS
   * server that asks every client for a certificate (requestCert) and hangs up in the handshake
   * on one our CA did not sign, or one that expired (rejectUnauthorized): no HTTP is ever read.
   */
  private serverFor(at: ListenAddress, router: (req: IncomingMessage, res: ServerResponse) => void, tlsFiles: TlsFiles | null): ReturnType<typeof createServer> {
    if (at.kind === 'unix' || at.kind === 'fd') return createServer(router);
    if (at.access === 'read-only') return createServer(readOnly(at.port, router));
    // allowHalfOpen, as node:http's plain server has it: a client that sends no stdin to an attach
    // closes its writing side at once (close_notify, then FIN), and must still read the output.
    const server = createTlsServer({ ...tlsFiles!, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', allowHalfOpen: true }, router);
    // A refused handshake is worth seeing in the trace: who knocked, and why the door stayed shut.
    server.on('tlsClientError', (err, socket) => {
      // (The peer's address is often gone by now: the socket is already torn down.)
      const remote = socket.remoteAddress ? { remote: socket.remoteAddress } : {};
      this.engine.tracer.start('daemon', 'tls.refused', { host: at.host, ...remote, reason: (err as NodeJS.ErrnoException).code ?? err.message }).end();
    });
    return server;
  }
  // #endregion server-for

  async stop(): Promise<void> {
    await this.liveListener?.close();
    this.liveListener = null;
    for (const { server, at } of this.servers.reverse()) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as ReturnType<typeof createServer>).closeAllConnections();
      });
      if (at.kind === 'unix') await rm(at.path, { force: true });
    }
    this.servers.length = 0;
    this.engine.runtime.close(); // the containers keep running under their shims
    this.engine.registry.close();
    useSpawnServer(null);
    this.engine.tracer.start('daemon', 'daemon.stop', { pid: process.pid }).end();
    await this.engine.tracer.close();
    await this.lock.release();
  }
}

interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** 0. The certificate files of a --tlsverify listener, read before anything else is done. */
async function readTlsFiles(listeners: ListenAddress[], tls: TlsSettings): Promise<TlsFiles | null> {
  if (!listeners.some((l) => l.kind === 'tcp' && l.access === 'mutual-tls')) return null;
  const read = async (flag: 'tlscacert' | 'tlscert' | 'tlskey') => {
    try {
      return await readFile(tls[flag]!);
    } catch (err) {
      throw invalid('TLS_FILE_UNREADABLE', `could not read --${flag} ${tls[flag]}: ${(err as Error).message}`, { flag, path: tls[flag] }, err);
    }
  };
  return { ca: await read('tlscacert'), cert: await read('tlscert'), key: await read('tlskey') };
}

/** 0. Where the live listener binds and whom it answers; refused here when not loopback. */
function liveSettings(opts: DaemonOptions): { address: LoopbackAddress; origins: string[] } | null {
  const origins = parseTraceOrigins(opts.traceOrigins ?? []);
  if (opts.traceListen === undefined) {
    if (opts.traceOrigins?.length) throw invalid('TRACE_ORIGIN_WITHOUT_LISTEN', '--trace-origin names who may read the live listener, which is off: add --trace-listen 127.0.0.1:PORT', { origins });
    return null;
  }
  return { address: parseTraceListen(opts.traceListen), origins };
}

/** 0. The data root, the user networks' pool and the log level: each from the flag or the file, else the default. */
function hostSettings(given: DaemonOptions, file: DaemonFileConfig): StartOptions {
  const path = given.configFile?.path ?? '';
  const one = <T>(key: string, flag: T | undefined, fromFile: T | undefined) => (given.configFile ? mergeOne({ key, flag, file: fromFile, path }) : flag);
  const dataRoot = one('data-root', given.dataRoot, file.dataRoot) ?? DEFAULT_DATA_ROOT;
  const addressPool = one('default-address-pools', given.addressPool, file.addressPool);
  const logLevel = one('log-level', given.logLevel, file.logLevel) ?? 'info';
  return { ...given, dataRoot, ...(addressPool ? { addressPool } : {}), logLevel, ...(given.logLevel ? { givenLogLevel: given.logLevel } : {}) };
}

/** 0. The -H hosts and TLS settings from the flags and daemon.json; no host at all is the default socket. */
function listenSettings(opts: DaemonOptions, file: DaemonFileConfig): { hosts: string[]; tls: TlsSettings } {
  const flags = { hosts: opts.hosts, ...opts.tls };
  const merged = opts.configFile ? mergeListenConfig(flags, file, opts.configFile.path) : flags;
  const { hosts, ...tls } = merged;
  return { hosts: hosts?.length ? hosts : [DEFAULT_SOCKET], tls };
}

/** 0. The registry settings from the flags and daemon.json, checked as dockerd checks them. */
function readRegistrySettings(opts: DaemonOptions, file: DaemonFileConfig): RegistrySettings {
  const flags = { insecureRegistries: opts.insecureRegistries ?? [], registryMirrors: opts.registryMirrors ?? [] };
  const merged = opts.configFile ? mergeDaemonConfig(flags, file, opts.configFile.path) : flags;
  return checkRegistrySettings({ insecureRegistries: merged.insecureRegistries, mirrors: merged.registryMirrors });
}

/** Chapter 4's client with the daemon's lists; certs.d beside daemon.json, as dockerd keeps /etc/docker/certs.d. */
function registryClient(a: { opts: DaemonOptions; settings: RegistrySettings; tracer: Tracer; version: string }): RegistryClient {
  // No credential store: the daemon keeps no secrets, each request brings its X-Registry-Auth.
  return new RegistryClient({
    tracer: a.tracer, insecureRegistries: a.settings.insecureRegistries, mirrors: a.settings.mirrors,
    ...(a.opts.configFile ? { certsDir: join(dirname(a.opts.configFile.path), 'certs.d') } : {}),
    userAgent: `dockling/${a.version} (daemon; like docker/28)`,
  });
}

async function openEngine(opts: StartOptions, registrySettings: RegistrySettings): Promise<DaemonEngine> {
  const { dataRoot } = opts;
  const tmpRoot = join(dataRoot, 'tmp');
  await clearTmpRoot(tmpRoot); // leftovers of a killed daemon, its mounts detached first
  const traceStream = new StreamSink();
  const tracer = new Tracer([new JsonlFileSink(join(dataRoot, 'trace', 'events.jsonl')), traceStream]);
  const content = new ContentStore({ root: join(dataRoot, 'content'), tracer });
  await content.init();
  const images = new ImageStore({ content, tracer });
  const snapshotRoot = join(dataRoot, 'snapshots-root');
  const snapshotter = await createSnapshotter({ root: snapshotRoot, tracer });
  const containers = new ContainerFs({ root: join(dataRoot, 'containers'), snapshotter, images, content, tracer, tmpRoot });
  images.setUsageCheck((imageId) => containers.usersOf(imageId)); // rmi refuses an image a container uses
  await containers.finishRemovals(); // `rm`s a killed daemon left half done
  await containers.reclaimSnapshots(snapshotRoot); // snapshots killed operations left, owned by nothing
  const volumes = new VolumeStore(join(dataRoot, 'volumes'));
  const networks = new NetworkStore({ stateDir: join(dataRoot, 'network'), tracer, defaultBridge: opts.bridge, defaultSubnet: opts.bridgeSubnet, userPool: opts.addressPool });
  await networks.init();
  const supervisor = new Supervisor({ root: join(dataRoot, 'run'), tracer });
  const runtime = new Runtime({
    supervisor, store: containers.store, snapshotter, networks, tracer,
    imageConfig: async (c) => (await images.resolve(c.Image)).config,
    mounts: (c) => mountsFor({ containerId: c.Id, hostConfig: c.HostConfig, imageVolumes: c.Config.Volumes, volumes }),
    ociRoot: join(dataRoot, 'oci'), // --runtime runc|crun keep their state here
  });
  const { version, buildTime } = await buildInfo();
  const registry = registryClient({ opts, settings: registrySettings, tracer, version });
  const engine: DaemonEngine = {
    content, images, snapshotter, containers, volumes, networks, runtime, execs: new Execs(runtime, tracer), registry, registrySettings,
    tracer, traceStream, dataRoot, tmpRoot, id: await engineId(dataRoot), version, buildTime, gc: new GcLock(),
  };
  // --rm: the daemon removes the container once its exit is recorded (and its attach drained).
  runtime.onExit((c) => {
    if (c.HostConfig['AutoRemove'] === true) void removeContainer({ engine, ref: c.Id, force: true }).catch(() => {});
  });
  // 5. containers that ran while no daemon was looking: re-adopted, or their exit folded in
  await runtime.adopt();
  return engine;
}

async function engineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = randomUUID();
  await writeFile(path, id + '\n');
  return id;
}

/** The version from package.json (two levels up in the source tree, three in dist/). */
async function buildInfo(): Promise<{ version: string; buildTime: string }> {
  const here = fileURLToPath(import.meta.url);
  const buildTime = (await stat(here)).mtime.toISOString();
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dockling' && pkg.version) return { version: pkg.version, buildTime };
    } catch {
      // try the next place
    }
  }
  return { version: '0.0.0', buildTime };
}
