// The trace format's validator (engine/trace/validate-trace.ts): what the tracer writes reads
// back; lines written before the version existed still read; every malformed line is refused
// with the line and the field, the fixtures below named after the code they must produce.
import { describe, expect, it } from 'vitest';
import {
  MemorySink, SUPPORTED_TRACE_VERSIONS, TRACE_VERSION, TraceFormatError, Tracer,
  parseTraceLine, validateTrace, type TraceFormatErrorCode,
} from '../../engine/trace/index.js';

/** A small real trace: a span with a child, a fact, a failure. */
async function recorded(): Promise<string> {
  const sink = new MemorySink();
  const tracer = new Tracer([sink]);
  await tracer.span({ chapter: 'layers', op: 'image.load' }, async (span) => {
    const child = span.child('layers', 'layer.ingest', { digest: 'sha256:aa' });
    child.event('layer.stored', { size: 3 });
    child.end({ size: 3 });
    span.child('layers', 'blob.write').fail(Object.assign(new Error('digest mismatch'), { code: 'BLOB_DIGEST_MISMATCH' }));
  });
  return sink.events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

/** Throws what `fn` throws, as a TraceFormatError (the test fails on anything else). */
function refusal(fn: () => unknown): TraceFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TraceFormatError);
    return err as TraceFormatError;
  }
  throw new Error('expected a TraceFormatError, nothing was thrown');
}

const START = { v: 1, t: 1700000000000.5, span: 's1', parent: null, chapter: 'layers', op: 'image.load', phase: 'start', data: {} };
const END = { ...START, phase: 'end', ms: 2.5 };
const line = (fields: Record<string, unknown>, drop: string[] = []) =>
  JSON.stringify(Object.fromEntries(Object.entries(fields).filter(([k]) => !drop.includes(k))));

describe('validateTrace', () => {
  it('reads back what the tracer writes, each event stamped with the version', async () => {
    const text = await recorded();
    const { version, events } = validateTrace(text, { complete: true });
    expect(version).toBe(TRACE_VERSION);
    expect(events.map((e) => `${e.op}:${e.phase}`)).toEqual([
      'image.load:start', 'layer.ingest:start', 'layer.stored:event', 'layer.ingest:end',
      'blob.write:start', 'blob.write:error', 'image.load:end',
    ]);
    expect(events.every((e) => e.v === 1)).toBe(true);
    expect(events[5]!.error).toEqual({ code: 'BLOB_DIGEST_MISMATCH', message: 'digest mismatch' });
    // The same lines given as an array, and with CRLF endings and blank lines, read the same.
    expect(validateTrace(text.split('\n')).events).toEqual(events);
    expect(validateTrace(text.replaceAll('\n', '\r\n\n')).events).toEqual(events);
  });

  it('reads lines written before the format carried a version as version 1', () => {
    const { version, events } = validateTrace([line(START, ['v']), line(END, ['v'])].join('\n'), { complete: true });
    expect(version).toBe(1);
    expect(events).toHaveLength(2);
  });

  it('ignores fields it does not know (a later, additive field keeps the version)', () => {
    expect(validateTrace(line({ ...START, host: 'box' })).events[0]).toMatchObject({ host: 'box' });
  });

  it('reads an empty trace as no events', () => {
    expect(validateTrace('')).toEqual({ version: TRACE_VERSION, events: [] });
  });

  it('refuses a version it does not know, naming the versions it reads', () => {
    const err = refusal(() => validateTrace([line(START), line({ ...END, v: 2 })].join('\n')));
    expect(err.code).toBe('TRACE_VERSION_UNSUPPORTED');
    expect(err.data).toEqual({ line: 2, field: 'v', supported: SUPPORTED_TRACE_VERSIONS });
    expect(err.message).toBe('trace line 2: dockling-trace version 2 is not supported; this reader reads version 1 (a newer trace needs a newer Dockling)');
  });

  it('names the version before any field a newer version may have changed', () => {
    expect(refusal(() => parseTraceLine(JSON.stringify({ v: 9, when: 'now' }))).code).toBe('TRACE_VERSION_UNSUPPORTED');
  });

  it('names the line and the field of a malformed event, and what the field should be', () => {
    const err = refusal(() => validateTrace(['', line(START), line({ ...END, phase: 'done' })].join('\n')));
    expect(err.code).toBe('TRACE_EVENT_MALFORMED');
    expect(err.data).toEqual({ line: 3, field: 'phase' });
    expect(err.message).toBe('trace line 3: "phase" is "done"; it should be one of start, event, end, error');
  });
});

