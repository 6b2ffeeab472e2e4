// The fork server's client (see engine/daemon/dockling-spawn.c for why it exists): commands
// are written to one long-lived helper as requests and come back as replies, so the daemon's
// main thread never forks its own large self. `run()` (command.ts) uses it once the daemon has
// called useSpawnServer(); tests and the CLI keep plain child_process.spawn.
import { spawn, type ChildProcess } from 'node:child_process';
import { EngineError } from './errors.js';

export interface SpawnRequest {
  argv: string[];
  cwd?: string;
  /** The whole environment; absent: the helper's own (the daemon's, when it started). */
  env?: Record<string, string>;
  input?: string | Buffer;
}

export interface SpawnReply {
  status: number;
  stdout: Buffer;
  stderr: Buffer;
}

interface Pending {
  argv: string[];
  resolve: (r: SpawnReply) => void;
  reject: (e: Error) => void;
}

export class SpawnServer {
  private child?: ChildProcess;
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly binary: string) {}

  /** Runs one command through the helper (started on first use, and again if it died). */
  run(req: SpawnRequest): Promise<SpawnReply> {
    const child = this.child ?? this.startHelper();
    const id = `r${++this.next}`;
    const env = req.env ? Object.entries(req.env).map(([k, v]) => `${k}=${v}`) : [];
    const input = req.input === undefined ? Buffer.alloc(0) : Buffer.from(req.input);
    const fields = [id, req.cwd ?? '', String(env.length), ...env, String(req.argv.length), ...req.argv, String(input.length)];
    if (fields.some((f) => f.includes('\0'))) return Promise.reject(new EngineError({ code: 'COMMAND_INVALID', kind: 'invalid-argument', message: `a NUL byte in the command ${req.argv.join(' ')}`, data: { argv: req.argv } }));
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.hold(child, true);
      this.pending.set(id, { argv: req.argv, resolve, reject });
      child.stdin!.write(Buffer.concat([Buffer.from(fields.map((f) => `${f}\0`).join('')), input]));
    });
  }

  /** Stops the helper (commands it started keep running). */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private startHelper(): ChildProcess {
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => this.onData(b));
    child.stdin!.on('error', () => {}); // its death is reported by 'exit' below
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new EngineError({ code: 'SPAWN_SERVER_DIED', kind: 'unavailable', message: `the fork server ${this.binary} ${why} while running ${p.argv.join(' ')}`, data: { argv: p.argv } }));
      }
    };
    child.on('error', (e) => gone(`could not start: ${e.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.hold(child, false);
    return child;
  }

  /** An idle helper does not keep the process alive; one with commands in flight does. */
  private hold(child: ChildProcess, busy: boolean): void {
    const handles = [child, child.stdout, child.stdin] as unknown as Array<{ ref?: () => void; unref?: () => void }>;
    for (const h of handles) (busy ? h.ref : h.unref)?.call(h);
  }

  /** Replies: "ID STATUS NOUT NERR\n" then the two outputs. */
  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const nl = this.buffered.indexOf(10);
      if (nl < 0) return;
      const [id, status, nout, nerr] = this.buffered.subarray(0, nl).toString('latin1').split(' ') as [string, string, string, string];
      const size = Number(nout) + Number(nerr);
      if (this.buffered.length < nl + 1 + size) return;
      const body = this.buffered.subarray(nl + 1, nl + 1 + size);
      this.buffered = this.buffered.subarray(nl + 1 + size);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (this.pending.size === 0 && this.child) this.hold(this.child, false);
      if (status.startsWith('E')) {
        const errno = Number(status.slice(1));
        p.reject(new EngineError({ code: 'COMMAND_NOT_FOUND', kind: 'unavailable', message: `cannot run ${p.argv[0]}: ${errno === 2 ? 'no such file or directory' : `errno ${errno}`}`, data: { argv: p.argv, errno } }));
      } else {
        p.resolve({ status: Number(status), stdout: Buffer.from(body.subarray(0, Number(nout))), stderr: Buffer.from(body.subarray(Number(nout))) });
      }
    }
  }
}
