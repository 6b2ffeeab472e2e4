// Chapter 3: reading json-file logs — stream and time filters, --tail read from the end of a
// log bigger than one read, --follow until the exit file appears, and the entries themselves.
import { describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLogEntry, parseLogLine, readLog, timeNs, type LogEntry, type ReadLogOptions } from '../../engine/namespaces/json-log.js';
import { tempDir } from '../tmp.js';

const line = (stream: string, log: string, time: string) => JSON.stringify({ log, stream, time }) + '\n';
const t = (s: number) => `2026-11-29T23:00:${String(s).padStart(2, '0')}.123456789Z`;

async function collect(opts: ReadLogOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(opts)) out.push(`${e.stream}:${e.line.toString()}`);
  return out;
}

async function logWith(n: number): Promise<string> {
  const dir = await tempDir('dockling-log-');
  const path = join(dir, 'container.log');
  let text = '';
  for (let i = 0; i < n; i++) text += line(i % 3 === 2 ? 'stderr' : 'stdout', `line ${i}\n`, t(i % 60));
  writeFileSync(path, text);
  return path;
}

describe('json-log', () => {
  it('parses an entry and formats it with and without timestamps', () => {
    const e = parseLogLine('{"log":"hi\\n","stream":"stdout","time":"2026-11-29T23:00:00.123456789Z"}') as LogEntry;
    expect(e.line.toString()).toBe('hi\n');
    expect(formatLogEntry(e).toString()).toBe('hi\n');
    expect(formatLogEntry(e, { timestamps: true }).toString()).toBe('2026-11-29T23:00:00.123456789Z hi\n');
    expect(parseLogLine('not json')).toBeUndefined();
    expect(parseLogLine('{"log":"x","stream":"stdin","time":"t"}')).toBeUndefined();
  });

  it('keeps nanoseconds in time comparisons', () => {
    expect(timeNs('2026-11-29T23:00:00.5Z') - timeNs('2026-11-29T23:00:00Z')).toBe(500_000_000n);
    expect(timeNs('2026-11-29T23:00:00.000000002Z') - timeNs('2026-11-29T23:00:00.000000001Z')).toBe(1n);
  });

  it('filters by stream', async () => {
    const path = await logWith(6);
    expect(await collect({ path, stderr: false })).toEqual(['stdout:line 0\n', 'stdout:line 1\n', 'stdout:line 3\n', 'stdout:line 4\n']);
    expect(await collect({ path, stdout: false })).toEqual(['stderr:line 2\n', 'stderr:line 5\n']);
  });

  it('filters by since and until', async () => {
    const path = await logWith(10);
    const got = await collect({ path, since: new Date('2026-11-29T23:00:03Z'), until: new Date('2026-11-29T23:00:05.5Z') });
    expect(got).toEqual(['stdout:line 3\n', 'stdout:line 4\n', 'stderr:line 5\n']);
  });

  it('tails from the end across many 64 KiB chunks, counting only matching entries', async () => {
    const path = await logWith(20_000); // ~1.5 MiB
    expect(await collect({ path, tail: 3 })).toEqual(['stderr:line 19997\n', 'stdout:line 19998\n', 'stdout:line 19999\n']);
    expect(await collect({ path, tail: 2, stdout: false })).toEqual(['stderr:line 19994\n', 'stderr:line 19997\n']);
    expect(await collect({ path, tail: 0 })).toEqual([]);
    expect((await collect({ path, tail: 50_000 })).length).toBe(20_000);
  });

  it('follows appended lines until the exit file appears, then drains and stops', async () => {
    const dir = await tempDir('dockling-log-');
    const path = join(dir, 'container.log');
    writeFileSync(path, line('stdout', 'first\n', t(1)));
    const reading = collect({ path, follow: true, pollMs: 50 });
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, line('stderr', 'second\n', t(2)));
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, line('stdout', 'last\n', t(3)));
    writeFileSync(join(dir, 'exit'), '{"code":0,"signal":0,"oomKilled":false,"finishedAt":""}\n');
    expect(await reading).toEqual(['stdout:first\n', 'stderr:second\n', 'stdout:last\n']);
  });

  it('stops following on abort', async () => {
    const path = await logWith(1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await collect({ path, follow: true, signal: ac.signal, pollMs: 20 })).toEqual(['stdout:line 0\n']);
  });
});
