// The daemon's live trace, numbered (chapter 6, live mode). The StreamSink the daemon already
// fans events out with keeps the recent ones; this gives each one a number in the order it was
// written — 1, 2, 3 … from the daemon's start (what the sink still held when the listener opened
// comes first) — so that a follower can say "after 41" (an EventSource's Last-Event-ID when it
// reconnects, or ?since=41) and miss nothing, or be told which events it missed when they are
// no longer kept.
import type { StreamSink, TraceEvent } from '../../trace/index.js';

export interface NumberedEvent {
  id: number;
  event: TraceEvent;
}

/** What a follower gets when it asks for the events after some id. */
export interface Catchup {
  events: NumberedEvent[];
  /** Ids it asked for that are no longer kept (older than the oldest kept), or null. */
  missed: { from: number; to: number } | null;
  /** The id was one this daemon never gave (a follower of an earlier run): everything kept follows. */
  restarted: boolean;
}

export class TraceFeed {
  private readonly kept: NumberedEvent[] = [];
  private readonly listeners = new Set<(e: NumberedEvent) => void>();
  private last = 0;
  private readonly unsubscribe: () => void;

  /** Starts with the events the stream still holds; history and subscribe run in one tick, so none fall between. */
  constructor(
    stream: StreamSink,
    private readonly keep = 1000,
  ) {
    for (const e of stream.history()) this.add(e);
    this.unsubscribe = stream.subscribe((e) => this.add(e));
  }

  get lastId(): number {
    return this.last;
  }

  /** The oldest id still kept, or null before the first event. */
  get oldestId(): number | null {
    return this.kept[0]?.id ?? null;
  }

  /** The newest `limit` events kept, oldest first. */
  recent(limit = this.keep): NumberedEvent[] {
    return this.kept.slice(Math.max(0, this.kept.length - limit));
  }

  /** The kept events after `id`. */
  after(id: number): Catchup {
    if (id > this.last) return { events: [...this.kept], missed: null, restarted: true };
    const oldest = this.kept[0]?.id ?? this.last + 1;
    const missed = id + 1 < oldest ? { from: id + 1, to: oldest - 1 } : null;
    return { events: this.kept.filter((e) => e.id > id), missed, restarted: false };
  }

  subscribe(listener: (e: NumberedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private add(event: TraceEvent): void {
    const numbered = { id: ++this.last, event };
    this.kept.push(numbered);
    if (this.kept.length > this.keep) this.kept.shift();
    for (const l of this.listeners) l(numbered);
  }
}
