// `dockling stop [-t N] CONTAINER...` (chapter 3): SIGTERM, then SIGKILL after N seconds (10).
// The daemon answers once the container has exited.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  args: { min: 1 },
  flags: [{ name: 'timeout', short: 't', type: 'string', value: 'int', description: 'Seconds to wait before killing the container' }],
  run: (ctx) => eachContainer(ctx, async (name) => {
    (await ctx.client().ok('POST', `/containers/${encodeURIComponent(name)}/stop`, { query: { t: ctx.flags.timeout as string | undefined } })).resume();
    return name;
  }),
};
