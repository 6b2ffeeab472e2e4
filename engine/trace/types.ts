// The trace's vocabulary. Every engine operation is a *span*: it starts, may emit facts along
// the way, and ends (or fails). Each of those moments is one TraceEvent, written as one JSON
// line. The site replays these lines to draw what the engine did, so an event carries the
// facts a diagram needs (digests, sizes, file counts, paths, pids), not prose.
//
// A lifecycle, as the daemon records an image load (`v` is the format's version, format.ts):
//   {"v":1,"t":…,"span":"s1","parent":null,"chapter":"layers","op":"image.load","phase":"start","data":{}}
//   {"v":1,"t":…,"span":"s2","parent":"s1","chapter":"layers","op":"layer.ingest","phase":"start",…}
//   {"v":1,"t":…,"span":"s2","parent":"s1","chapter":"layers","op":"layer.ingest","phase":"end",
//    "ms":12.5,"data":{"digest":"sha256:…","diffID":"sha256:…","size":2155123}}
//   {"v":1,"t":…,"span":"s1","parent":null,"chapter":"layers","op":"image.load","phase":"end",…}

import type { TraceVersion } from './format.js';

/** The chapter an operation belongs to: the same list as engine/'s folders. */
export type Chapter =
  | 'base'
  | 'layers'
  | 'unionfs'
  | 'namespaces'
  | 'registry'
  | 'build'
  | 'daemon';

export type Phase = 'start' | 'event' | 'end' | 'error';

/** Facts attached to an event: plain JSON values only, so a line is always serialisable. */
export type Facts = Record<string, unknown>;

export interface TraceEvent {
  /**
   * The trace format's version (format.ts). The tracer writes it on every event; it is absent
   * only from lines written before the format was versioned, which have the shape of version 1.
   */
  v?: TraceVersion;
  /** Wall-clock time in milliseconds since the epoch, with sub-millisecond precision. */
  t: number;
  /** The span this event belongs to. */
  span: string;
  /** The span that was open when this one started, or null at the top. */
  parent: string | null;
  chapter: Chapter;
  /** Dotted operation name: `layer.unpack`, `blob.write`, `image.tag` … */
  op: string;
  phase: Phase;
  /** Duration of the span, on `end` and `error` events. */
  ms?: number;
  data: Facts;
  /** On `error` events: the EngineError code and message. */
  error?: { code: string; message: string };
}

/** Where events go. A tracer may write to several sinks at once. */
export interface TraceSink {
  write(event: TraceEvent): void;
  close?(): Promise<void>;
}
