// The chapters' "Try it" blocks (issue 8), read from the pages and matched against what the
// commands print. A block is a `console` fence right after an HTML comment:
//
//   <!-- try-it -->                 or   <!-- try-it trace=unionfs-cp-commit -->
//   ```console
//   $ dockling create --name box busybox rm /etc/group
//   …
//   $ dockling diff box
//   C /etc
//   D /etc/group
//   ```
//
// - `$ ` starts a command. A line ending with `\` goes on to the next; a command with a heredoc
//   (`cat > Dockerfile <<'EOF'`) takes the lines up to its terminator; one ending with ` &` runs in
//   the background until the page ends.
// - The other lines after a command are what it prints (stdout and stderr together): `…` inside a
//   line matches any text in that line, a line of only `…` any number of lines. Trailing spaces do
//   not count. No lines: not checked. The command must exit 0, unless the last line is `[exit N]`.
// - `trace=ID`: the block is what the page's diagram replays — its commands are exactly the
//   commands site/traces/index.json lists for that trace.
// This file only reads and matches; try-it-run.ts runs the commands against a real daemon.

export interface TryCommand {
  /** The page line the command starts on (1-based). */
  line: number;
  /** As written, without the `$ `; continuation and heredoc lines joined with newlines. */
  command: string;
  /** The lines it should print; null when the block does not say. */
  expected: string[] | null;
  /** The exit status it should end with. */
  exit: number;
  background: boolean;
}

export interface TryBlock {
  page: string;
  line: number;
  trace: string | null;
  commands: TryCommand[];
}

const MARKER = /^<!--\s*try-it(?:\s+trace=([\w.-]+))?\s*-->\s*$/;
const ELLIPSIS = '…';

/** Every try-it block of a page, in order; a marker not followed by a `console` fence is an error. */
export function parseTryIt(page: string, text: string): TryBlock[] {
  const lines = text.split('\n');
  const blocks: TryBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]!);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    if (!/^```console\s*$/.test(lines[j] ?? '')) throw new Error(`${page}:${i + 1}: a try-it marker must be followed by a \`\`\`console fence`);
    const body: Array<{ n: number; text: string }> = [];
    let k = j + 1;
    for (; k < lines.length && !/^```\s*$/.test(lines[k]!); k++) body.push({ n: k + 1, text: lines[k]! });
    if (k >= lines.length) throw new Error(`${page}:${j + 1}: the try-it fence is never closed`);
    blocks.push({ page, line: i + 1, trace: m[1] ?? null, commands: commandsOf(page, body) });
    i = k;
  }
  return blocks;
}

function commandsOf(page: string, body: Array<{ n: number; text: string }>): TryCommand[] {
  const out: TryCommand[] = [];
  let i = 0;
  while (i < body.length) {
    const first = body[i]!;
    if (!first.text.startsWith('$ ')) {
      if (out.length === 0 && first.text.trim() !== '') throw new Error(`${page}:${first.n}: a try-it block starts with a command ("$ …")`);
      i++;
      continue;
    }
    const parts = [first.text.slice(2)];
    i++;
    // `\` at the end: the command goes on.
    while (parts.at(-1)!.endsWith('\\') && i < body.length) parts.push(body[i++]!.text);
    // A heredoc: the lines up to its terminator are the command's too.
    const heredoc = /<<-?\s*(['"]?)([\w.-]+)\1/.exec(parts.join('\n'));
    if (heredoc) {
      const end = heredoc[2]!;
      while (i < body.length && body[i]!.text.trim() !== end) parts.push(body[i++]!.text);
      if (i >= body.length) throw new Error(`${page}:${first.n}: the heredoc is never ended by a line "${end}"`);
      parts.push(body[i++]!.text);
    }
    const expected: string[] = [];
    while (i < body.length && !body[i]!.text.startsWith('$ ')) expected.push(body[i++]!.text.trimEnd());
    while (expected.length && expected.at(-1) === '') expected.pop();
    let exit = 0;
    const status = /^\[exit (\d+)\]$/.exec(expected.at(-1) ?? '');
    if (status) {
      exit = Number(status[1]);
      expected.pop();
    }
    let command = parts.join('\n');
    const background = /\s&$/.test(command);
    if (background) command = command.replace(/\s*&$/, '');
    out.push({ line: first.n, command, expected: expected.length || status ? expected : null, exit, background });
  }
  return out;
}

/** A command as the recorder lists it: a background one with its ` &`. */
export const shownCommand = (c: TryCommand) => (c.background ? `${c.command} &` : c.command);

const patternOf = (line: string) => new RegExp(`^${line.split(ELLIPSIS).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/**
 * Whether `actual` (what the command printed) is what `expected` says, line by line; when not,
 * the first expected line that found no match, and the output around it, for the message.
 */
export function matchOutput(expected: string[], actual: string): { ok: true } | { ok: false; why: string } {
  const got = actual.replace(/\r/g, '').split('\n').map((l) => l.trimEnd());
  while (got.length && got.at(-1) === '') got.pop();
  const want = expected.map((l) => l.trimEnd());
  const patterns = want.map((l) => (l === ELLIPSIS ? null : patternOf(l)));
  // Backtracking over `…` lines; `best` remembers how far the expected lines got, for the message.
  let best = { e: 0, a: 0 };
  const memo = new Set<string>();
  const match = (e: number, a: number): boolean => {
    if (e > best.e) best = { e, a };
    const key = `${e},${a}`;
    if (memo.has(key)) return false;
    memo.add(key);
    if (e === want.length) return a === got.length;
    const p = patterns[e];
    if (p === null) {
      for (let skip = a; skip <= got.length; skip++) if (match(e + 1, skip)) return true;
      return false;
    }
    return a < got.length && p!.test(got[a]!) && match(e + 1, a + 1);
  };
  if (match(0, 0)) return { ok: true };
  const near = got.slice(Math.max(0, best.a - 2), best.a + 3).map((l) => `    | ${l}`).join('\n');
  const why = best.e < want.length
    ? `expected line ${best.e + 1} "${want[best.e]}" not found at output line ${best.a + 1}; the output there:\n${near || '    (nothing)'}`
    : `the output has more lines than expected, from line ${best.a + 1}:\n${near}`;
  return { ok: false, why };
}
