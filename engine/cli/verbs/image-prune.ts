// `dockling image prune [-a] [-f] [--filter]`: removes dangling images (`-a`: every image no
// container uses), then the layers and blobs only they held; prints what went, as Docker does.
import type { Verb } from '../verb.js';
import { confirm } from '../confirm.js';
import { humanSize } from '../format/size.js';
import { pruneFilters } from './container-prune.js';

export const IMAGE_WARNING = { dangling: 'all dangling images', all: 'all images without at least one container associated to them' };

export const verb: Verb = {
  usage: 'image prune [OPTIONS]',
  description: 'Remove unused images',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', type: 'strings', value: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx) {
    const all = ctx.flags.all === true;
    if (ctx.flags.force !== true) {
      const yes = await confirm({ stdin: ctx.stdin, stdout: ctx.stdout, warning: `WARNING! This will remove ${all ? IMAGE_WARNING.all : IMAGE_WARNING.dangling}.` });
      if (!yes) return 0;
    }
    const res = await pruneImages(ctx, all, pruneFilters(ctx.flags.filter));
    ctx.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
  },
};

/** `POST /images/prune`; prints the "Deleted Images:" block. Shared with `system prune`. */
export async function pruneImages(ctx: Parameters<Verb['run']>[0], all: boolean, filters: Record<string, Record<string, boolean>>) {
  const res = await ctx.client().json<{ ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed?: number }>('POST', '/images/prune', {
    query: { filters: JSON.stringify({ ...filters, dangling: { [all ? 'false' : 'true']: true } }) },
  });
  const rows = res.ImagesDeleted ?? [];
  if (rows.length) ctx.stdout.write(`Deleted Images:\n${rows.map((r) => (r.Untagged !== undefined ? `untagged: ${r.Untagged}\n` : `deleted: ${r.Deleted}\n`)).join('')}\n`);
  return { SpaceReclaimed: res.SpaceReclaimed ?? 0 };
}
