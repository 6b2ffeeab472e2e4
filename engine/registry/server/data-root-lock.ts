// One registry (or one `registry gc`) per data root at a time. The lock is <data-root>/registry.pid,
// created with O_EXCL ('wx'): making a file that must not exist is atomic, so two starters
// racing cannot both win. A pid file whose process is gone (kill -9, a power cut) is stale and
// is taken over. The check matters most for gc: sweeping while a server accepts pushes could
// remove a blob a manifest is about to reference.
import { open, readFile, rm } from 'node:fs/promises';
import { EngineError } from '../../base/index.js';

export interface DataRootLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock for `who` ('registry' or 'registry gc'), naming the holder when it is taken. */
export async function lockDataRoot(path: string, who: string): Promise<DataRootLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      // Our own pid counts as alive: a registry started in this process and not yet closed.
      if (pid > 0 && alive(pid)) {
        throw new EngineError({
          code: 'DATA_ROOT_IN_USE', kind: 'conflict',
          message: `${who}: the data root is in use by process ${pid} (its lock is ${path}); stop that registry first`,
          data: { path, pid },
        });
      }
      await rm(path, { force: true });
    }
  }
  throw new EngineError({ code: 'DATA_ROOT_IN_USE', kind: 'conflict', message: `${who}: could not take the lock ${path}`, data: { path } });
}
