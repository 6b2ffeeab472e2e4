// Reading a trace back: every line checked against the format (format.ts, the fields of
// types.ts) before a diagram trusts it, so that a page given a file of another version, a
// truncated line or a hand-edited event says which line is wrong and why, instead of drawing
// nonsense. Used by the site (in the browser: no Node imports here) and by the tests of the
// committed traces in site/traces/.
//
//   validateTrace(text)                   → { version: 1, events }  or throws TraceFormatError
//   validateTrace(text, { complete: true }) also: every span starts, and ends, inside the trace
//   parseTraceLine(line, n)               → one event of a live stream, checked the same way
import type { Chapter, Phase, TraceEvent } from './types.js';
import { SUPPORTED_TRACE_VERSIONS, TRACE_FORMAT, TRACE_VERSION, type TraceVersion } from './format.js';

export type TraceFormatErrorCode =
  | 'TRACE_NOT_JSON' // a line that does not parse
  | 'TRACE_VERSION_UNSUPPORTED' // a `v` this reader does not know
  | 'TRACE_EVENT_MALFORMED' // a field missing or of the wrong kind
  | 'TRACE_SPAN_BROKEN'; // (complete traces) a span that ends without starting, or never ends

export interface TraceFormatErrorData {
  /** 1-based line of the input; for a span that never ends, the line it started on. */
  line: number;
  field?: string;
  span?: string;
  /** On TRACE_VERSION_UNSUPPORTED: the versions this reader reads. */
  supported?: readonly number[];
}

/**
 * What is wrong with a trace, and where. It has the shape of the engine's EngineError (a stable
 * `code`, a `kind`, structured `data`) without being one: the trace sits under base, where
 * EngineError lives, and imports nothing.
 */
export class TraceFormatError extends Error {
  readonly kind = 'invalid-argument';
  constructor(
    readonly code: TraceFormatErrorCode,
    message: string,
    readonly data: TraceFormatErrorData,
  ) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

export interface ValidatedTrace {
  version: TraceVersion;
  events: TraceEvent[];
}

// The closed sets, written as records so that the compiler says when types.ts grows a member.
const CHAPTERS = { base: true, layers: true, unionfs: true, namespaces: true, registry: true, build: true, daemon: true } satisfies Record<Chapter, true>;
const PHASES = { start: true, event: true, end: true, error: true } satisfies Record<Phase, true>;
const oneOf = (set: object) => `one of ${Object.keys(set).join(', ')}`;

/** A field's rule: undefined when the value is right, else what it should have been. */
type Rule = (value: unknown, event: Record<string, unknown>) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isDuration = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const closes = (event: Record<string, unknown>) => event['phase'] === 'end' || event['phase'] === 'error';

/** Version 1's fields, in the order a line carries them. Unknown fields are allowed (format.ts). */
const FIELDS: Array<[string, Rule]> = [
  ['t', (v) => (isDuration(v) ? undefined : 'a time in milliseconds since the epoch (a number)')],
  ['span', (v) => (isText(v) ? undefined : 'a span id (a non-empty string)')],
  ['parent', (v) => (v === null || isText(v) ? undefined : 'the parent span id, or null at the top')],
  ['chapter', (v) => (typeof v === 'string' && Object.hasOwn(CHAPTERS, v) ? undefined : oneOf(CHAPTERS))],
  ['op', (v) => (typeof v === 'string' && /^\S+$/.test(v) ? undefined : 'an operation name such as layer.ingest (a string, no spaces)')],
  ['phase', (v) => (typeof v === 'string' && Object.hasOwn(PHASES, v) ? undefined : oneOf(PHASES))],
  ['ms', (v, e) => {
    if (closes(e)) return isDuration(v) ? undefined : "the span's duration in milliseconds (a number), on end and error events";
    return v === undefined ? undefined : 'absent: only end and error events carry a duration';
  }],
  ['data', (v) => (isObject(v) ? undefined : 'an object of facts (may be empty)')],
  ['error', (v, e) => {
    if (e['phase'] === 'error') return isObject(v) && typeof v['code'] === 'string' && typeof v['message'] === 'string' ? undefined : 'an object with a string code and message, on error events';
    return v === undefined ? undefined : 'absent: only error events carry an error';
  }],
];

/** A value as an error message shows it: short, and `missing` for a field not there. */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * Checks one parsed line. The version comes first: an event of a version this reader does not
 * know is refused as such, not for fields that version may have changed.
 */
export function validateTraceEvent(value: unknown, line = 1): TraceEvent {
  if (!isObject(value)) {
    throw new TraceFormatError('TRACE_EVENT_MALFORMED', `trace line ${line}: ${shown(value)} is not an event (a JSON object)`, { line });
  }
  const v = value['v'];
  if (v !== undefined && !(typeof v === 'number' && SUPPORTED_TRACE_VERSIONS.includes(v))) {
    const supported = SUPPORTED_TRACE_VERSIONS.join(', ');
    throw new TraceFormatError(
      'TRACE_VERSION_UNSUPPORTED',
      `trace line ${line}: ${TRACE_FORMAT} version ${shown(v)} is not supported; this reader reads version ${supported} (a newer trace needs a newer Dockling)`,
      { line, field: 'v', supported: SUPPORTED_TRACE_VERSIONS },
    );
  }
  for (const [field, rule] of FIELDS) {
    const want = rule(value[field], value);
    if (want !== undefined) {
      throw new TraceFormatError('TRACE_EVENT_MALFORMED', `trace line ${line}: "${field}" is ${shown(value[field])}; it should be ${want}`, { line, field });
    }
  }
  return value as unknown as TraceEvent;
}

/** Parses and checks one JSON line (of a file, or of the daemon's live stream). */
export function parseTraceLine(text: string, line = 1): TraceEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TraceFormatError('TRACE_NOT_JSON', `trace line ${line} is not JSON (${(err as Error).message})`, { line });
  }
  return validateTraceEvent(value, line);
}

