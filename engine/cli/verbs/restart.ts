// `dockling restart [-t N] CONTAINER...` (chapter 3): stop (as `stop` does), then start again.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  args: { min: 1 },
  flags: [{ name: 'timeout', short: 't', type: 'string', value: 'int', description: 'Seconds to wait before killing the container' }],
  run: (ctx) => eachContainer(ctx, async (name) => {
    (await ctx.client().ok('POST', `/containers/${encodeURIComponent(name)}/restart`, { query: { t: ctx.flags.timeout as string | undefined } })).resume();
    return name;
  }),
};
