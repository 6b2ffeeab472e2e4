// What the API diagram draws (issue 7, chapter 6), as a pure function of a trace and a cursor:
// every request the daemon answered (an http.request span: method, path, status, time), on one
// time line, with the work each request did inside the engine — the spans under it, grouped by
// the chapter they belong to. A `dockling run` shows up as what it really is: a create, an
// attach and a wait opened before the start, and the start's namespaces work under the start.
// Work with no request above it (a container's process exiting, noticed by the daemon itself)
// is a row of its own: the daemon does things nobody asked for at that moment.
import type { TraceEvent } from '../../engine/trace/types.js';

export interface ChapterWork {
  chapter: string;
  /** The ops of the spans it opened, first seen first, each once. */
  ops: string[];
  /** How many spans of this chapter were opened. */
  spans: number;
}

export interface ApiCall {
  span: string;
  /** 1 for the trace's first request … */
  n: number;
  method: string;
  /** The path as requested, a 64-hex id shortened to 12 as docker prints ids. */
  path: string;
  /** Null while it has not been answered. */
  status: number | null;
  /** When it started and, once answered, ended: ms since the trace's first event. */
  from: number;
  to: number | null;
  /** What the daemon said was wrong (an http.error under it), if anything. */
  error: string | null;
  work: ChapterWork[];
  /** The last event that happened belongs to this request. */
  current: boolean;
}

export interface ApiState {
  calls: ApiCall[];
  /** The work done outside any request (span trees whose root is not an http.request). */
  background: ChapterWork[];
  /** ms since the trace's first event, of the last event that happened. */
  now: number;
  /** Of the whole trace: the time line's length, the same at every cursor. */
  span: number;
}

const shortIds = (path: string) => path.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1');

/** The requests as they stand once `cursor` events (of `events`) have happened. */
export function apiCallsAt(events: readonly TraceEvent[], cursor: number): ApiState {
  const t0 = events[0]?.t ?? 0;
  const seen = events.slice(0, cursor);
  const calls: ApiCall[] = [];
  const bySpan = new Map<string, ApiCall>();
  // span → the request it is under (itself for a request), or null for daemon-side work.
  const rootOf = new Map<string, string | null>();
  const background: ChapterWork[] = [];
  const rootFor = (e: TraceEvent): string | null => {
    const known = rootOf.get(e.span);
    if (known !== undefined) return known;
    const root = e.parent === null ? null : (rootOf.get(e.parent) ?? null);
    rootOf.set(e.span, root);
    return root;
  };
  for (const e of seen) {
    if (e.op === 'http.request' && e.phase === 'start') {
      const call: ApiCall = {
        span: e.span, n: calls.length + 1, method: String(e.data['method'] ?? ''), path: shortIds(String(e.data['path'] ?? '')),
        status: null, from: e.t - t0, to: null, error: null, work: [], current: false,
      };
      calls.push(call);
      bySpan.set(e.span, call);
      rootOf.set(e.span, e.span);
      continue;
    }
    const root = rootFor(e);
    const call = root === null ? undefined : bySpan.get(root);
    if (e.op === 'http.request' && (e.phase === 'end' || e.phase === 'error')) {
      if (!call) continue;
      call.to = e.t - t0;
      const status = e.data['status'];
      call.status = typeof status === 'number' ? status : e.phase === 'error' ? 500 : null;
    } else if (e.op === 'http.error') {
      if (call) call.error = String(e.data['message'] ?? '');
    } else if (e.phase === 'start') {
      addWork(call ? call.work : background, e);
    }
  }
  const last = seen.at(-1);
  if (last) {
    const root = rootOf.get(last.span);
    const call = root ? bySpan.get(root) : undefined;
    if (call) call.current = true;
  }
  return {
    calls, background,
    now: last ? last.t - t0 : 0,
    span: events.length ? events[events.length - 1]!.t - t0 : 0,
  };
}

function addWork(work: ChapterWork[], e: TraceEvent): void {
  let w = work.find((x) => x.chapter === e.chapter);
  if (!w) work.push((w = { chapter: e.chapter, ops: [], spans: 0 }));
  w.spans++;
  if (!w.ops.includes(e.op)) w.ops.push(e.op);
}
