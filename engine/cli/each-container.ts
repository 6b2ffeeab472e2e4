// The shape shared by stop, restart, kill and wait: one request per container named, the name
// printed on success, `Error response from daemon: …` on failure, exit 1 if any failed.
import type { VerbContext } from './verb.js';
import { DaemonError } from './errors.js';

export async function eachContainer(ctx: VerbContext, act: (name: string) => Promise<string>): Promise<number> {
  let failed = false;
  for (const name of ctx.args) {
    try {
      ctx.stdout.write(`${await act(name)}\n`);
    } catch (err) {
      if (!(err instanceof DaemonError)) throw err;
      ctx.stderr.write(`${err.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
