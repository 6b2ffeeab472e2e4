// Chapter 6's daemon: the Docker Engine API over a unix socket, in front of the engine's
// stores. `runDaemon` is what `dockling daemon` calls; `Daemon` is what tests start in-process.
import { Daemon, ROUTES, type DaemonOptions } from './daemon.js';
import { DaemonLog } from './daemon-log.js';

export { Daemon, ROUTES };
export type { DaemonOptions };
export { LOG_LEVELS, type LogLevel } from './daemon-config.js';
export type { DaemonEngine } from './engine.js';
export { API_VERSION, MIN_API_VERSION } from './api-version.js';

/** Where the daemon's lines go: stderr, and whether that is the journal (JOURNAL_STREAM). */
export interface DaemonOutput {
  write?: (line: string) => void;
  journal?: boolean;
}

// #region run-daemon
/**
 * Runs until SIGTERM/SIGINT, then closes the sockets, flushes the trace and drops the lock;
 * the containers keep running under their shims, and the next daemon adopts them. SIGHUP
 * re-reads daemon.json (daemon-reload.ts).
 */
export async function runDaemon(opts: DaemonOptions, out: DaemonOutput = {}): Promise<void> {
  const write = out.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const log = new DaemonLog(write, out.journal === true, opts.logLevel ?? 'info');
  const daemon = await Daemon.start(opts);
  log.setLevel(daemon.logLevel); // the flag's, else daemon.json's
  log.info(`dockling daemon ${daemon.engine.version} (pid ${process.pid}), data root ${daemon.engine.dataRoot}`);
  log.debug(`configuration: log-level ${daemon.logLevel}, insecure-registries [${daemon.engine.registrySettings.insecureRegistries.join(' ')}], registry-mirrors [${daemon.engine.registrySettings.mirrors.join(' ')}]`);
  for (const at of daemon.listeners) {
    if (at.kind === 'unix') log.info(`API listening on unix://${at.path}`);
    else if (at.kind === 'fd') log.info(`API listening on ${at.host} (a socket systemd passed)`);
    else if (at.access === 'mutual-tls') log.info(`API listening on ${at.host}, mutual TLS: only clients with a certificate from --tlscacert get in`);
    else {
      log.info(`API listening on ${at.host}, READ-ONLY (GET and HEAD), with NO authentication (--tls=false)`);
      log.warn(`WARNING: anyone on this machine, and any program they run, can read every container's settings and logs through ${at.host}. Use --tlsverify to drive the daemon over TCP.`);
    }
  }
  if (daemon.liveUrl) log.info(`live trace and state, read-only, on ${daemon.liveUrl} for pages of ${daemon.liveOrigins.join(' ')}`);
  const onHangup = () => void reload(daemon, log);
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down; containers keep running`);
      daemon.stop().then(resolve, (err) => {
        log.error(`error while stopping: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.off('SIGHUP', onHangup);
}
// #endregion run-daemon

/** SIGHUP: apply the new file, or keep the old settings and say why. */
async function reload(daemon: Daemon, log: DaemonLog): Promise<void> {
  try {
    const plan = await daemon.reload();
    log.setLevel(plan.logLevel);
    log.info(plan.applied.length ? `reloaded the configuration: ${plan.applied.join('; ')}` : 'reloaded the configuration: nothing that reloads changed');
    for (const key of plan.atNextStart) log.warn(`reload: "${key}" changed in the configuration file; it takes effect at the next start`);
  } catch (err) {
    log.error(`reload failed, keeping the old settings: ${(err as Error).message}`);
  }
}
