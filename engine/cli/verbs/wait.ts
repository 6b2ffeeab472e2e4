// `dockling wait CONTAINER...` (chapter 3): blocks until each container stops, prints its exit code.
import type { Verb } from '../verb.js';
import { eachContainer } from '../each-container.js';

export const verb: Verb = {
  usage: 'wait CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  args: { min: 1 },
  flags: [],
  run: (ctx) => eachContainer(ctx, async (name) => {
    const r = await ctx.client().json<{ StatusCode: number }>('POST', `/containers/${encodeURIComponent(name)}/wait`);
    return String(r.StatusCode);
  }),
};
