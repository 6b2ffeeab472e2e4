// The chapters' "Try it" blocks (issue 8): how they are read and matched (try-it.ts), that the
// block a page's diagram replays is exactly what the recorder ran (site/traces/index.json), and
// every block of every page run for real against a daemon of its own (try-it-run.ts), its output
// checked against what the page shows.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TraceIndex } from '../traces/trace-index.js';
import { matchOutput, parseTryIt, shownCommand } from './try-it.js';
import { describeResult, runPage } from './try-it-run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHAPTERS = join(ROOT, 'chapters');
const pages = readdirSync(CHAPTERS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
const index = JSON.parse(readFileSync(join(ROOT, 'site/traces/index.json'), 'utf8')) as TraceIndex;
const isRoot = process.getuid?.() === 0;

describe('reading a try-it block', () => {
  const page = [
    'Some text.',
    '<!-- try-it trace=demo -->',
    '```console',
    '$ dockling create --name box busybox \\',
    '    rm /etc/group',
    '…',
    '$ cat > Dockerfile <<\'EOF\'',
    'FROM busybox',
    '$ not a command: inside the heredoc',
    'EOF',
    '$ dockling registry --listen localhost:5000 &',
    '$ dockling rm nosuch',
    'Error response from daemon: No such container: nosuch',
    '[exit 1]',
    '```',
    '```console',
    '$ not a try-it block',
    '```',
  ].join('\n');

  it('finds the commands, their expected lines, heredocs, continuations, background jobs and exit statuses', () => {
    const [block, ...more] = parseTryIt('p.md', page);
    expect(more).toEqual([]);
    expect(block!.trace).toBe('demo');
    expect(block!.commands.map((c) => [c.line, c.command, c.expected, c.exit, c.background])).toEqual([
      [4, 'dockling create --name box busybox \\\n    rm /etc/group', ['…'], 0, false],
      [7, "cat > Dockerfile <<'EOF'\nFROM busybox\n$ not a command: inside the heredoc\nEOF", null, 0, false],
      [11, 'dockling registry --listen localhost:5000', null, 0, true],
      [12, 'dockling rm nosuch', ['Error response from daemon: No such container: nosuch'], 1, false],
    ]);
    expect(block!.commands.map(shownCommand)[2]).toBe('dockling registry --listen localhost:5000 &');
  });

  it('refuses a marker without a console fence, a fence never closed, a heredoc never ended', () => {
    expect(() => parseTryIt('p.md', '<!-- try-it -->\n```sh\n$ ls\n```')).toThrow('p.md:1: a try-it marker must be followed by a ```console fence');
    expect(() => parseTryIt('p.md', '<!-- try-it -->\n```console\n$ ls\n')).toThrow('p.md:2: the try-it fence is never closed');
    expect(() => parseTryIt('p.md', "<!-- try-it -->\n```console\n$ cat > f <<'END'\nx\n```")).toThrow('the heredoc is never ended by a line "END"');
  });
});

describe('matching what a command printed', () => {
  it('takes … as any text in a line, and a line of … as any number of lines', () => {
    expect(matchOutput(['C /etc', 'D /etc/group'], 'C /etc\nD /etc/group\n')).toEqual({ ok: true });
    expect(matchOutput(['sha256:…'], 'sha256:5d2c60f2881e\n')).toEqual({ ok: true });
    expect(matchOutput(['first', '…', 'last'], 'first\nlast\n')).toEqual({ ok: true });
    expect(matchOutput(['first', '…', 'last'], 'first\na\nb\nlast')).toEqual({ ok: true });
    expect(matchOutput(['a (b) [c] $d.*'], 'a (b) [c] $d.*   ')).toEqual({ ok: true }); // literal, trailing spaces ignored
  });

  it('says which expected line found no match, and what was printed there', () => {
    const m = matchOutput(['C /etc', 'D /etc/group'], 'C /etc\nA /etc/hostname\n');
    expect(m.ok).toBe(false);
    expect(!m.ok && m.why).toMatch(/^expected line 2 "D \/etc\/group" not found at output line 2; the output there:\n.*\| A \/etc\/hostname/s);
    expect(matchOutput(['a'], 'a\nb\n')).toMatchObject({ ok: false, why: expect.stringMatching(/^the output has more lines than expected, from line 2/) });
    expect(matchOutput(['sha256:…'], 'sha512:x')).toMatchObject({ ok: false });
  });
});

describe('the chapters\' try-it blocks', () => {
  it('every page reads, and every block with a trace is exactly the commands that trace was recorded from', () => {
    for (const page of pages) {
      for (const block of parseTryIt(page, readFileSync(join(CHAPTERS, page), 'utf8'))) {
        if (!block.trace) continue;
        const entry = index.traces.find((t) => t.id === block.trace);
        expect(entry, `${page}:${block.line}: trace=${block.trace} is not in site/traces/index.json`).toBeDefined();
        expect(block.commands.map(shownCommand), `${page}:${block.line}: the commands of trace ${block.trace}`).toEqual(entry!.commands);
      }
    }
  });

  it('every diagram of a page replays a trace whose commands the page shows as a try-it block', () => {
    for (const page of pages) {
      const text = readFileSync(join(CHAPTERS, page), 'utf8');
      const shown = new Set(parseTryIt(page, text).map((b) => b.trace));
      for (const m of text.matchAll(/<TracePlayer\b[^>]*\btrace="([^"]+)"/g)) {
        expect(shown.has(m[1]!), `${page}: its diagram replays ${m[1]}, but no <!-- try-it trace=${m[1]} --> block shows those commands`).toBe(true);
      }
    }
  });
});

describe.skipIf(!isRoot)('every try-it block, run against a daemon of its own', () => {
  for (const page of pages) {
    const blocks = parseTryIt(page, readFileSync(join(CHAPTERS, page), 'utf8'));
    if (blocks.length === 0) continue;
    it(`${page}: ${blocks.reduce((n, b) => n + b.commands.length, 0)} commands print what the page shows`, async () => {
      const results = await runPage(join(CHAPTERS, page));
      const failed = results.find((r) => r.failure);
      expect(failed ? describeResult(failed) : null).toBeNull();
      expect(results).toHaveLength(blocks.reduce((n, b) => n + b.commands.length, 0));
    }, 600_000);
  }
});
if (!isRoot) console.log('try-it blocks not run: they need root (the engine mounts, makes namespaces and cgroups)');
