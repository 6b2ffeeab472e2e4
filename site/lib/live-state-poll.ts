// "Follow my daemon" reads the daemon's state as well as its events (issue 7, live mode): GET
// <address>/state/images and /state/containers (engine/daemon/live/state-routes.ts, under the
// same Host and origin checks as the stream), once on connecting and again after events arrive
// — at most one read every `intervalMs` (500 ms) and one request at a time, however fast the
// events come: a `run` sends dozens in a second, and each /state/containers answer costs the
// daemon a probe of every running container. A failed read is reported, never thrown, and the
// last good snapshot is kept. `fetch` is injected, so the tests drive this with a fake in Node.
import type { LiveState, StateContainer, StateImage } from './live-state.js';
import { daemonOrigin } from './live-follow.js';

/** The part of the browser's fetch this uses. */
export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** The fewest milliseconds between the starts of two reads. */
export const STATE_INTERVAL_MS = 500;
/** After a failed read, how long before trying again when no event asks sooner. */
export const STATE_RETRY_MS = 5_000;

export interface LiveStatePoll {
  /** `events` live events have arrived: read the state again (soon, not at once). */
  update(events: number): void;
  close(): void;
}

/** The state's URLs for a daemon's address (as the follower takes it). */
export function stateUrls(address: string): { images: string; containers: string } {
  const origin = daemonOrigin(address);
  return { images: `${origin}/state/images`, containers: `${origin}/state/containers` };
}

/**
 * Reads the daemon's state now, then whenever `update` says events arrived. `onState` gets each
 * snapshot with `cursor`: how many live events had arrived when its read was sent (the snapshot
 * has at least their effects). `onError` gets what went wrong, or null once a read succeeds.
 */
export function pollLiveState(a: {
  address: string;
  fetch: FetchLike;
  onState: (s: LiveState) => void;
  onError: (message: string | null) => void;
  intervalMs?: number;
}): LiveStatePoll {
  const interval = a.intervalMs ?? STATE_INTERVAL_MS;
  let urls: ReturnType<typeof stateUrls>;
  try {
    urls = stateUrls(a.address);
  } catch (err) {
    a.onError((err as Error).message);
    return { update() {}, close() {} };
  }
  let events = 0;
  let owed = true; // a read is due: the first one
  let inFlight: AbortController | null = null;
  let lastStart = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const wait = (ms: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      next();
    }, ms);
  };
  // The one place a read starts: none running, one owed, and the interval since the last past.
  const next = () => {
    if (closed || inFlight || !owed || timer !== undefined) return;
    const early = lastStart + interval - Date.now();
    if (early > 0) return wait(early);
    void read();
  };

  async function get<T>(url: string, signal: AbortSignal): Promise<T[]> {
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await a.fetch(url, { signal });
    } catch (err) {
      // The browser says only "Failed to fetch": unreachable, or the daemon refused this page's origin.
      throw new Error(`GET ${url}: ${(err as Error).message || 'failed'} (the daemon is not reachable, or did not allow this page)`);
    }
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const body = await res.json().catch(() => null);
    if (!Array.isArray(body)) throw new Error(`GET ${url}: not a list (is this a Dockling daemon?)`);
    return body as T[];
  }

  async function read(): Promise<void> {
    owed = false;
    lastStart = Date.now();
    const cursor = events;
    const controller = (inFlight = new AbortController());
    try {
      // One after the other: one request in flight at a time.
      const images = await get<StateImage>(urls.images, controller.signal);
      if (closed) return;
      const containers = await get<StateContainer>(urls.containers, controller.signal);
      if (closed) return;
      a.onState({ images, containers, cursor });
      a.onError(null);
    } catch (err) {
      if (closed) return;
      a.onError(`could not read the daemon's state: ${(err as Error).message}`);
      owed = true;
      inFlight = null;
      return wait(STATE_RETRY_MS);
    } finally {
      if (inFlight === controller) inFlight = null;
    }
    next();
  }

  next();
  return {
    update(count) {
      events = count;
      owed = true;
      // A retry waiting after a failure gives way to the events' sooner read (next() waits
      // out the rest of the interval again if that is what the timer was doing).
      clearTimeout(timer);
      timer = undefined;
      next();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      inFlight?.abort();
    },
  };
}
