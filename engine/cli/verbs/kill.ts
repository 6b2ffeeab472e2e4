// `dockling kill [-s SIGNAL] CONTAINER...` (chapter 3): a signal to the container's pid 1
// (SIGKILL unless told). Pid 1 of a pid namespace gets only the signals it has a handler for.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  args: { min: 1 },
  flags: [{ name: 'signal', short: 's', type: 'string', value: 'string', description: 'Signal to send to the container' }],
  run: (ctx) => eachContainer(ctx, async (name) => {
    (await ctx.client().ok('POST', `/containers/${encodeURIComponent(name)}/kill`, { query: { signal: ctx.flags.signal as string | undefined } })).resume();
    return name;
  }),
};
