// `dockling pause CONTAINER...` (chapter 3): every process of the container frozen by the
// cgroup freezer — still there, using no CPU, until `unpause`.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'pause CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  args: { min: 1 },
  flags: [],
  run: (ctx) => eachContainer(ctx, async (name) => {
    (await ctx.client().ok('POST', `/containers/${encodeURIComponent(name)}/pause`)).resume();
    return name;
  }),
};
