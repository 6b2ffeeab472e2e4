// `dockling trace [-f]`: the daemon's recent trace events as JSON lines — the raw material of
// the site's diagrams. With -f it keeps following, one line per event, until interrupted.
import { pipeline } from 'node:stream/promises';
import type { Verb } from '../verb.js';

export const verb: Verb = {
  usage: 'trace [OPTIONS]',
  description: "Print the daemon's trace events as JSON lines",
  args: { max: 0 },
  flags: [{ name: 'follow', short: 'f', type: 'bool', description: 'Keep printing events as they happen' }],
  async run(ctx) {
    const res = await ctx.client().ok('GET', '/dockling/trace', { query: { follow: ctx.flags.follow === true } });
    await pipeline(res, ctx.stdout, { end: false });
  },
};
