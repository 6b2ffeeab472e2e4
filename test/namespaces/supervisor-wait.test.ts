// Chapter 3: Supervisor.wait and an exit that lands while it looks. wait reads state.json, then,
// if the container still runs, registers to be woken by the exit. An exit recorded between the
// two (state.json renamed, 'die' emitted, waiters settled) used to be lost: the waiter came
// after the settle and waited for ever. That was issue 4's "attach to a running TTY container
// hangs": `attach` ends with `POST /wait?condition=not-running`, sent the moment the container's
// exit closes the stream — exactly when the daemon is recording that exit.
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../engine/namespaces/supervisor.js';
import { isAlive, readShimStart } from '../../engine/namespaces/shim.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const started: Array<{ root: string; id: string }> = [];

afterEach(async () => {
  for (const { root, id } of started.splice(0)) {
    const s = await readShimStart(`${root}/${id}`);
    if (s && isAlive(s.pid, s.pidStart)) process.kill(s.pid, 'SIGKILL');
  }
});

/** Resolves with 'timeout' if `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('Supervisor.wait', () => {
  it('wakes for an exit recorded while it reads state.json (no lost wakeup)', async () => {
    const root = await tempDir('dockling-sup-wait-');
    const sup = new Supervisor({ root, tracer: new Tracer() });
    started.push({ root, id: 'w' });
    await sup.start('w', ['sh', '-c', 'read line; exit 4'], { env: ENV, stdin: true });
    // The race made certain: wait's look at state.json returns what it read (running) only
    // after the exit has been recorded, waiters settled and 'die' emitted.
    const died = new Promise<void>((resolve) => sup.on((e) => e.action === 'die' && resolve()));
    const look = sup.inspect.bind(sup);
    sup.inspect = async (id) => {
      const before = await look(id);
      await died;
      return before;
    };
    const waited = sup.wait('w', 'not-running');
    const { openStdin } = await import('../../engine/namespaces/shim.js');
    openStdin(`${root}/w`).end('go\n');
    expect(await within(waited, 5000)).toMatchObject({ status: 'exited', exitCode: 4 });
    sup.close();
  });

  it('answers at once for a container that has exited; next-exit waits for the next run', async () => {
    const root = await tempDir('dockling-sup-wait-');
    const sup = new Supervisor({ root, tracer: new Tracer() });
    started.push({ root, id: 'done' });
    await sup.start('done', ['sh', '-c', 'exit 2'], { env: ENV });
    const first = await within(sup.wait('done', 'next-exit'), 5000);
    expect(first).toMatchObject({ status: 'exited', exitCode: 2 });
    expect(await within(sup.wait('done', 'not-running'), 1000)).toMatchObject({ status: 'exited', exitCode: 2 });
    // The next run's exit is the only thing that may wake a next-exit waiter.
    const next = sup.wait('done', 'next-exit');
    expect(await within(next, 300)).toBe('timeout');
    await sup.start('done', ['sh', '-c', 'exit 6'], { env: ENV });
    expect(await within(next, 5000)).toMatchObject({ exitCode: 6 });
    sup.close();
  });
});
