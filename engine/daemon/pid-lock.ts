// One daemon per data root. The lock is <data-root>/daemon.pid created with O_EXCL ('wx'):
// creating a file that must not exist is atomic, so two daemons racing cannot both win. A pid
// file left by a daemon that died (kill -9, power loss) names a pid that is gone: we check with
// signal 0 and take the lock over.
import { open, readFile, rm } from 'node:fs/promises';
import { EngineError } from '../base/index.js';

export interface PidLock {
  path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else — still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquirePidLock(path: string): Promise<PidLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return { path, release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new EngineError({
          code: 'DAEMON_RUNNING',
          kind: 'conflict',
          message: `another dockling daemon (pid ${pid}) is using this data root; its lock is ${path}`,
          data: { path, pid },
        });
      }
      // Stale: the daemon that wrote it is gone.
      await rm(path, { force: true });
    }
  }
  throw new EngineError({ code: 'DAEMON_LOCK', kind: 'conflict', message: `could not take the lock ${path}`, data: { path } });
}