/** Hostile or broken lines, by the code each must produce and the field it must name. */
const MALFORMED: Array<{ name: string; text: string; code: TraceFormatErrorCode; field?: string }> = [
  { name: 'not JSON', text: '{"v":1,"t":', code: 'TRACE_NOT_JSON' },
  { name: 'an array', text: '[1,2]', code: 'TRACE_EVENT_MALFORMED' },
  { name: 'a string version', text: line({ ...START, v: '1' }), code: 'TRACE_VERSION_UNSUPPORTED', field: 'v' },
  { name: 'no time', text: line(START, ['t']), code: 'TRACE_EVENT_MALFORMED', field: 't' },
  { name: 'a time as text', text: line({ ...START, t: '2024-01-01' }), code: 'TRACE_EVENT_MALFORMED', field: 't' },
  { name: 'an empty span id', text: line({ ...START, span: '' }), code: 'TRACE_EVENT_MALFORMED', field: 'span' },
  { name: 'no parent', text: line(START, ['parent']), code: 'TRACE_EVENT_MALFORMED', field: 'parent' },
  { name: 'an unknown chapter', text: line({ ...START, chapter: 'kernel' }), code: 'TRACE_EVENT_MALFORMED', field: 'chapter' },
  { name: 'a chapter named after a prototype key', text: line({ ...START, chapter: 'toString' }), code: 'TRACE_EVENT_MALFORMED', field: 'chapter' },
  { name: 'an op with a space', text: line({ ...START, op: 'image load' }), code: 'TRACE_EVENT_MALFORMED', field: 'op' },
  { name: 'an end without its duration', text: line(END, ['ms']), code: 'TRACE_EVENT_MALFORMED', field: 'ms' },
  { name: 'a negative duration', text: line({ ...END, ms: -1 }), code: 'TRACE_EVENT_MALFORMED', field: 'ms' },
  { name: 'a start with a duration', text: line({ ...START, ms: 1 }), code: 'TRACE_EVENT_MALFORMED', field: 'ms' },
  { name: 'data as an array', text: line({ ...START, data: [] }), code: 'TRACE_EVENT_MALFORMED', field: 'data' },
  { name: 'no data', text: line(START, ['data']), code: 'TRACE_EVENT_MALFORMED', field: 'data' },
  { name: 'an error event without its error', text: line({ ...END, phase: 'error' }), code: 'TRACE_EVENT_MALFORMED', field: 'error' },
  { name: 'an error without a code', text: line({ ...END, phase: 'error', error: { message: 'x' } }), code: 'TRACE_EVENT_MALFORMED', field: 'error' },
  { name: 'an end with an error', text: line({ ...END, error: { code: 'X', message: 'x' } }), code: 'TRACE_EVENT_MALFORMED', field: 'error' },
];

describe('parseTraceLine refuses', () => {
  for (const f of MALFORMED) {
    it(`${f.name}: ${f.code}`, () => {
      const err = refusal(() => parseTraceLine(f.text, 7));
      expect(err.code).toBe(f.code);
      expect(err.data.line).toBe(7);
      expect(err.data.field).toBe(f.field);
      expect(err.message).toMatch(/^trace line 7[: ]/);
    });
  }
});

/** Traces whose lines are each well-formed but whose spans do not hold together. */
const BROKEN: Array<{ name: string; events: object[]; line: number }> = [
  { name: 'an end that never started', events: [END], line: 1 },
  { name: 'a fact after the end', events: [START, END, { ...START, phase: 'event', op: 'late.fact' }], line: 3 },
  { name: 'a span started twice', events: [START, START], line: 2 },
  { name: 'a span that never ends', events: [START], line: 1 },
  { name: 'a parent not in the trace', events: [{ ...START, parent: 'elsewhere' }, { ...END, parent: 'elsewhere' }], line: 1 },
  { name: 'an end as another op', events: [START, { ...END, op: 'image.save' }], line: 2 },
];

describe('validateTrace with complete: true refuses', () => {
  for (const f of BROKEN) {
    it(`${f.name}: TRACE_SPAN_BROKEN`, () => {
      const text = f.events.map((e) => JSON.stringify(e)).join('\n');
      expect(() => validateTrace(text)).not.toThrow(); // a window of a live stream may be like this
      const err = refusal(() => validateTrace(text, { complete: true }));
      expect(err.code).toBe('TRACE_SPAN_BROKEN');
      expect(err.data).toEqual({ line: f.line, span: 's1' });
    });
  }
});
