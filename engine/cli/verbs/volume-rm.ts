// `dockling volume rm VOLUME…`: each volume removed on its own, its name printed; one that a
// container uses (stopped ones included) is refused by the daemon, the others still go, and
// the exit code is 1 if any failed. `-f` makes a missing volume not an error (as in Docker).
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';

export const verb: Verb = {
  usage: 'volume rm [OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  async run(ctx) {
    let failed = false;
    for (const name of ctx.args) {
      try {
        (await ctx.client().ok('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: ctx.flags.force === true } })).resume();
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.stderr.write(err.message + '\n');
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
