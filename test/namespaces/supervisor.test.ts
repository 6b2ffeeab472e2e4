// Chapter 3: containers outlive the daemon. A Node process (standing in for the daemon) starts
// containers through a Supervisor and is killed with SIGKILL; the shims keep the containers
// running and logging, record their exits, and a fresh Supervisor adopts them — the one that
// exited meanwhile with its code, the one still running as running, its exit then observed.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervisor, type SupervisorEvent } from '../../engine/namespaces/supervisor.js';
import { isAlive, readExit, type ShimStart } from '../../engine/namespaces/shim.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const DIST = fileURLToPath(new URL('../../dist/engine/', import.meta.url));
const roots: string[] = [];

/** The build line package.json runs, done here when a test runs before a full build. */
function ensureShimBuilt(): void {
  const out = join(DIST, 'namespaces/dockling-shim');
  if (existsSync(out)) return;
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync('cc', ['-static', '-Os', '-Wall', '-o', out, fileURLToPath(new URL('../../engine/namespaces/dockling-shim.c', import.meta.url))]);
}

afterEach(() => {
  // Every container any test started, found through the shims' start.json, killed by pid.
  for (const root of roots.splice(0)) {
    for (const id of existsSync(root) ? readdirSync(root) : []) {
      const file = join(root, id, 'start.json');
      if (!existsSync(file)) continue;
      const s = JSON.parse(readFileSync(file, 'utf8')) as ShimStart;
      if (isAlive(s.pid, s.pidStart)) process.kill(s.pid, 'SIGKILL');
    }
  }
});

async function newRoot(): Promise<string> {
  const root = await tempDir('dockling-sup-');
  roots.push(root);
  return root;
}

/** A "daemon": a Node process that starts the given containers, says ready, and waits to die. */
async function daemonThatStarts(root: string, containers: Record<string, string>): Promise<number> {
  if (!existsSync(join(DIST, 'namespaces/supervisor.js'))) throw new Error(`run \`npm run build\` first: ${DIST} has no namespaces/supervisor.js`);
  const script = `
    import { Supervisor } from ${JSON.stringify(join(DIST, 'namespaces/supervisor.js'))};
    import { silentTracer } from ${JSON.stringify(join(DIST, 'trace/index.js'))};
    const s = new Supervisor({ root: ${JSON.stringify(root)}, tracer: silentTracer() });
    for (const [id, cmd] of Object.entries(${JSON.stringify(containers)})) await s.start(id, ['sh', '-c', cmd], { env: ${JSON.stringify(ENV)} });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`daemon stand-in exited ${code}`)));
  });
  return child.pid!;
}

describe('Supervisor', () => {
  beforeAll(ensureShimBuilt);

  it('keeps containers through a daemon SIGKILL and adopts them afterwards', async () => {
    const root = await newRoot();
    const daemonPid = await daemonThatStarts(root, {
      quick: 'echo start; sleep 2; echo done; exit 7',
      slow: 'sleep 4; echo slow done; exit 3',
    });
    process.kill(daemonPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const quick = JSON.parse(readFileSync(join(root, 'quick/state.json'), 'utf8'));
    expect(isAlive(quick.shimPid, quick.shimStartTime)).toBe(true); // the daemon's death is nothing to the shim

    // quick exits while no daemon runs; its shim writes the log and the exit code all the same.
    for (let i = 0; i < 60 && !(await readExit(join(root, 'quick'))); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await readExit(join(root, 'quick'))).toMatchObject({ code: 7, signal: 0 });
    const log = readFileSync(join(root, 'quick/container.log'), 'utf8');
    expect(log).toContain('"log":"start\\n"');
    expect(log).toContain('"log":"done\\n"');

    const sink = new MemorySink();
    const sup = new Supervisor({ root, tracer: new Tracer([sink]) });
    const events: SupervisorEvent[] = [];
    sup.on((e) => events.push(e));
    const adopted = await sup.adopt();
    expect(adopted.find((s) => s.id === 'quick')).toMatchObject({ status: 'exited', exitCode: 7 });
    expect(adopted.find((s) => s.id === 'slow')).toMatchObject({ status: 'running' });
    const slow = await sup.wait('slow', 'not-running');
    expect(slow).toMatchObject({ status: 'exited', exitCode: 3 });
    expect(await sup.inspect('slow')).toMatchObject({ status: 'exited', exitCode: 3 });
    expect(events.map((e) => `${e.action}:${e.id}`)).toEqual(expect.arrayContaining(['adopt:quick', 'adopt:slow', 'die:slow']));
    const ops = sink.events.map((e) => `${e.op}:${e.phase}`);
    expect(ops).toEqual(expect.arrayContaining(['supervisor.adopt:end', 'process.exit:end']));
    sup.close();
  });

  it('marks a container whose shim vanished without an exit file as exited 255', async () => {
    const root = await newRoot();
    const sup = new Supervisor({ root, tracer: new Tracer() });
    const st = await sup.start('lost', ['sleep', '30'], { env: ENV });
    sup.close();
    process.kill(st.shimPid, 'SIGKILL'); // the supervisor dies; the container lives on, unsupervised
    for (let i = 0; i < 50 && isAlive(st.shimPid, st.shimStartTime); i++) await new Promise((r) => setTimeout(r, 20));
    const [adopted] = await new Supervisor({ root, tracer: new Tracer() }).adopt();
    expect(adopted).toMatchObject({ id: 'lost', status: 'exited', exitCode: 255, error: 'supervisor died' });
  });

  it('kills with a signal (137), stops with SIGTERM then SIGKILL, waits, removes', async () => {
    const root = await newRoot();
    const sink = new MemorySink();
    const sup = new Supervisor({ root, tracer: new Tracer([sink]) });
    await sup.start('k', ['sleep', '30'], { env: ENV });
    await expect(sup.start('k', ['true'])).rejects.toMatchObject({ code: 'CONTAINER_RUNNING' });
    const next = sup.wait('k', 'next-exit');
    await sup.kill('k', 'SIGKILL');
    expect(await next).toMatchObject({ status: 'exited', exitCode: 137, exitSignal: 9 });
    await expect(sup.kill('k')).rejects.toMatchObject({ code: 'CONTAINER_NOT_RUNNING' });

    // A process that ignores SIGTERM is killed after the timeout; one that does not stops at once.
    await sup.start('stubborn', ['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"], { env: ENV });
    const t0 = Date.now();
    expect(await sup.stop('stubborn', 1)).toMatchObject({ exitCode: 137 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await sup.start('polite', ['sleep', '30'], { env: ENV });
    expect(await sup.stop('polite', 10)).toMatchObject({ exitCode: 143, exitSignal: 15 });

    // Restarting reuses the directory: a fresh exit, the log kept.
    await sup.start('k', ['sh', '-c', 'echo again; exit 5'], { env: ENV });
    expect(await sup.wait('k', 'next-exit')).toMatchObject({ exitCode: 5 });
    const removed = sup.wait('k', 'removed');
    await sup.remove('k');
    await removed;
    expect(existsSync(join(root, 'k'))).toBe(false);
    await expect(sup.inspect('k')).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    expect(sink.events.filter((e) => e.op === 'process.start' && e.phase === 'end').length).toBe(4);
    expect(sink.events.find((e) => e.op === 'process.exit')?.data).toMatchObject({ code: 137, signal: 9 });
    sup.close();
  });
});
