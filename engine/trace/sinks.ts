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

export class JsonlFileSink implements TraceSink {
  private readonly out: WriteStream;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a' });
  }
  write(event: TraceEvent): void {
    this.out.write(JSON.stringify(event) + '\n');
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
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
