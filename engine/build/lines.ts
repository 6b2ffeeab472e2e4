// Chapter 5, build: from the Dockerfile's text to logical lines. Three things happen before any
// instruction is read, in this order, line by line (Docker's parser, reference "Parser
// directives" and "Format"):
//   1. parser directives: `# name=value` lines at the very top, before any instruction, comment
//      or blank line; `escape`, `syntax` and `check` are known (case-insensitive), each once;
//      an unknown one is an ordinary comment and ends the directives;
//   2. comments: a line whose first non-blank character is `#`; blank lines;
//   3. continuations: a line ending with the escape character (spaces or tabs may follow it)
//      goes on at the next line. Inside a continued instruction, comment lines and blank lines
//      are skipped — the blank ones with a warning, as Docker gives.
import type { EscapeChar } from './types.js';
import { problem, atLines } from './dockerfile-error.js';
import { trimSpace } from './characters.js';

export interface LogicalLine {
  /** The instruction's text, continuations joined, not trimmed at the end. */
  text: string;
  /** 1-based first and last physical lines it took. */
  line: number;
  endLine: number;
  /** A blank line was skipped inside it (Docker warns: such lines will become errors). */
  emptyContinuation: boolean;
}

export interface Directives {
  escape: EscapeChar;
  syntax?: string;
  check?: string;
}

/** bufio.Scanner's limit in Docker's parser: a longer physical line is refused. */
const MAX_LINE_BYTES = 64 * 1024 - 1;

const isComment = (line: string) => trimSpace(line, 'left').startsWith('#');
const isBlank = (line: string) => trimSpace(line, 'left') === '';

/** Splits into physical lines: `\n` ends a line, trailing `\r`s are dropped (CRLF files). */
function physicalLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.replace(/[\r\n]+$/, ''));
}

/**
 * Reads the directives at the top. They end at the first line that is not `# name=value` with a
 * known name, so a blank line or an ordinary comment ends them too.
 */
function readDirectives(lines: string[]): Directives {
  const found: Directives = { escape: '\\' };
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const text = trimSpace(lines[i]!, 'left');
    // Go's regexp \s is ASCII [\t\n\f\r ]; JavaScript's is wider.
    const m = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/.exec(text);
    const name = m?.[1]!.toLowerCase();
    if (!m || (name !== 'escape' && name !== 'syntax' && name !== 'check')) break;
    const place = (err: ReturnType<typeof problem>) => atLines(err, i + 1, i + 1);
    if (seen.has(name)) throw place(problem('DOCKERFILE_DIRECTIVE', `only one ${name} parser directive can be used`));
    seen.add(name);
    const value = m[2]!;
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw place(problem('DOCKERFILE_DIRECTIVE', `invalid escape token '${value}' does not match \` or \\`));
      }
      found.escape = value;
    } else found[name] = value;
  }
  return found;
}

/**
 * When `line` ends with the escape character (then only spaces or tabs), the line without it,
 * else null. An escape preceded by another escape is an escaped escape, not a continuation
 * (`echo \\` ends the instruction) — Docker's rule, which has no answer for three in a row and
 * treats `\\\` the same way.
 */
export function continued(line: string, escape: EscapeChar): string | null {
  // #region exercise-5-continuation
  const trimmed = line.replace(/[ \t]+$/, '');
  if (!trimmed.endsWith(escape)) return null;
  const before = trimmed.slice(0, -1);
  if (before.endsWith(escape)) return null;
  return before;
  // #endregion exercise-5-continuation
}

/** The directives and the logical lines of a Dockerfile's text. */
export function readLines(text: string): { directives: Directives; lines: LogicalLine[] } {
  const physical = physicalLines(text);
  const directives = readDirectives(physical);
  const { escape } = directives;
  const lines: LogicalLine[] = [];
  let i = 0;
  const next = (): string => {
    const raw = physical[i++]!;
    if (Buffer.byteLength(raw) > MAX_LINE_BYTES) {
      throw atLines(problem('DOCKERFILE_PARSE', `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`), i, i);
    }
    return raw;
  };
  while (i < physical.length) {
    // The first line of an instruction loses its indentation; a comment or blank one is skipped.
    const first = trimSpace(next(), 'left');
    const start = i;
    if (first.startsWith('#')) continue;
    let rest = continued(first, escape);
    let joined = rest ?? first;
    if (rest === null && joined === '') continue;
    let emptyContinuation = false;
    // Continuation lines keep their indentation (Docker shows it in `Step N/M`).
    while (rest !== null && i < physical.length) {
      const raw = next();
      if (isComment(raw)) continue;
      if (isBlank(raw)) {
        emptyContinuation = true;
        continue;
      }
      rest = continued(raw, escape);
      joined += rest ?? raw;
    }
    lines.push({ text: joined, line: start, endLine: i, emptyContinuation });
  }
  return { directives, lines };
}

/** Docker's stderr lines for the empty continuation lines it found, or none. */
export function continuationWarnings(lines: readonly LogicalLine[]): string[] {
  const found = lines.filter((l) => l.emptyContinuation).map((l) => `[WARNING]: Empty continuation line found in: ${l.text}`);
  if (found.length > 0) found.push('[WARNING]: Empty continuation lines will become errors in a future release.');
  return found;
}

