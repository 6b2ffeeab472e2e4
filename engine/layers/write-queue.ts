// Regular files are written by a thread of their own (chapter 1 "layers", used by unpack.ts).
// The unpacker's main thread parses the tar and hashes both streams while gunzip runs in libuv's
// threadpool. If it also made every open/write/close itself, a disk that stalls would stall the
// parsing and hashing too — GNU's `gzip -dc | tar -x` keeps decompressing while tar waits. So
// regular files go to a writer thread (worker_threads), which runs the same synchronous calls
// the unpacker used to, one file after another, in the order they were queued:
//
//   main thread:   parse ─▶ copy the file's bytes into a batch ─▶ postMessage(batch) ──┐
//   writer thread: open(O_CREAT|O_EXCL|O_NOFOLLOW) ─▶ write… ─▶ fchown ─▶ fchmod ─▶ futimes ─▶ close
//
// Batches carry many small files (one message, one wake-up, not one per syscall: on two cores a
// threadpool hand-off per syscall costs more than it saves) and at most a few are in flight, so
// memory stays flat whatever the layer's size; a big file simply spans batches.
//
// The queue knows nothing about tar or path safety: ordering is the unpacker's job, which calls
// `drain()` before anything that reads or removes what a queued write may touch. The first failed
// call is kept and thrown — as the same errno error the synchronous call throws — by the next
// `room()` or `drain()`.
import { Worker } from 'node:worker_threads';
import { storageFailure } from '../base/index.js';

/** One regular file to create. */
export interface FileJob {
  /** Absolute path; it must not exist, and a symlink there is not followed. */
  path: string;
  /** The mode passed to open(2) (the umask applies). */
  createMode: number;
  /** Set after chown, when the create mode could not give the exact bits. */
  chmod?: number;
  chown?: { uid: number; gid: number };
  mtime: number;
}

export interface WriteLimits {
  /** Batches posted to the writer and not yet done. */
  batches: number;
  /** Bytes in one batch (one copy of the files' bytes). */
  batchBytes: number;
  /** Files in one batch. */
  batchFiles: number;
}

/** What a batch asks the writer to do, in order; `write` takes the next `n` bytes of the batch. */
type Op =
  | { t: 'open'; path: string; mode: number }
  | { t: 'write'; n: number }
  | { t: 'end'; chown?: { uid: number; gid: number }; chmod?: number; mtime: number };

interface Batch {
  ops: Op[];
  data: ArrayBuffer;
}

type Reply = { done: ArrayBuffer } | { error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

/**
 * The writer thread's whole program. It is handed to the Worker as source text (`eval`), so it
 * runs the same from the compiled engine and from the TypeScript sources the tests load: it must
 * stay self-contained — no imports, nothing from the enclosing module.
 */
function writerThread(): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  let fd = -1;
  let path = ''; // the file being written: a failed write(2) on its fd names no path itself
  let failed = false;
  parentPort!.on('message', ({ ops, data }: Batch) => {
    const bytes = Buffer.from(data);
    let off = 0;
    for (const op of ops) {
      if (failed) break;
      try {
        if (op.t === 'open') {
          path = op.path;
          fd = fs.openSync(op.path, CREATE, op.mode);
        }
        else if (op.t === 'write') {
          const end = off + op.n;
          while (off < end) off += fs.writeSync(fd, bytes, off, end - off);
        } else {
          // Ownership before mode: chown(2) clears setuid/setgid.
          if (op.chown) fs.fchownSync(fd, op.chown.uid, op.chown.gid);
          if (op.chmod !== undefined) fs.fchmodSync(fd, op.chmod);
          fs.futimesSync(fd, op.mtime, op.mtime);
          const f = fd;
          fd = -1;
          fs.closeSync(f);
        }
      } catch (err) {
        failed = true;
        if (fd >= 0) fs.closeSync(fd);
        fd = -1;
        const e = err as NodeJS.ErrnoException;
        parentPort!.postMessage({ error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path ?? path } });
      }
    }
    // The block goes back to be filled again: memory stays a few blocks, not what the writer's
    // garbage collector has not got round to.
    parentPort!.postMessage({ done: data }, [data]);
  });
}

// #region writer-pool
// Starting a thread costs tens of milliseconds — more than writing a small layer. So a writer
// that ended cleanly waits in this pool for the next unpack instead of exiting; a few are kept,
// and an idle one does not keep the process alive (unref). One that reported a failure exits:
// its thread stops writing after the first error, by design.
const IDLE_WRITERS = 3;
const idle: Worker[] = [];

