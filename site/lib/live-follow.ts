// "Follow my daemon" (issue 7, live mode): the player reads the reader's own daemon instead of a
// recording. `dockling daemon --trace-listen 127.0.0.1:7357` serves its trace as Server-Sent
// Events on GET /trace/stream (engine/daemon/live/trace-routes.ts): first `event: hello` with
// the format and version, then one unnamed message per trace event (`id: N`, `data: <event>`).
// Each event is checked with engine/trace's parseTraceLine, as a recording's lines are, and a
// version this page does not read is refused, never drawn. The EventSource is injected, so the
// tests drive this with a fake one in Node.
import { parseTraceLine } from '../../engine/trace/validate-trace.js';
import { SUPPORTED_TRACE_VERSIONS, TRACE_FORMAT } from '../../engine/trace/format.js';
import type { TraceEvent } from '../../engine/trace/types.js';

/** Where `dockling daemon --trace-listen 127.0.0.1:7357` listens: the field's default. */
export const DEFAULT_DAEMON = 'http://127.0.0.1:7357';
/** The localStorage key the address is remembered under. */
export const ADDRESS_KEY = 'dockling.follow.address';

export type LiveStatus =
  | { kind: 'connecting'; address: string }
  | { kind: 'following'; address: string; events: number; missed: number }
  | { kind: 'reconnecting'; address: string; events: number }
  /** Not reached (yet): the browser goes on trying, so a daemon started now is still found. */
  | { kind: 'unreachable'; address: string }
  /** Given up: the daemon refused this page, or sent what this page cannot read. */
  | { kind: 'refused'; address: string; reason: string; originHint?: true };

/** The part of the browser's EventSource this uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((e: { data: string; lastEventId: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  addEventListener(type: string, listener: (e: { data: string }) => void): void;
  close(): void;
}

const CLOSED = 2; // EventSource.CLOSED

/** `127.0.0.1:7357/` or `http://localhost:7357` → the stream's URL; an unusable address throws. */
export function streamUrl(address: string): string {
  return `${daemonOrigin(address)}/trace/stream`;
}

/** `127.0.0.1:7357/` → `http://127.0.0.1:7357`: where the stream and the /state documents are. */
export function daemonOrigin(address: string): string {
  const text = address.trim();
  let url: URL;
  try {
    // No scheme (`127.0.0.1:7357`): taken as http, the default's.
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `//${text}`, DEFAULT_DAEMON);
  } catch {
    throw new Error(`"${address}" is not an address: write the daemon's as http://127.0.0.1:7357`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${address}": the daemon is read over HTTP, not ${url.protocol}`);
  return url.origin;
}

/** What the status line says. `pageOrigin`: this page's, for the --trace-origin hint. */
export function statusText(s: LiveStatus, pageOrigin = ''): string {
  const port = /:(\d+)$/.exec(s.address.replace(/\/+$/, ''))?.[1] ?? '7357';
  switch (s.kind) {
    case 'connecting': return `connecting to the daemon at ${s.address}…`;
    case 'following': return `following ${s.events} event${s.events === 1 ? '' : 's'} from the daemon at ${s.address}${s.missed ? ` (${s.missed} missed: the daemon no longer kept them)` : ''}`;
    case 'reconnecting': return `lost the daemon at ${s.address} after ${s.events} events; reconnecting…`;
    case 'unreachable': return `cannot reach the daemon at ${s.address}: start it with \`sudo dockling daemon --trace-listen 127.0.0.1:${port}\`${pageOrigin ? ` (add \`--trace-origin ${pageOrigin}\` unless this page is served on localhost:5173 or :4173)` : ''}; still trying…`;
    case 'refused': return `the daemon at ${s.address} cannot be followed: ${s.reason}${s.originHint && pageOrigin ? ` (to allow this page, add \`--trace-origin ${pageOrigin}\` to the daemon's command)` : ''}`;
  }
}

export interface Following {
  close(): void;
}

/**
 * Opens the stream and reports: each checked event to `onEvent`, each change of state to
 * `onStatus`. A hello of another format or version, or an event that fails its check, closes
 * the stream (refused, with the reason); a dropped connection is retried by the EventSource
 * itself, which asks for the events after the last it saw (Last-Event-ID).
 */
export function followDaemon(a: {
  address: string;
  open: (url: string) => EventSourceLike;
  onEvent: (e: TraceEvent) => void;
  onStatus: (s: LiveStatus) => void;
}): Following {
  const { address } = a;
  let events = 0;
  let missed = 0;
  let greeted = false;
  let source: EventSourceLike | null = null;
  const refuse = (reason: string, originHint = false) => {
    source?.close();
    source = null;
    a.onStatus({ kind: 'refused', address, reason, ...(originHint ? { originHint: true as const } : {}) });
  };
  const following = () => a.onStatus({ kind: 'following', address, events, missed });

  let url: string;
  try {
    url = streamUrl(address);
  } catch (err) {
    refuse((err as Error).message);
    return { close() {} };
  }
  a.onStatus({ kind: 'connecting', address });
  source = a.open(url);
  source.addEventListener('hello', (m) => {
    let hello: { Format?: unknown; Version?: unknown };
    try {
      hello = JSON.parse(m.data);
    } catch {
      return refuse(`its hello is not JSON (${m.data.slice(0, 40)})`);
    }
    if (hello.Format !== TRACE_FORMAT) return refuse(`it speaks ${JSON.stringify(hello.Format)}, not ${TRACE_FORMAT}`);
    if (typeof hello.Version !== 'number' || !SUPPORTED_TRACE_VERSIONS.includes(hello.Version)) {
      return refuse(`its trace is ${TRACE_FORMAT} version ${JSON.stringify(hello.Version)}; this page reads version ${SUPPORTED_TRACE_VERSIONS.join(', ')} (a newer daemon needs a newer site)`);
    }
    greeted = true;
    following();
  });
  source.addEventListener('gap', (m) => {
    try {
      const gap = JSON.parse(m.data) as { From: number; To: number };
      missed += gap.To - gap.From + 1;
    } catch {
      // a gap we cannot read changes nothing we draw
    }
    following();
  });
  source.onmessage = (m) => {
    if (!source) return;
    let event: TraceEvent;
    try {
      // The line number in an error is the stream's event id: what /trace/recent and ?since= name.
      event = parseTraceLine(m.data, Number(m.lastEventId) || events + 1);
    } catch (err) {
      return refuse((err as Error).message);
    }
    events++;
    a.onEvent(event);
    following();
  };
  source.onerror = () => {
    if (!source) return;
    if (source.readyState === CLOSED) {
      // A refused answer (403 for this page's origin) or not an event stream: the browser gives up.
      return greeted ? refuse('it closed the stream') : refuse('it refused this page, or it is not a Dockling daemon', true);
    }
    a.onStatus(greeted ? { kind: 'reconnecting', address, events } : { kind: 'unreachable', address });
  };
  return {
    close() {
      source?.close();
      source = null;
    },
  };
}
