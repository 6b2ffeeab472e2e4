// The trace: structured events under every chapter. See types.ts for the event shape,
// format.ts for its version, validate-trace.ts for reading a trace back.
export type { Chapter, Facts, Phase, TraceEvent, TraceSink } from './types.js';
export { Span, Tracer, silentTracer } from './tracer.js';
export { MemorySink, JsonlFileSink, StreamSink } from './sinks.js';
export { TRACE_FORMAT, TRACE_VERSION, SUPPORTED_TRACE_VERSIONS } from './format.js';
export type { TraceVersion } from './format.js';
export { validateTrace, validateTraceEvent, parseTraceLine, TraceFormatError } from './validate-trace.js';
export type { ValidatedTrace, TraceFormatErrorCode, TraceFormatErrorData } from './validate-trace.js';
