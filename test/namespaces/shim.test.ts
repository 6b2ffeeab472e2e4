// Chapter 3: dockling-shim for real — logs in Docker's json-file format (streams kept apart,
// escaping, long and partial lines, invalid UTF-8), exit codes and signals, stdin through the
// FIFO, early failures, and what one shim costs in memory (PSS).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, openStdin, readExit, shimBinaryPath, startShim, waitExit, type ShimStart } from '../../engine/namespaces/shim.js';
import { tempDir } from '../tmp.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** The build line package.json runs, done here when a test runs before a full build. */
function ensureShimBuilt(): void {
  const out = fileURLToPath(new URL('../../dist/engine/namespaces/dockling-shim', import.meta.url));
  if (existsSync(out)) return;
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync('cc', ['-static', '-Os', '-Wall', '-o', out, fileURLToPath(new URL('../../engine/namespaces/dockling-shim.c', import.meta.url))]);
}

const started: ShimStart[] = [];
afterEach(() => {
  // Leave the host as found: every container and shim this file started, by pid and start time.
  for (const s of started.splice(0)) {
    if (isAlive(s.pid, s.pidStart)) process.kill(s.pid, 'SIGKILL');
  }
});

async function run(argv: string[], opts: { stdin?: boolean } = {}) {
  const stateDir = await tempDir('dockling-shim-');
  const s = await startShim({ stateDir, argv, env: ENV, stdin: opts.stdin });
  started.push(s);
  return { stateDir, ...s };
}

async function finish(stateDir: string, shimPid: number) {
  const exit = await waitExit({ stateDir, shimPid, pollMs: 100 });
  const raw = readFileSync(join(stateDir, 'container.log'), 'utf8');
  const entries = raw.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  return { exit, raw, entries };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error('condition not met in time');
  }
}

const RFC3339NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/;

describe('dockling-shim', () => {
  beforeAll(ensureShimBuilt);

  it('is found next to the compiled engine', () => {
    expect(existsSync(shimBinaryPath())).toBe(true);
  });

  it('keeps stdout and stderr apart, each in order, and records the exit code', async () => {
    const c = await run(['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; exit 7']);
    const { exit, entries } = await finish(c.stateDir, c.shimPid);
    expect(exit).toMatchObject({ code: 7, signal: 0, oomKilled: false });
    expect(exit.finishedAt).toMatch(RFC3339NANO);
    expect(entries.filter((e) => e.stream === 'stdout').map((e) => e.log)).toEqual(['out1\n', 'out2\n', 'out3\n']);
    expect(entries.filter((e) => e.stream === 'stderr').map((e) => e.log)).toEqual(['err1\n', 'err2\n', 'err3\n']);
    expect(await readExit(c.stateDir)).toEqual(exit);
    await until(() => !isAlive(c.shimPid)); // the shim exits right after writing exit
  });

  it('escapes like Docker: quotes, backslash, controls, <>&, U+2028, invalid UTF-8 as \\ufffd', async () => {
    // coreutils printf: \NNN is an octal byte. \377 is never valid UTF-8; \303\251 is é.
    const c = await run(['/usr/bin/printf', 'a"b\\\\c\\t<>&\\001\\377\\303\\251\\342\\200\\250 end']);
    const { raw, entries } = await finish(c.stateDir, c.shimPid);
    expect(raw.split('\n')[0]).toMatch(/^\{"log":"a\\"b\\\\c\\t\\u003c\\u003e\\u0026\\u0001\\ufffdé\\u2028 end","stream":"stdout","time":"[^"]+"\}$/);
    expect(entries).toHaveLength(1); // a partial last line is flushed as is, without "\n"
    expect(entries[0]!.log).toBe('a"b\\c\t<>&\u0001\ufffdé\u2028 end');
  });

  it('stamps each line with an RFC3339Nano UTC time (Go style: trailing zeros trimmed)', async () => {
    const before = Date.now();
    const c = await run(['sh', '-c', 'echo a; echo b; echo c']);
    const { entries } = await finish(c.stateDir, c.shimPid);
    for (const e of entries) {
      expect(e.time).toMatch(RFC3339NANO);
      const ms = Date.parse(e.time);
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('cuts a 1 MiB line into 16 KiB entries that join back to the line', async () => {
    const c = await run(['sh', '-c', "head -c 1048576 /dev/zero | tr '\\0' a; echo"]);
    const { entries } = await finish(c.stateDir, c.shimPid);
    expect(entries.every((e) => Buffer.byteLength(e.log) <= 16384)).toBe(true);
    expect(entries.length).toBeGreaterThanOrEqual(64);
    expect(entries.map((e) => e.log).join('')).toBe('a'.repeat(1 << 20) + '\n');
  });

  it('records a container killed by SIGKILL as 137, signal 9', async () => {
    const c = await run(['sleep', '30']);
    expect(isAlive(c.pid, c.pidStart)).toBe(true);
    process.kill(c.pid, 'SIGKILL');
    const { exit } = await finish(c.stateDir, c.shimPid);
    expect(exit).toMatchObject({ code: 137, signal: 9 });
  });

  it('relays the stdin FIFO: cat echoes what is written, EOF when the writer closes', async () => {
    const c = await run(['cat'], { stdin: true });
    await new Promise((r) => setTimeout(r, 200)); // no writer yet must not mean EOF
    expect(isAlive(c.pid, c.pidStart)).toBe(true);
    const w = openStdin(c.stateDir);
    w.write('hello\n');
    w.end('world\n');
    const { exit, entries } = await finish(c.stateDir, c.shimPid);
    expect(exit.code).toBe(0);
    expect(entries.map((e) => e.log).join('')).toBe('hello\nworld\n');
    expect(existsSync(join(c.stateDir, 'stdin'))).toBe(false);
  });

  it('reports an exec failure synchronously as SHIM_START_FAILED, with the shim stderr', async () => {
    const stateDir = await tempDir('dockling-shim-');
    const err = await startShim({ stateDir, argv: ['/nonexistent/cmd'], env: ENV }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SHIM_START_FAILED' });
    expect((err as { data: { stderr: string } }).data.stderr).toContain('exec /nonexistent/cmd');
    expect(existsSync(join(stateDir, 'start.json'))).toBe(false);
  });

  it('costs little: 50 shims running sleep, their mean PSS', async () => {
    const shims: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < 50; i++) shims.push(await run(['sleep', '30']));
    const pss = shims.map((s) => Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${s.shimPid}/smaps_rollup`, 'utf8'))![1]));
    const mean = pss.reduce((a, b) => a + b, 0) / pss.length;
    console.log(`dockling-shim PSS per container (50 running): mean ${mean.toFixed(1)} KiB, max ${Math.max(...pss)} KiB`);
    expect(shims.filter((s) => isAlive(s.shimPid, s.shimStart)).length).toBe(50);
    for (const s of shims) process.kill(s.pid, 'SIGKILL');
    const exits = await Promise.all(shims.map((s) => waitExit({ stateDir: s.stateDir, shimPid: s.shimPid, pollMs: 100 })));
    expect(exits.every((e) => e.code === 137)).toBe(true);
    await until(() => shims.every((s) => !isAlive(s.shimPid, s.shimStart)));
  });
});
