// The trace player's state (issue 7), as pure functions: a trace of N events is replayed by
// moving a cursor over 0..N, where the cursor is how many events have happened (0: none yet,
// N: all). The diagrams are functions of (events, cursor) only, so the same trace at the same
// cursor always draws the same picture; play is a timer calling `advance`, nothing more.

export const SPEEDS = [0.5, 1, 2, 4] as const;
export type Speed = (typeof SPEEDS)[number];

export interface PlayerState {
  /** Events in the trace. */
  length: number;
  /** How many events have happened: 0..length. */
  cursor: number;
  playing: boolean;
  speed: Speed;
}

/** Milliseconds between two events at speed 1. */
export const STEP_MS = 600;

export function initialPlayer(length: number, cursor = 0): PlayerState {
  return { length, cursor: clamp(cursor, length), playing: false, speed: 1 };
}

const clamp = (cursor: number, length: number) => Math.max(0, Math.min(length, Math.trunc(cursor)));

export function jumpTo(s: PlayerState, cursor: number): PlayerState {
  return { ...s, cursor: clamp(cursor, s.length) };
}

export function stepForward(s: PlayerState): PlayerState {
  return jumpTo(s, s.cursor + 1);
}

export function stepBack(s: PlayerState): PlayerState {
  return { ...jumpTo(s, s.cursor - 1), playing: false };
}

/** Play from the start again when at the end. */
export function play(s: PlayerState): PlayerState {
  return { ...s, playing: true, cursor: s.cursor >= s.length ? 0 : s.cursor };
}

export function pause(s: PlayerState): PlayerState {
  return { ...s, playing: false };
}

export function togglePlay(s: PlayerState): PlayerState {
  return s.playing ? pause(s) : play(s);
}

export function setSpeed(s: PlayerState, speed: Speed): PlayerState {
  return { ...s, speed };
}

/** One tick of the play timer: the next event, stopping at the end. */
export function advance(s: PlayerState): PlayerState {
  if (!s.playing) return s;
  const next = stepForward(s);
  return next.cursor >= s.length ? pause(next) : next;
}

export function tickMs(s: PlayerState): number {
  return STEP_MS / s.speed;
}
