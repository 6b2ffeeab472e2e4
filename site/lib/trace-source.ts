// Where the site's diagrams get their traces (issue 7): the recorded traces committed in
// site/traces/, listed by its index.json. The JSONL files are not copied anywhere by hand:
// Vite's glob import below turns each into an asset URL — served from site/traces/ by the dev
// server, emitted with a content hash into the built site — and a page fetches the one it
// draws. Every trace is read through engine/trace's validateTrace (no Node imports), so a
// page given a version it does not know says so instead of drawing nonsense.
/// <reference types="vite/client" />
// validate-trace.ts itself, not the trace's index.ts: that one also exports the tracer and its
// file sinks, which import node:fs and node:crypto and cannot go into a browser bundle.
import { validateTrace } from '../../engine/trace/validate-trace.js';
import type { TraceEvent } from '../../engine/trace/types.js';

/** One recorded scenario, as site/traces/index.json describes it. */
export interface TraceEntry {
  id: string;
  chapter: string;
  title: string;
  file: string;
  commands: string[];
  files: Record<string, string>;
  transcript: string;
  events: number;
}

// index.json, read at build time (a glob, so that neither tsc nor Vite needs JSON-module settings).
const indexJson = import.meta.glob('../traces/index.json', { eager: true, import: 'default' }) as Record<string, { traces: TraceEntry[] }>;
export const traceEntries: readonly TraceEntry[] = indexJson['../traces/index.json']?.traces ?? [];

// file name → the URL the built site serves it at.
const urls = import.meta.glob('../traces/*.jsonl', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

export function traceEntry(id: string): TraceEntry {
  const entry = traceEntries.find((t) => t.id === id);
  if (!entry) throw new Error(`no recorded trace "${id}" in site/traces/index.json (there are: ${traceEntries.map((t) => t.id).join(', ')})`);
  return entry;
}

export function traceUrl(id: string): string {
  const { file } = traceEntry(id);
  const url = urls[`../traces/${file}`];
  if (!url) throw new Error(`site/traces/${file} (trace "${id}") is listed in index.json but is not in site/traces/`);
  return url;
}

/** A trace's text, read and checked: the events, or a TraceFormatError naming the line. */
export function parseTrace(text: string): TraceEvent[] {
  return validateTrace(text, { complete: true }).events;
}

/** Fetches a recorded trace from the site and checks it. */
export async function loadTrace(id: string, fetcher: typeof fetch = fetch): Promise<TraceEvent[]> {
  const url = traceUrl(id);
  const res = await fetcher(url);
  if (!res.ok) throw new Error(`trace "${id}": ${url} answered ${res.status}`);
  return parseTrace(await res.text());
}
