// Test harness for the daemon and CLI suites: starts a real `dockling daemon` child process on
// a socket in its own temporary directory, talks HTTP to it, runs the built CLI (and the real
// docker CLI), and removes everything afterwards. Needs `npx tsc -p .` first (dist/).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';

/** The checkout: the first folder above this file that holds package.json (this file runs from
 *  test/daemon/ under vitest, and from dist/test/daemon/ when compiled, as the try-it runner is). */
export const ROOT = (() => {
  for (let dir = resolve(fileURLToPath(new URL('.', import.meta.url))); ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === resolve(dir, '..')) throw new Error('no package.json above the test harness');
  }
})();
export const MAIN = join(ROOT, 'dist/engine/cli/main.js');
export const DOCKER = '/usr/local/bin/docker';

export interface RunningDaemon {
  dir: string;
  dataRoot: string;
  sock: string;
  host: string;
  child: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
}

/**
 * `args` go to `dockling daemon` (e.g. `--bridge`, `--bip`); `dir` reuses a directory (and its
 * data root) a killed daemon left, to test what a restarted daemon finds.
 */
export async function startDaemon(opts: { args?: string[]; dir?: string } = {}): Promise<RunningDaemon> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'dkl-')));
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'd.sock');
  await rm(sock, { force: true });
  const child = spawn(process.execPath, [MAIN, 'daemon', '--data-root', dataRoot, '-H', `unix://${sock}`, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited early (${child.exitCode}):\n${output}`);
    if (existsSync(sock)) {
      const ok = await api(sock, 'GET', '/_ping').then((r) => r.status === 200, () => false);
      if (ok) break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`daemon did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dir, dataRoot, sock, host: `unix://${sock}`, child, logs: () => output, stop };
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: <T = any>() => T;
}

export function api(sock: string, method: string, path: string, opts: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath: sock, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolvePromise({ status: res.statusCode!, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: Buffer; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code: code ?? -1, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** Runs the built `dockling` CLI against a daemon (or against nothing, with host omitted). */
export function dockling(host: string | undefined, args: string[], opts: { input?: Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { input: opts.input, env: { ...(host ? { DOCKLING_HOST: host } : {}), ...opts.env } });
}

/** A small tar of regular files (and directories for their parents), made in memory. */
export async function makeTar(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  const dirs = new Set<string>();
  for (const name of Object.keys(files)) {
    const parts = name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort()) p.entry({ name: `${d}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Imports a tar as REF through the API; returns the image ID. */
export async function importTar(sock: string, ref: string, files: Record<string, string> = { 'etc/hostname': 'dockling\n' }): Promise<string> {
  const res = await api(sock, 'POST', `/v1.50/images/create?fromSrc=-&repo=${encodeURIComponent(ref)}`, {
    body: await makeTar(files),
    headers: { 'Content-Type': 'application/x-tar' },
  });
  if (res.status !== 200) throw new Error(`import failed: ${res.status} ${res.text}`);
  const msgs = res.text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l));
  const status = msgs.find((m) => typeof m.status === 'string');
  if (!status) throw new Error(`import failed: ${res.text}`);
  return status.status;
}
