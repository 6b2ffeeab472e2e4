// `dockling unpause CONTAINER...` (chapter 3): the cgroup freezer thaws what `pause` froze.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'unpause CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  args: { min: 1 },
  flags: [],
  run: (ctx) => eachContainer(ctx, async (name) => {
    (await ctx.client().ok('POST', `/containers/${encodeURIComponent(name)}/unpause`)).resume();
    return name;
  }),
};
