// Docker's JSON message stream (protocol reference §4.1): a 200 with `application/json`, one
// object per message separated by `\r\n` as dockerd does, for load, import, pull and build.
// Once the stream has begun, a failure cannot change the status: it travels as `errorDetail`
// (the only field the CLI honours) plus the deprecated `error` string for old clients. A held
// stream (pull, push) opens only once it has something worth reporting, so that an early
// failure keeps its HTTP status.
import type { ServerResponse } from 'node:http';

export interface JSONMessage {
  status?: string;
  id?: string;
  stream?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
  errorDetail?: { message: string; code?: number };
  error?: string;
}

export class JSONMessageStream {
  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
  }

  write(msg: JSONMessage): void {
    this.res.write(JSON.stringify(msg) + '\r\n');
  }

  fail(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    this.res.end();
  }
}

// #region held-stream
/**
 * A JSON message stream whose `200` waits: the first `hold` messages are kept back, and the
 * stream opens (status, headers, then them) with the next one. Until it has opened, a failure
 * can still be an HTTP error with its own status — `404 {"message": "manifest … not found"}` —
 * which is what dockerd answers for a pull that fails before it has anything to report (its
 * writer sends headers on the first flush). After, the failure travels as `errorDetail`.
 */
export class HeldMessageStream {
  private stream?: JSONMessageStream;
  private readonly held: JSONMessage[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly hold: number,
  ) {}

  /** True once the 200 has been sent: failures must go in the stream now. */
  get opened(): boolean {
    return this.stream !== undefined;
  }

  write(msg: JSONMessage): void {
    if (!this.stream && this.held.length < this.hold) {
      this.held.push(msg);
      return;
    }
    this.open().write(msg);
  }

  /** Ends a stream that worked: whatever is still held is sent first. */
  end(): void {
    this.open().end();
  }

  /** Ends a stream that failed after opening (before, the caller throws for an HTTP error instead). */
  fail(message: string): void {
    const stream = this.open();
    stream.fail(message);
    stream.end();
  }

  private open(): JSONMessageStream {
    if (!this.stream) {
      this.stream = new JSONMessageStream(this.res);
      for (const m of this.held.splice(0)) this.stream.write(m);
    }
    return this.stream;
  }
}
// #endregion held-stream
