// The tracer: hands out spans and writes their events to sinks. It is passed to every store
// and operation explicitly (no global tracer), so a test can give each operation its own
// in-memory sink and the daemon can give everything one file and one live stream.
import { randomBytes } from 'node:crypto';
import type { Chapter, Facts, TraceEvent, TraceSink } from './types.js';
import { TRACE_VERSION } from './format.js';

export class Span {
  readonly id: string;
  private readonly started = performance.now();
  private done = false;

  constructor(
    private readonly tracer: Tracer,
    readonly chapter: Chapter,
    readonly op: string,
    readonly parent: string | null,
  ) {
    this.id = tracer.nextId();
  }

  /** A fact learned mid-way (a layer finished, a blob was skipped). */
  event(op: string, data: Facts = {}): void {
    this.tracer.emit({ span: this.id, parent: this.parent, chapter: this.chapter, op, phase: 'event', data });
  }

  /** A child span: its events carry this span as parent. */
  child(chapter: Chapter, op: string, data: Facts = {}): Span {
    return this.tracer.start(chapter, op, data, this.id);
  }

  end(data: Facts = {}): void {
    if (this.done) return;
    this.done = true;
    this.tracer.emit({ span: this.id, parent: this.parent, chapter: this.chapter, op: this.op, phase: 'end', ms: this.elapsed(), data });
  }

  fail(err: unknown, data: Facts = {}): void {
    if (this.done) return;
    this.done = true;
    const e = err as { code?: unknown; message?: unknown };
    const error = { code: typeof e?.code === 'string' ? e.code : 'INTERNAL', message: String(e?.message ?? err) };
    this.tracer.emit({ span: this.id, parent: this.parent, chapter: this.chapter, op: this.op, phase: 'error', ms: this.elapsed(), data, error });
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 1000) / 1000;
  }
}

export class Tracer {
  private counter = 0;
  private readonly prefix = randomBytes(3).toString('hex');

  constructor(private readonly sinks: TraceSink[] = []) {}

  addSink(sink: TraceSink): void {
    this.sinks.push(sink);
  }

  removeSink(sink: TraceSink): void {
    const i = this.sinks.indexOf(sink);
    if (i >= 0) this.sinks.splice(i, 1);
  }

  nextId(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }

  start(chapter: Chapter, op: string, data: Facts = {}, parent: string | null = null): Span {
    const span = new Span(this, chapter, op, parent);
    this.emit({ span: span.id, parent, chapter, op, phase: 'start', data });
    return span;
  }

  /**
   * Runs `fn` inside a span: ends it with the facts `fn` returns in `facts`, or fails it with
   * the error `fn` throws (and rethrows). The usual way engine code is traced.
   */
  async span<T>(
    where: { chapter: Chapter; op: string; data?: Facts; parent?: Span | null },
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    const span = this.start(where.chapter, where.op, where.data ?? {}, where.parent?.id ?? null);
    try {
      const result = await fn(span);
      span.end();
      return result;
    } catch (err) {
      span.fail(err);
      throw err;
    }
  }

  /** Stamps the event with the format version (format.ts) and the time, and hands it to every sink. */
  emit(partial: Omit<TraceEvent, 'v' | 't'>): void {
    const event: TraceEvent = { v: TRACE_VERSION, t: Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000, ...partial };
    for (const sink of this.sinks) sink.write(event);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close?.();
  }
}

/** A tracer that records nothing: for callers that do not care (benchmarks, one-off tools). */
export function silentTracer(): Tracer {
  return new Tracer([]);
}
