// The trace: structured events under every chapter. See types.ts for the event shape.
export type { Chapter, Facts, Phase, TraceEvent, TraceSink } from './types.js';
export { Span, Tracer, silentTracer } from './tracer.js';
export { MemorySink, JsonlFileSink, StreamSink } from './sinks.js';
