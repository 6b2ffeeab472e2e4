// What a <TracePlayer> hands the diagram inside it (issue 7): the trace's checked events and
// the player's cursor, both reactive. A diagram injects this and draws stateAt(events, cursor);
// it never reads the trace or the clock itself, so a replay is the same picture every time.
import { computed, inject, type ComputedRef, type InjectionKey } from 'vue';
import type { TraceEvent } from '../../engine/trace/types.js';
import type { LiveState } from './live-state.js';

export interface PlayerContext {
  events: ComputedRef<readonly TraceEvent[]>;
  /** How many events have happened (0..events.length). */
  cursor: ComputedRef<number>;
  /** The daemon's state snapshots while following live (live-state.ts); null in a replay. */
  state: ComputedRef<LiveState | null>;
}

export const playerKey: InjectionKey<PlayerContext> = Symbol('dockling-trace-player');

/**
 * What a diagram draws: its own `events`/`cursor` props when given, else its <TracePlayer>'s.
 * A diagram with neither is a page's mistake, said by name rather than drawn empty.
 */
export function usePlayerTrace(who: string, props: { events?: readonly TraceEvent[]; cursor?: number; state?: LiveState | null } = {}): PlayerContext {
  const player = inject(playerKey, null);
  if (!player && props.events === undefined) throw new Error(`<${who}> draws a trace: put it inside <TracePlayer trace="…">, or give it events`);
  return {
    events: computed(() => props.events ?? player?.events.value ?? []),
    cursor: computed(() => props.cursor ?? player?.cursor.value ?? props.events?.length ?? 0),
    state: computed(() => props.state ?? player?.state.value ?? null),
  };
}

/** One fact of an event as the player shows it: short, one line. */
export function factText(value: unknown): string {
  const s = typeof value === 'string' ? value.replace(/^sha256:([0-9a-f]{12})[0-9a-f]+$/, 'sha256:$1…') : JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
