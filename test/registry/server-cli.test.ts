// `dockling registry` and `dockling registry gc` as a teacher runs them: the built CLI as a
// child process, on loopback with port 0 (the listening line says which port), stopped with
// SIGTERM like ^C; gc's output lists what it removes.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { call, digestOf, pushBlob, pushImage, randomBlob } from './server-harness.js';
import { tempDir } from '../tmp.js';

const MAIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'dist/engine/cli/main.js');
const exec = promisify(execFile);
const dockling = (...args: string[]) => exec(process.execPath, [MAIN, ...args]);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `dockling registry ARGS` and waits for its listening line. */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, 'registry', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d));
    void exited.then(() => fail(new Error(`dockling registry exited:\n${out}`)));
  });
  return { child, url, exited };
}

describe('dockling registry (the CLI)', () => {
  it('is built', () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run npm run build`).toBe(true);
  });

  it('serves until SIGTERM, then exits 0 and releases its data root', async () => {
    const dataRoot = join(await tempDir('dockling-registry-cli-'), 'data');
    const reg = await serve(['--listen', '127.0.0.1:0', '--data-root', dataRoot]);
    expect((await call(reg.url, '/v2/')).status).toBe(200);
    await pushImage(reg.url, 'room/app', 'v1');
    reg.child.kill('SIGTERM');
    expect(await reg.exited).toBe(0);
    expect(existsSync(join(dataRoot, 'registry.pid'))).toBe(false);
  });

  it('gc --dry-run lists the unreferenced blobs, gc removes them', async () => {
    const dataRoot = join(await tempDir('dockling-registry-cli-'), 'data');
    const reg = await serve(['--listen', '127.0.0.1:0', '--data-root', dataRoot]);
    await pushImage(reg.url, 'room/app', 'v1');
    const loose = randomBlob(123);
    await pushBlob(reg.url, 'room/app', loose);
    reg.child.kill('SIGTERM');
    await reg.exited;
    const dry = await dockling('registry', 'gc', '--data-root', dataRoot, '--dry-run');
    expect(dry.stdout).toContain(`would remove ${digestOf(loose)}\n`);
    expect(dry.stdout).toContain('3 blobs in use; 1 unreferenced (123 bytes) would be removed; 0 abandoned uploads would be removed\n');
    const real = await dockling('registry', 'gc', '--data-root', dataRoot);
    expect(real.stdout).toContain(`removed ${digestOf(loose)}\n`);
    expect(existsSync(join(dataRoot, 'blobs', 'sha256', digestOf(loose).slice(7)))).toBe(false);
  });

  it('refuses a bad listen address and a second registry on the same data root', async () => {
    await expect(dockling('registry', '--listen', 'nowhere', '--data-root', await tempDir('dockling-registry-cli-'))).rejects.toMatchObject({
      code: 1, stderr: expect.stringContaining('invalid listen address "nowhere"'),
    });
    const dataRoot = join(await tempDir('dockling-registry-cli-'), 'data');
    const reg = await serve(['--listen', '127.0.0.1:0', '--data-root', dataRoot]);
    await expect(dockling('registry', '--listen', '127.0.0.1:0', '--data-root', dataRoot)).rejects.toMatchObject({
      stderr: expect.stringContaining('the data root is in use'),
    });
    await expect(dockling('registry', 'gc', '--data-root', dataRoot)).rejects.toMatchObject({ stderr: expect.stringContaining('the data root is in use') });
    reg.child.kill('SIGTERM');
    expect(await reg.exited).toBe(0);
  });

  it('--help shows the flags and the gc form', async () => {
    const { stdout } = await dockling('registry', '--help');
    for (const flag of ['--listen', '--data-root', '--htpasswd', '--read-only', '--proxy', '--proxy-username', '--proxy-password']) expect(stdout).toContain(flag);
    expect(stdout).toContain('dockling registry gc');
  });
});
