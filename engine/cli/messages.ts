// Prints a JSON message stream (load, import) the way the docker CLI does without a terminal:
// `stream` as is, `status` as a line, and `errorDetail` — the only error field that counts —
// on stderr with exit code 1.
import type { IncomingMessage } from 'node:http';
import { jsonMessages } from './client.js';
import type { VerbContext } from './verb.js';

export async function printMessages(res: IncomingMessage, ctx: Pick<VerbContext, 'stdout' | 'stderr'>): Promise<number> {
  for await (const m of jsonMessages(res)) {
    const detail = m.errorDetail as { message?: string } | undefined;
    if (detail) {
      ctx.stderr.write(`${detail.message ?? 'unknown error'}\n`);
      return 1;
    }
    if (typeof m.stream === 'string') ctx.stdout.write(m.stream);
    else if (typeof m.status === 'string') ctx.stdout.write(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
  }
  return 0;
}
