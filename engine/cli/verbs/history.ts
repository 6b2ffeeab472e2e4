// `dockling history IMAGE`: the image's build steps newest first, one row per config history
// entry. Rows that made no layer of their own, or whose image is not stored, show `<missing>`
// as their ID — the same as Docker, because only the top entry is an image we have.
import type { Verb } from '../verb.js';
import { formatFlag, shortId } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { humanSizeWithPrecision } from '../format/size.js';
import { createdSince, goRFC3339 } from '../format/duration.js';
import { ellipsis } from '../format/table.js';

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

export function historyRows(items: HistoryItem[], opts: { truncate: boolean; human: boolean; now?: number }) {
  return items.map((h) => {
    const createdBy = (h.CreatedBy ?? '').replace(/\t/g, ' ');
    return {
      ID: opts.truncate ? shortId(h.Id) : h.Id,
      CreatedSince: opts.human ? createdSince(h.Created, opts.now) : goRFC3339(h.Created),
      CreatedAt: goRFC3339(h.Created),
      CreatedBy: opts.truncate ? ellipsis(createdBy, 45) : createdBy,
      Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment ?? '',
    };
  });
}

export const verb: Verb = {
  usage: 'history [OPTIONS] IMAGE',
  description: 'Show the history of an image',
  args: { exact: 1 },
  flags: [
    formatFlag,
    { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format (default true)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx) {
    const items = await ctx.client().json<HistoryItem[]>('GET', `/images/${ctx.args[0]}/history`);
    const rows = historyRows(items ?? [], { truncate: ctx.flags['no-trunc'] !== true, human: ctx.flags.human !== false });
    let format = (ctx.flags.format as string | undefined) ?? 'table';
    if (ctx.flags.quiet) format = '{{.ID}}';
    ctx.stdout.write(formatRows({ format, defaultTable: DEFAULT_TABLE, headers: HEADERS }, rows));
  },
};
