// Progress as Docker reports it (chapter 4): the JSON messages POST /images/create and
// /images/{name}/push stream, which the `docker` CLI draws line by line, one line per `id`:
//
//   {"status":"Pulling fs layer","progressDetail":{},"id":"2e532a0aa633"}
//   {"status":"Downloading","progressDetail":{"current":1048576,"total":2155123},
//    "progress":"[========================>                          ]  1.049MB/2.155MB","id":"2e532a0aa633"}
//   {"status":"Pull complete","progressDetail":{},"id":"2e532a0aa633"}
//
// Plain lines carry an empty progressDetail: the CLI skips a line whose progressDetail has
// numbers when it is not writing to a terminal, and prints the plain ones.
import type { ProgressListener, ProgressMessage } from './types.js';

const BAR_WIDTH = 50;
/** Byte counts are reported at most this often per line, and always when a blob is done. */
const THROTTLE_MS = 100;

/** Sizes the way the CLI prints them: decimal units, four significant digits (`1.049MB`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${Number(n.toPrecision(4))}${units[u]}`;
}

/** The text bar of the deprecated `progress` field. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const filled = Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH));
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : '='.repeat(filled) + '>' + ' '.repeat(BAR_WIDTH - filled - 1);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** The last message of a failed pull or push: the CLI prints errorDetail.message and exits 1. */
export function errorMessage(err: unknown): ProgressMessage {
  const message = String((err as Error)?.message ?? err);
  return { errorDetail: { message }, error: message };
}

/** Sends messages to a listener; byte counts are throttled per line. */
export class Progress {
  private readonly lastBytes = new Map<string, number>();

  constructor(private readonly listener?: ProgressListener) {}

  emit(message: ProgressMessage): void {
    if (!this.listener) return;
    try {
      this.listener(message);
    } catch {
      // A listener that fails (a client gone away) must not fail the pull: the caller's
      // AbortSignal is the way to stop one.
    }
  }

  /** A plain line: `Pull complete`, `Digest: sha256:…`. */
  status(status: string, id?: string): void {
    this.emit(id === undefined ? { status } : { status, progressDetail: {}, id });
  }

  /** A byte count (`Downloading`, `Pushing`), sent when due. */
  bytes(status: string, id: string, current: number, total: number): void {
    const now = Date.now();
    const last = this.lastBytes.get(id) ?? 0;
    if (current < total && now - last < THROTTLE_MS) return;
    this.lastBytes.set(id, now);
    this.emit({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }

  error(err: unknown): void {
    this.emit(errorMessage(err));
  }
}
