// site/traces/index.json: the list of recorded traces the site's pages choose from, written by
// record.ts and checked by test/trace/site-traces.test.ts. Beside each trace's name and chapter,
// what a page shows around the diagram: the commands typed, the files they used, the terminal.
import type { Chapter, TRACE_FORMAT } from '../../engine/trace/index.js';

export interface TraceIndexEntry {
  id: string;
  chapter: Chapter;
  title: string;
  /** The trace, beside index.json. */
  file: string;
  /** What was typed, in order: `dockling …` commands and the host steps between them. */
  commands: string[];
  /** The files the scenario's directory held before the first command. */
  files: Record<string, string>;
  /** The commands with what they printed, as a terminal showed them. */
  transcript: string;
  /** The daemon's data root when recorded: the paths in the events start with it. */
  dataRoot: string;
  events: number;
  bytes: number;
}

export interface TraceIndex {
  format: typeof TRACE_FORMAT;
  /** The format version of every trace listed (each event also carries it). */
  version: number;
  traces: TraceIndexEntry[];
}
