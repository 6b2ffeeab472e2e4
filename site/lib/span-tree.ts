// Spans of a trace as a tree (issue 7): which span an event belongs to, which spans enclose it.
// The diagrams use it to find, say, the build step an event happened under.
import type { TraceEvent } from '../../engine/trace/types.js';

export interface SpanTree {
  /** span id → its start event. */
  starts: Map<string, TraceEvent>;
}

export function spanTree(events: readonly TraceEvent[], cursor = events.length): SpanTree {
  const starts = new Map<string, TraceEvent>();
  for (const e of events.slice(0, cursor)) if (e.phase === 'start') starts.set(e.span, e);
  return { starts };
}

/** The span's start event and those of the spans around it, innermost first. */
export function ancestry(tree: SpanTree, span: string | null): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let s = span; s !== null; ) {
    const start = tree.starts.get(s);
    if (!start) break;
    out.push(start);
    s = start.parent;
  }
  return out;
}

/** The nearest enclosing span (the event's own first) with that op, if any. */
export function enclosing(tree: SpanTree, event: TraceEvent, op: string): TraceEvent | undefined {
  return ancestry(tree, event.span).find((s) => s.op === op);
}

/** `sha256:5d2c60f2881e…` → `5d2c60f2881e`, as docker prints ids. */
export function shortDigest(digest: unknown): string {
  return typeof digest === 'string' ? digest.replace(/^sha256:/, '').slice(0, 12) : '';
}
