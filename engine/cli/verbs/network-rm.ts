// `dockling network rm NETWORK…`: each network removed on its own, its name printed. The
// predefined ones (bridge, host, none) and networks with containers on them are refused by the
// daemon; the others still go, and the exit code is 1 if any failed.
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';

export const verb: Verb = {
  usage: 'network rm NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  async run(ctx) {
    let failed = false;
    for (const name of ctx.args) {
      try {
        (await ctx.client().ok('DELETE', `/networks/${encodeURIComponent(name)}`)).resume();
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        if (ctx.flags.force === true && err.status === 404) continue;
        ctx.stderr.write(err.message + '\n');
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
