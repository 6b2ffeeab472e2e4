// `dockling diff CONTAINER`: what the container's read-write layer changed, one line per path
// with Docker's letters — A added, C changed, D deleted (chapter 2, read from the upper dir).
import type { Verb } from '../verb.js';

const LETTER = ['C', 'A', 'D'];

export const verb: Verb = {
  usage: 'diff CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  args: { exact: 1 },
  flags: [],
  async run(ctx) {
    const changes = await ctx.client().json<Array<{ Path: string; Kind: number }> | null>('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/changes`);
    for (const c of changes ?? []) ctx.stdout.write(`${LETTER[c.Kind] ?? '?'} ${c.Path}\n`);
  },
};
