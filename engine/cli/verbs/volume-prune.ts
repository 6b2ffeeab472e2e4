// `dockling volume prune`: removes the anonymous volumes no container uses (`-a`: every unused
// volume), then prints what went, as Docker does. Asks first unless `-f`.
import type { Verb } from '../verb.js';
import { createInterface } from 'node:readline/promises';

export const verb: Verb = {
  usage: 'volume prune [OPTIONS]',
  description: 'Remove unused local volumes',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx) {
    if (ctx.flags.force !== true) {
      const what = ctx.flags.all ? 'all volumes not used by at least one container' : 'all anonymous local volumes not used by at least one container';
      const rl = createInterface({ input: ctx.stdin, output: ctx.stdout });
      const answer = await rl.question(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const res = await ctx.client().json<{ VolumesDeleted?: string[] | null }>('POST', '/volumes/prune', {
      query: { filters: ctx.flags.all ? JSON.stringify({ all: { true: true } }) : undefined },
    });
    const deleted = res.VolumesDeleted ?? [];
    if (deleted.length) ctx.stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    ctx.stdout.write('Total reclaimed space: 0B\n');
  },
};