/**
 * Checks a whole trace: the text of a JSON-lines file, or its lines. Blank lines are skipped
 * (line numbers still count them). `complete`: the trace is a whole recording, so every span
 * also starts in it and ends in it (true of site/traces/, not of a window of a live stream).
 */
export function validateTrace(input: string | readonly string[], opts: { complete?: boolean } = {}): ValidatedTrace {
  const lines = typeof input === 'string' ? input.split('\n') : input;
  const events: TraceEvent[] = [];
  const lineOf: number[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    events.push(parseTraceLine(text, i + 1));
    lineOf.push(i + 1);
  });
  if (opts.complete) checkSpans(events, lineOf);
  // One version is read today; a reader of two would upgrade the older events here.
  return { version: TRACE_VERSION, events };
}

/** Every span starts once before anything else of it, ends once as what it started as, and ends. */
function checkSpans(events: TraceEvent[], lineOf: number[]): void {
  const open = new Map<string, { event: TraceEvent; line: number }>();
  const ended = new Set<string>();
  const broken = (line: number, span: string, what: string) =>
    new TraceFormatError('TRACE_SPAN_BROKEN', `trace line ${line}: span ${span} ${what}`, { line, span });
  events.forEach((e, i) => {
    const line = lineOf[i]!;
    const started = open.get(e.span);
    if (e.phase === 'start') {
      if (started || ended.has(e.span)) throw broken(line, e.span, `(${e.op}) starts a second time`);
      if (e.parent !== null && !open.has(e.parent) && !ended.has(e.parent)) throw broken(line, e.span, `(${e.op}) names parent ${e.parent}, which is not a span of this trace`);
      open.set(e.span, { event: e, line });
      return;
    }
    if (!started) throw broken(line, e.span, ended.has(e.span) ? `(${e.op}) has a ${e.phase} event after it ended` : `(${e.op}) has a ${e.phase} event but never started in this trace`);
    if (e.phase === 'event') return;
    const s = started.event;
    if (s.op !== e.op || s.chapter !== e.chapter || s.parent !== e.parent) {
      throw broken(line, e.span, `ends as ${e.chapter} ${e.op} (parent ${e.parent}) but started as ${s.chapter} ${s.op} (parent ${s.parent}) on line ${started.line}`);
    }
    open.delete(e.span);
    ended.add(e.span);
  });
  for (const [span, { event, line }] of open) throw broken(line, span, `(${event.op}) starts here and never ends`);
}
