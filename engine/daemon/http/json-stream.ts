// Docker's JSON message stream (protocol reference §4.1): a 200 with `application/json`, one
// object per message separated by `\r\n` as dockerd does, for load, import, pull and build.
// Once the stream has begun, a failure cannot change the status: it travels as `errorDetail`
// (the only field the CLI honours) plus the deprecated `error` string for old clients.
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
