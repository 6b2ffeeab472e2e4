// `dockling rmi IMAGE…`: untag, and delete what no name holds any more. Each name is tried on
// its own; failures are reported and the others still go, as in Docker (exit 1 if any failed).
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';

export const verb: Verb = {
  usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(ctx) {
    let failed = false;
    for (const name of ctx.args) {
      try {
        const items = await ctx.client().json<Array<{ Untagged?: string; Deleted?: string }>>('DELETE', `/images/${name}`, {
          query: { force: ctx.flags.force === true, noprune: ctx.flags['no-prune'] === true },
        });
        for (const item of items ?? []) {
          if (item.Untagged !== undefined) ctx.stdout.write(`Untagged: ${item.Untagged}\n`);
          if (item.Deleted !== undefined) ctx.stdout.write(`Deleted: ${item.Deleted}\n`);
        }
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.stderr.write(err.message + '\n');
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
