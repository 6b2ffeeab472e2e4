// The trace's file format: its name, its version, and the rule for changing it. A trace is
// JSON lines, one TraceEvent a line (types.ts), and every event carries the format version in
// its `v` field rather than a header line heading the file, because the lines travel alone:
// the daemon appends to one file across restarts (a header would have to be repeated, or
// trusted to describe lines written by another build), the live stream is joined mid-way and
// replays a window of recent events, and a recorded scenario is a slice cut out of a longer
// file. With the version on every line, any slice of any of them is a valid trace.
//
// When to change the version: a field added that a reader may ignore does not change it
// (readers ignore fields they do not know); a field removed, renamed, or given another meaning
// does. A reader refuses a version it does not know, naming the versions it reads.
//
// This file and validate-trace.ts import nothing from Node, so that the site's pages can
// validate a trace in the browser with the same code.

/** What the trace format is called, in index.json files and in error messages. */
export const TRACE_FORMAT = 'dockling-trace';

/** The version the tracer writes. */
export const TRACE_VERSION = 1;

export type TraceVersion = typeof TRACE_VERSION;

/** The versions validateTrace reads. Lines written before `v` existed have the shape of 1. */
export const SUPPORTED_TRACE_VERSIONS: readonly number[] = [TRACE_VERSION];
