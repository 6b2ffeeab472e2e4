// `dockling base-image`: an image made on the spot from this machine, for rooms with no
// network — a static busybox (Debian's busybox-static) with its applet links, as one layer.
// The daemon builds it (it owns the store); this verb only asks and prints the result.
import type { Verb } from '../verb.js';

export const verb: Verb = {
  usage: 'base-image [OPTIONS]',
  description: 'Make a base image from what this machine has (a static busybox) and tag it',
  args: { max: 0 },
  flags: [
    { name: 'tag', short: 't', type: 'string', value: 'string', description: 'Name for the image (default "busybox:latest")' },
    { name: 'busybox', type: 'string', value: 'path', description: 'The busybox binary to use, on the daemon\'s machine (default /bin/busybox)' },
  ],
  async run(ctx) {
    const result = await ctx.client().json<{ Id: string; RepoTags: string[]; Size: number }>('POST', '/dockling/base-image', {
      query: { tag: ctx.flags.tag as string | undefined, busybox: ctx.flags.busybox as string | undefined },
    });
    for (const t of result.RepoTags) ctx.stdout.write(`Tagged: ${t}\n`);
    ctx.stdout.write(`${result.Id}\n`);
  },
};
