// Reading a container's log (chapter 3): DIR/container.log in Docker's json-file format, one
// JSON object per line — {"log":"hi\n","stream":"stdout","time":"2026-11-29T23:00:00.123456789Z"}
// — written by dockling-shim (see its json_escape for the writing rules). This module is what
// `logs` and `attach` read: filtered by stream and time, the last N lines found by reading from
// the end, and followed until the container's exit file appears and the log is drained.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  /** The bytes the container wrote, newline included (absent for a partial line). */
  line: Buffer;
  /** RFC 3339 with nanoseconds, UTC, as the shim stamped it when it read the line. */
  time: string;
}

export interface ReadLogOptions {
  path: string;
  /** Keep reading as the container writes, until it has exited and the log is drained. */
  follow?: boolean;
  since?: Date;
  until?: Date;
  /** Only the last `tail` matching entries (before following). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** Not a filter: carried for formatLogEntry, so a caller passes one options object. */
  timestamps?: boolean;
  signal?: AbortSignal;
  /** The file whose appearance means "no more lines": the shim's exit file beside the log. */
  exitPath?: string;
  pollMs?: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/** One log line parsed, or undefined for a line that is not a json-file entry. */
export function parseLogLine(text: string | Buffer): LogEntry | undefined {
  try {
    const o = JSON.parse(text.toString()) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof o.log !== 'string' || (o.stream !== 'stdout' && o.stream !== 'stderr') || typeof o.time !== 'string') return undefined;
    return { stream: o.stream, line: Buffer.from(o.log, 'utf8'), time: o.time };
  } catch {
    return undefined;
  }
}

/** An RFC 3339 time in nanoseconds since the epoch: Date keeps only milliseconds. */
export function timeNs(time: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) return BigInt(Date.parse(time)) * 1_000_000n;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** What `docker logs` prints for an entry: the line, after its time when asked for timestamps. */
export function formatLogEntry(entry: LogEntry, opts: { timestamps?: boolean } = {}): Buffer {
  return opts.timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.line]) : entry.line;
}

function makeFilter(opts: ReadLogOptions): (e: LogEntry) => boolean {
  const since = opts.since ? BigInt(opts.since.getTime()) * 1_000_000n : undefined;
  const until = opts.until ? BigInt(opts.until.getTime()) * 1_000_000n : undefined;
  return (e) => {
    if (e.stream === 'stdout' ? opts.stdout === false : opts.stderr === false) return false;
    if (since === undefined && until === undefined) return true;
    const t = timeNs(e.time);
    return (since === undefined || t >= since) && (until === undefined || t <= until);
  };
}

// #region tail-offset
/**
 * The offset where the last `count` matching entries begin, found by reading 64 KiB chunks
 * backwards from the end: `logs --tail 10` of a gigabyte log reads a few kilobytes.
 */
async function tailOffset(fh: FileHandle, size: number, count: number, keep: (e: LogEntry) => boolean): Promise<number> {
  if (count <= 0) return size;
  let pos = size;
  let carry = Buffer.alloc(0); // the start of the earliest line seen, not yet complete
  let found = 0;
  let end = -1; // offset just past the last complete line, once known
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    await fh.read(chunk, 0, len, pos);
    const buf = Buffer.concat([chunk, carry]);
    let stop = buf.length;
    if (end < 0) {
      // A last line without its newline is still being written: it is not part of the tail.
      const last = buf.lastIndexOf(NEWLINE);
      if (last < 0) { carry = buf; continue; }
      end = pos + last + 1;
      stop = last + 1;
    }
    for (let nl = buf.lastIndexOf(NEWLINE, stop - 2); ; nl = buf.lastIndexOf(NEWLINE, nl - 1)) {
      if (nl < 0 && pos > 0) { carry = buf.subarray(0, stop); break; }
      const entry = parseLogLine(buf.subarray(nl + 1, stop));
      if (entry && keep(entry) && ++found === count) return pos + nl + 1;
      if (nl < 0) return 0;
      stop = nl + 1;
    }
  }
  return 0;
}
// #endregion tail-offset

/** Resolves at the next change to the log (or its directory), after pollMs, or on abort. */
function nextChange(watcher: FSWatcher | undefined, pollMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      watcher?.off('change', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    watcher?.on('change', done);
    signal?.addEventListener('abort', done);
  });
}

// #region read-log
/** The container's log entries, oldest first; with `follow`, until the container has exited. */
export async function* readLog(opts: ReadLogOptions): AsyncGenerator<LogEntry> {
  const keep = makeFilter(opts);
  const exitPath = opts.exitPath ?? join(dirname(opts.path), 'exit');
  const pollMs = opts.pollMs ?? 250;
  let fh: FileHandle | undefined;
  let watcher: FSWatcher | undefined;
  try {
    for (;;) {
      fh = await open(opts.path, 'r').catch(() => undefined);
      // No log yet: nothing printed so far. Following, wait for the first line or the end.
      if (fh || !opts.follow || existsSync(exitPath) || opts.signal?.aborted) break;
      await nextChange(undefined, pollMs, opts.signal);
    }
    if (!fh) return;
    if (opts.follow) {
      try {
        watcher = watch(dirname(opts.path)); // the log growing and the exit file's rename, both
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined; // polling alone then
      }
    }
    let offset = opts.tail === undefined ? 0 : await tailOffset(fh, (await fh.stat()).size, opts.tail, keep);
    let pending = Buffer.alloc(0);
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      if (opts.signal?.aborted) return;
      // Decide "finished" before reading: the shim writes exit after the last log line.
      const finished = !opts.follow || existsSync(exitPath);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        const data = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        let start = 0;
        for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
          const entry = parseLogLine(data.subarray(start, nl));
          start = nl + 1;
          if (!entry || !keep(entry)) {
            if (entry && opts.until && timeNs(entry.time) > BigInt(opts.until.getTime()) * 1_000_000n) return;
            continue;
          }
          yield entry;
        }
        pending = Buffer.from(data.subarray(start));
        continue;
      }
      if (finished) return;
      await nextChange(watcher, pollMs, opts.signal);
    }
  } finally {
    watcher?.close();
    await fh?.close();
  }
}
// #endregion read-log
