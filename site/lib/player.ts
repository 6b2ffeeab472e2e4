// The trace player's state (issue 7), as pure functions: a trace of N events is replayed by
// moving a cursor over 0..N, where the cursor is how many events have happened (0: none yet,
// N: all). The diagrams are functions of (events, cursor) only, so the same trace at the same
// cursor always draws the same picture; play is a timer calling `advance`, nothing more.
//
// Live mode ("follow my daemon") is the same state with a trace that grows: `eventsArrived`
// lengthens it, and the cursor goes with the end only while `following`. Any move the reader
// makes (pause, a step, the scrubber, an event picked from the list) stops following, so the
// cursor stays where they put it as events keep arriving; `jumpToLatest` (the "live" control,
// or End) follows the end again, and so does playing up to it.

export const SPEEDS = [0.5, 1, 2, 4] as const;
export type Speed = (typeof SPEEDS)[number];

export interface PlayerState {
  /** Events in the trace (in live mode: received so far). */
  length: number;
  /** How many events have happened: 0..length. */
  cursor: number;
  playing: boolean;
  speed: Speed;
  /** Live mode: the trace grows as the reader's daemon sends events. */
  live: boolean;
  /** Live mode: the cursor is kept at the newest event as events arrive. */
  following: boolean;
}

/** Milliseconds between two events at speed 1. */
export const STEP_MS = 600;

export function initialPlayer(length: number, cursor = 0): PlayerState {
  return { length, cursor: clamp(cursor, length), playing: false, speed: 1, live: false, following: false };
}

/** Live mode, before the first event: following the end, at the reader's speed. */
export function startLive(s: PlayerState): PlayerState {
  return { length: 0, cursor: 0, playing: false, speed: s.speed, live: true, following: true };
}

const clamp = (cursor: number, length: number) => Math.max(0, Math.min(length, Math.trunc(cursor)));

/** The trace now has `length` events: the cursor moves with the end only while following. */
export function eventsArrived(s: PlayerState, length: number): PlayerState {
  return { ...s, length, cursor: s.following ? length : clamp(s.cursor, length) };
}

/** The reader puts the cursor somewhere: it stays there (no longer following the end). */
export function jumpTo(s: PlayerState, cursor: number): PlayerState {
  return { ...s, cursor: clamp(cursor, s.length), following: false };
}

/** Live mode: back to the newest event, and stay with it. In a replay, the end. */
export function jumpToLatest(s: PlayerState): PlayerState {
  return { ...s, cursor: s.length, playing: false, following: s.live };
}

export function stepForward(s: PlayerState): PlayerState {
  return jumpTo(s, s.cursor + 1);
}

export function stepBack(s: PlayerState): PlayerState {
  return { ...jumpTo(s, s.cursor - 1), playing: false };
}

/**
 * Play: one event a tick from the cursor. A replay at its end starts over; live mode at the
 * newest event simply follows (there is nothing to play until more arrive).
 */
export function play(s: PlayerState): PlayerState {
  if (s.cursor >= s.length) return s.live ? jumpToLatest(s) : { ...s, playing: true, cursor: 0 };
  return { ...s, playing: true, following: false };
}

/** Pause: the cursor stays, even in live mode with events arriving. */
export function pause(s: PlayerState): PlayerState {
  return { ...s, playing: false, following: false };
}

/** Whether time runs for the reader: playing, or following a daemon live. */
export function isRunning(s: PlayerState): boolean {
  return s.playing || (s.live && s.following);
}

export function togglePlay(s: PlayerState): PlayerState {
  return isRunning(s) ? pause(s) : play(s);
}

export function setSpeed(s: PlayerState, speed: Speed): PlayerState {
  return { ...s, speed };
}

/** One tick of the play timer: the next event; at the end a replay stops, live mode follows. */
export function advance(s: PlayerState): PlayerState {
  if (!s.playing) return s;
  const next = { ...s, cursor: clamp(s.cursor + 1, s.length) };
  if (next.cursor < s.length) return next;
  return s.live ? jumpToLatest(next) : { ...next, playing: false };
}

export function tickMs(s: PlayerState): number {
  return STEP_MS / s.speed;
}

/** What a key does to the player (space, ←, →, Home, End), or null for a key it leaves alone. */
export function onPlayerKey(s: PlayerState, key: string): PlayerState | null {
  switch (key) {
    case ' ': return togglePlay(s);
    case 'ArrowLeft': return stepBack(s);
    case 'ArrowRight': return stepForward(s);
    case 'Home': return { ...jumpTo(s, 0), playing: false };
    case 'End': return jumpToLatest(s);
    default: return null;
  }
}
