// Chapter 6's daemon: the Docker Engine API over a unix socket, in front of the engine's
// stores. `runDaemon` is what `dockling daemon` calls; `Daemon` is what tests start in-process.
import { Daemon, ROUTES, type DaemonOptions } from './daemon.js';

export { Daemon, ROUTES };
export type { DaemonOptions };
export type { DaemonEngine } from './engine.js';
export { API_VERSION, MIN_API_VERSION } from './api-version.js';

/** Runs until SIGTERM/SIGINT, then closes the sockets, flushes the trace and drops the lock. */
export async function runDaemon(opts: DaemonOptions, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<void> {
  const daemon = await Daemon.start(opts);
  log(`dockling daemon ${daemon.engine.version} (pid ${process.pid}), data root ${opts.dataRoot}`);
  for (const at of daemon.listeners) {
    if (at.kind === 'unix') log(`API listening on unix://${at.path}`);
    else if (at.access === 'mutual-tls') log(`API listening on ${at.host}, mutual TLS: only clients with a certificate from --tlscacert get in`);
    else {
      log(`API listening on ${at.host}, READ-ONLY (GET and HEAD), with NO authentication (--tls=false)`);
      log(`WARNING: anyone on this machine, and any program they run, can read every container's settings and logs through ${at.host}. Use --tlsverify to drive the daemon over TCP.`);
    }
  }
  if (daemon.liveUrl) log(`live trace and state, read-only, on ${daemon.liveUrl} for pages of ${daemon.liveOrigins.join(' ')}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: shutting down`);
      daemon.stop().then(resolve, (err) => {
        log(`error while stopping: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
