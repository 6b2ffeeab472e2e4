// `dockling system prune [-a] [--volumes] [-f]`: the four prunes in Docker's order — stopped
// containers, unused networks, (anonymous) volumes when asked, then images — with one warning
// before and one "Total reclaimed space" after.
import type { Verb } from '../verb.js';
import { confirm } from '../confirm.js';
import { humanSize } from '../format/size.js';
import { pruneContainers, pruneFilters } from './container-prune.js';
import { IMAGE_WARNING, pruneImages } from './image-prune.js';

export const verb: Verb = {
  usage: 'system prune [OPTIONS]',
  description: 'Remove unused data',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images not just dangling ones' },
    { name: 'filter', type: 'strings', value: 'filter', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', description: 'Prune anonymous volumes' },
  ],
  async run(ctx) {
    const all = ctx.flags.all === true;
    const volumes = ctx.flags.volumes === true;
    const filters = pruneFilters(ctx.flags.filter);
    if (ctx.flags.force !== true) {
      const items = [
        'all stopped containers',
        'all networks not used by at least one container',
        ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
        all ? IMAGE_WARNING.all : IMAGE_WARNING.dangling,
        all ? 'all build cache' : 'unused build cache',
      ];
      const warning = `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}`;
      if (!(await confirm({ stdin: ctx.stdin, stdout: ctx.stdout, warning }))) return 0;
    }
    // Containers first: their images and networks become unused only once they are gone.
    let reclaimed = (await pruneContainers(ctx, filters)).SpaceReclaimed;
    const nets = await ctx.client().json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined } });
    if (nets.NetworksDeleted?.length) ctx.stdout.write(`Deleted Networks:\n${nets.NetworksDeleted.map((n) => `${n}\n`).join('')}\n`);
    if (volumes) {
      const vols = await ctx.client().json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune');
      if (vols.VolumesDeleted?.length) ctx.stdout.write(`Deleted Volumes:\n${vols.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`);
      reclaimed += vols.SpaceReclaimed ?? 0;
    }
    reclaimed += (await pruneImages(ctx, all, filters)).SpaceReclaimed;
    ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  },
};
