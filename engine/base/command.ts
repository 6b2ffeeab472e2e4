// Running host commands (mknod, setfattr, busybox, ldd …). The engine drives the kernel through
// commands a reader could type, so every one is traced with its argv and exit status, and a
// failure names the command, its status and what it printed on stderr.
import { spawn } from 'node:child_process';
import { EngineError } from './errors.js';
import { SpawnServer } from './spawn-server.js';
import type { Span } from '../trace/index.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  status: number;
}

export interface RunOptions {
  /** The span to record the command under, as an `exec` event. */
  span?: Span;
  input?: string | Buffer;
  cwd?: string;
  /** The whole environment of the command; absent: this process's. */
  env?: Record<string, string>;
  /** Do not throw on a non-zero exit; return the status instead. */
  allowFailure?: boolean;
}

let server: SpawnServer | undefined;

/**
 * From now on, run() forks through the fork server at `binary` (engine/daemon/dockling-spawn.c):
 * the daemon calls this at start-up. Without it, run() uses child_process.spawn.
 */
export function useSpawnServer(binary: string | null): void {
  server?.close();
  server = binary ? new SpawnServer(binary) : undefined;
}

function finish(argv: string[], opts: RunOptions, result: CommandResult): CommandResult {
  opts.span?.event('exec', { argv, status: result.status });
  if (result.status !== 0 && !opts.allowFailure) {
    throw new EngineError({
      code: 'COMMAND_FAILED',
      kind: 'internal',
      message: `${argv.join(' ')} exited with status ${result.status}: ${result.stderr.trim()}`,
      data: { argv, status: result.status, stderr: result.stderr },
    });
  }
  return result;
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
  if (server) {
    const r = await server.run({ argv, cwd: opts.cwd, env: opts.env, input: opts.input });
    return finish(argv, opts, { stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: r.status });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new EngineError({ code: 'COMMAND_NOT_FOUND', kind: 'unavailable', message: `cannot run ${argv[0]}: ${e.message}`, data: { argv }, cause: e })),
    );
    child.on('close', (status) => {
      try {
        resolve(finish(argv, opts, { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: status ?? -1 }));
      } catch (e) {
        reject(e);
      }
    });
    // A child that exits without reading its stdin makes the write fail with EPIPE; that is not
    // an error of ours (its exit status says what happened), so it must not crash the process.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Whether a command exists on PATH (or at an absolute path). */
export async function hasCommand(name: string): Promise<boolean> {
  const r = await run(['sh', '-c', `command -v ${JSON.stringify(name)}`], { allowFailure: true }).catch(() => null);
  return !!r && r.status === 0;
}
