// A command under a real pseudo-terminal without node-pty: util-linux `script -qfec CMD
// /dev/null` allocates a pty, runs CMD on its slave and copies our pipe into the master (so what
// we write is "typed") and the master's output to our pipe. `stty rows R cols C` first gives the
// terminal a size, which is what `-t` reads for ConsoleSize. busybox's line editor asks the
// terminal where the cursor is (ESC [6n); nothing answers here, and it carries on without.
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtySession {
  child: ChildProcess;
  /** Everything the terminal showed so far. */
  output(): string;
  /** Types `text` (use \r for Enter, as a terminal sends it). */
  type(text: string): void;
  /** Resolves with the output once `pattern` matches what came after `from` (default: all of it). */
  waitFor(pattern: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** The command's exit code. */
  exit: Promise<number>;
}

export function ptySession(cmd: string, size = { rows: 30, cols: 100 }, env: Record<string, string> = {}): PtySession {
  const shell = `stty rows ${size.rows} cols ${size.cols}; ${cmd}`;
  const child = spawn('script', ['-qfec', shell, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => undefined);
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 1 : 0))));
  return {
    child,
    output: () => out,
    type: (text) => void child.stdin!.write(text),
    exit,
    waitFor(pattern, opts = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out.slice(opts.from ?? 0))) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(out);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} in the terminal's output: ${JSON.stringify(out)}`));
        }, opts.timeoutMs ?? 15_000);
        listeners.add(check);
        check();
      });
    },
  };
}
