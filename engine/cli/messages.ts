// Draws a JSON message stream (pull, push, load, import) the way the docker CLI does
// (protocol reference §4.1). Two audiences:
//
// - a terminal: every line with an `id` and progress is a line of its own, rewritten in place.
//   A new id gets a fresh line at the bottom; an update moves the cursor up to its id's line,
//   clears it, writes, and moves back down:
//
//     "\n"  "\x1b[1A" "\x1b[2K" "\r"  "6c3e58e2a5b1: Downloading [=====>     ]  1.049MB/2.155MB\r"  "\x1b[1B"
//      new   up 1     clear    col 0   the line, ending at column 0                              down 1
//
//   Any line without progress forgets the ids: what follows starts below it.
// - anything else (a pipe, a file, a test): a message whose progressDetail has numbers is
//   skipped, the rest printed one per line — `6c3e58e2a5b1: Pull complete`.
//
// `errorDetail` — the only error field the docker CLI honours — ends the stream: its message
// goes to stderr and the exit code is 1. `aux` objects are never printed.
import type { IncomingMessage } from 'node:http';
import { jsonMessages } from './client.js';
import { humanSize } from './format/size.js';
import type { VerbContext } from './verb.js';

export interface JSONMessage {
  status?: string;
  id?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  errorDetail?: { message?: string; code?: number };
}

/** Where messages are drawn: a terminal (isTTY, columns) or not. */
export interface MessageOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const BAR_WIDTH = 50;
/** The bar is drawn only when it fits beside the counts (the docker CLI's threshold). */
const BAR_MIN_COLUMNS = 110;
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const down = (n: number) => (n > 0 ? `\x1b[${n}B` : '');
const CLEAR_LINE = '\x1b[2K';

// #region progress-text
/** `[=====>     ]  1.049MB/2.155MB`, the bar only on a wide terminal; '' when there are no numbers. */
export function progressText(detail: { current?: number; total?: number }, columns: number): string {
  const current = detail.current ?? 0;
  const total = detail.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const filled = Math.min(BAR_WIDTH, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = columns > BAR_MIN_COLUMNS ? `[${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled)}] ` : '';
  // A current beyond the total (a registry that lied about sizes) shows without the total.
  const counts = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + counts;
}
// #endregion progress-text

/** One message as text, or null when it is not shown (numbers, off a terminal). */
function render(m: JSONMessage, tty: boolean, columns: number): string | null {
  const hasProgress = m.progressDetail !== undefined;
  const numbers = hasProgress ? progressText(m.progressDetail!, columns) : '';
  if (hasProgress && !tty && numbers !== '') return null;
  // On a terminal a progress line clears its line and ends at column 0, ready to be rewritten.
  const rewrite = tty && m.stream === undefined && hasProgress;
  const end = rewrite ? '\r' : '';
  let text = rewrite ? `${CLEAR_LINE}\r` : '';
  if (m.id) text += `${m.id}: `;
  if (hasProgress && tty) text += `${m.status ?? ''} ${numbers}${end}`;
  else if (m.progress) text += `${m.status ?? ''} ${m.progress}${end}`;
  else if (m.stream !== undefined) text += `${m.stream}${end}`;
  else text += `${m.status ?? ''}${end}\n`;
  return text;
}

// #region display
/**
 * Draws `messages` on `out`; resolves with the error message when the stream carried one
 * (drawing stops there), else with nothing.
 */
export async function displayMessages(messages: AsyncIterable<JSONMessage>, out: MessageOutput): Promise<{ error?: string }> {
  const tty = out.isTTY === true;
  const columns = out.columns ?? 200;
  // Which screen line each id has, counted from the first progress line drawn.
  const lines = new Map<string, number>();
  for await (const m of messages) {
    if (m.errorDetail) return { error: m.errorDetail.message ?? 'unknown error' };
    if (m.aux !== undefined) continue;
    let distance = 0;
    if (m.id && (m.progressDetail !== undefined || m.progress)) {
      let line = lines.get(m.id);
      if (line === undefined) {
        line = lines.size;
        lines.set(m.id, line);
        if (tty) out.write('\n');
      }
      distance = lines.size - line;
      if (tty) out.write(up(distance));
    } else {
      lines.clear();
    }
    const text = render(m, tty, columns);
    if (text !== null) out.write(text);
    if (m.id && tty) out.write(down(distance));
  }
  return {};
}
// #endregion display

/** A daemon's JSON message stream drawn on stdout; its error on stderr with exit code 1. */
export async function printMessages(res: IncomingMessage, ctx: Pick<VerbContext, 'stdout' | 'stderr'>, out: MessageOutput = ctx.stdout): Promise<number> {
  const { error } = await displayMessages(jsonMessages(res) as AsyncIterable<JSONMessage>, out);
  if (error === undefined) return 0;
  ctx.stderr.write(`${error}\n`);
  return 1;
}
