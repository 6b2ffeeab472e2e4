// The three places trace events go: memory (tests and `trace record`), a JSON-lines file under
// the data root (what the site replays), and a live stream (what the daemon serves to a
// following browser or `dockling trace`).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import type { TraceEvent, TraceSink } from './types.js';

export class MemorySink implements TraceSink {
  readonly events: TraceEvent[] = [];
  write(event: TraceEvent): void {
    this.events.push(event);
  }
  /** The events of one operation, in order: handy in tests. */
  ops(): string[] {
    return this.events.map((e) => `${e.op}:${e.phase}`);
  }
}

/**
 * The trace file. Tracing must never take the daemon down: on a full disk (or a read-only data
 * root) the stream's write fails with ENOSPC, and a WriteStream's 'error' with no listener is
 * an uncaught exception — that crashed the daemon in the middle of a commit (found by
 * test/reliability/disk-full.test.ts). So a failed file is reported once on stderr, events are
 * dropped meanwhile, and the file is opened again a few seconds later.
 */
export class JsonlFileSink implements TraceSink {
  private out: WriteStream | null = null;
  private failedAt = 0;
  constructor(readonly path: string, private readonly retryMs = 5000) {
    mkdirSync(dirname(path), { recursive: true });
    this.open();
  }
  private open(): WriteStream {
    const out = createWriteStream(this.path, { flags: 'a' });
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (this.out !== out) return;
      this.out = null;
      this.failedAt = Date.now();
      process.stderr.write(`dockling: trace file ${this.path}: ${err.code ?? err.message}; events are dropped until it can be written again\n`);
    });
    this.out = out;
    return out;
  }
  write(event: TraceEvent): void {
    const out = this.out ?? (Date.now() - this.failedAt >= this.retryMs ? this.open() : null);
    out?.write(JSON.stringify(event) + '\n');
  }
  close(): Promise<void> {
    const out = this.out;
    this.out = null;
    return new Promise((resolve) => (out && !out.destroyed ? out.end(() => resolve()) : resolve()));
  }
}

/** Fans events out to live listeners; keeps the last `keep` events so a new listener has context. */
export class StreamSink implements TraceSink {
  private readonly emitter = new EventEmitter();
  private readonly recent: TraceEvent[] = [];
  constructor(private readonly keep = 1000) {
    this.emitter.setMaxListeners(0);
  }
  write(event: TraceEvent): void {
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.shift();
    this.emitter.emit('event', event);
  }
  history(): TraceEvent[] {
    return [...this.recent];
  }
  subscribe(listener: (event: TraceEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
