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
  for (const path of daemon.socketPaths) log(`API listening on unix://${path}`);
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