function takeWriter(): Worker {
  const w = idle.pop() ?? new Worker(`(${writerThread.toString()})()`, { eval: true });
  w.removeAllListeners();
  w.ref();
  return w;
}

function giveBack(w: Worker): Promise<void> | void {
  w.removeAllListeners();
  if (idle.length >= IDLE_WRITERS) return w.terminate().then(() => undefined);
  w.unref();
  w.once('exit', () => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  });
  w.on('error', () => {});
  idle.push(w);
}
// #endregion writer-pool

/** The files being written by one unpack: one writer thread (from the pool) from the first file. */
export class WriteQueue {
  private worker: Worker | null = null;
  private ops: Op[] = [];
  private files = 0;
  /** The batch's bytes: `data` is a view of `block`, which is handed over to the writer. */
  private block: ArrayBuffer | null = null;
  private spare: ArrayBuffer[] = [];
  private data: Buffer | null = null;
  private used = 0;
  private inflight = 0;
  private current: FileJob | null = null;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly limits: WriteLimits = { batches: 6, batchBytes: 1 << 20, batchFiles: 256 }) {}

  /** Whether the caller should wait (`room()`) before queueing more. */
  get full(): boolean {
    return this.inflight >= this.limits.batches || this.failure !== null;
  }

  /** Starts a file; its bytes follow with `write`, and `end` finishes it. One file at a time. */
  begin(job: FileJob): void {
    this.current = job;
    this.ops.push({ t: 'open', path: job.path, mode: job.createMode });
  }

  write(chunk: Buffer): void {
    for (let off = 0; off < chunk.length; ) {
      if (this.data === null || this.used === this.data.length) {
        if (this.used > 0) this.post();
        this.block = this.spare.pop() ?? new ArrayBuffer(this.limits.batchBytes);
        this.data = Buffer.from(this.block);
      }
      const n = chunk.copy(this.data, this.used, off);
      this.ops.push({ t: 'write', n });
      this.used += n;
      off += n;
    }
  }

  end(): void {
    const { chown, chmod, mtime } = this.current!;
    this.current = null;
    this.ops.push({ t: 'end', chown, chmod, mtime });
    if (++this.files >= this.limits.batchFiles) this.post();
  }

  /** Resolves once another batch may be queued; throws the first failed write's error. */
  async room(): Promise<void> {
    while (this.full && this.failure === null) await this.changed();
    if (this.failure) throw this.failure;
  }

  /** Resolves once every queued file is on disk (closed); throws the first failure. */
  async drain(): Promise<void> {
    this.post();
    await this.settled();
    if (this.failure) throw this.failure;
  }

  /** Waits for every posted batch, failed or not, then lets the writer thread go (to the pool when it never failed). */
  async close(): Promise<void> {
    await this.settled();
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    if (this.failure) await w.terminate();
    else await giveBack(w);
  }

  private async settled(): Promise<void> {
    while (this.inflight > 0) await this.changed();
  }

  /** Sends what has been queued so far (a file may continue in the next batch). */
  private post(): void {
    if (this.ops.length === 0) return;
    const data = this.block ?? new ArrayBuffer(0);
    const batch: Batch = { ops: this.ops, data };
    this.ops = [];
    this.files = 0;
    this.block = null;
    this.data = null;
    this.used = 0;
    this.inflight++;
    (this.worker ??= this.start()).postMessage(batch, [data]);
  }

  private start(): Worker {
    const w = takeWriter();
    w.on('message', (r: Reply) => {
      // A full disk says which file it was writing (`write /…/fs/big: no space left on device`).
      if ('error' in r) this.failure ??= storageFailure(Object.assign(new Error(r.error.message), r.error), { path: r.error.path ?? '', code: 'LAYER_WRITE' }) as Error;
      else {
        this.inflight--;
        if (r.done.byteLength === this.limits.batchBytes) this.spare.push(r.done);
      }
      this.wake();
    });
    // The thread itself died (out of memory, a bug): nothing more will come back.
    const dead = (err: Error) => {
      this.failure ??= err;
      this.inflight = 0;
      this.wake();
    };
    w.on('error', dead);
    w.on('exit', (code) => this.worker === w && dead(new Error(`layer writer thread exited (${code})`)));
    return w;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
