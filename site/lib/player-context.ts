// What a <TracePlayer> hands the diagram inside it (issue 7): the trace's checked events and
// the player's cursor, both reactive. A diagram injects this and draws stateAt(events, cursor);
// it never reads the trace or the clock itself, so a replay is the same picture every time.
import type { ComputedRef, InjectionKey } from 'vue';
import type { TraceEvent } from '../../engine/trace/types.js';

export interface PlayerContext {
  events: ComputedRef<readonly TraceEvent[]>;
  /** How many events have happened (0..events.length). */
  cursor: ComputedRef<number>;
}

export const playerKey: InjectionKey<PlayerContext> = Symbol('dockling-trace-player');

/** One fact of an event as the player shows it: short, one line. */
export function factText(value: unknown): string {
  const s = typeof value === 'string' ? value.replace(/^sha256:([0-9a-f]{12})[0-9a-f]+$/, 'sha256:$1…') : JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
