// `dockling top CONTAINER [ps OPTIONS]` (chapter 3): the container's processes as the host's
// `ps` sees them (the daemon keeps the rows whose PID is in the container), in Docker's table:
// columns at least 20 wide (text/tabwriter, minwidth 20, padding 3).
import type { Verb } from '../verb.js';
import { tabwrite } from '../format/table.js';

export const verb: Verb = {
  usage: 'top CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  args: { min: 1 },
  interspersed: false,
  flags: [],
  async run(ctx) {
    const [name, ...psArgs] = ctx.args as [string, ...string[]];
    const top = await ctx.client().json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${encodeURIComponent(name)}/top`, {
      query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
    });
    const lines = [top.Titles, ...top.Processes].map((row) => row.join('\t') + '\n').join('');
    ctx.stdout.write(tabwrite(lines, { minWidth: 20, padding: 3 }));
  },
};
