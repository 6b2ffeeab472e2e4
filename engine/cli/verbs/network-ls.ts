// `dockling network ls`: the networks as Docker lists them — NETWORK ID (12 digits), NAME,
// DRIVER, SCOPE — `-q` for ids only, `--no-trunc`, and `--format` with Docker's field names.
import type { Verb } from '../verb.js';
import { formatFlag } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { filtersJSON } from './images.js';

interface NetworkSummary {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Created?: string;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const HEADERS = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', CreatedAt: 'CREATED AT' };

export const verb: Verb = {
  usage: 'network ls [OPTIONS]',
  description: 'List networks',
  args: { max: 0 },
  flags: [
    { name: 'filter', short: 'f', type: 'strings', value: 'filter', description: "Provide filter values (e.g. 'driver=bridge')" },
    formatFlag,
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
  async run(ctx) {
    const list = await ctx.client().json<NetworkSummary[]>('GET', '/networks', {
      query: { filters: filtersJSON((ctx.flags.filter as string[] | undefined) ?? []) },
    });
    const full = ctx.flags['no-trunc'] === true;
    let format = (ctx.flags.format as string | undefined) ?? 'table';
    if (ctx.flags.quiet) format = '{{.ID}}';
    const rows = list
      .map((n) => ({ ID: full ? n.Id : n.Id.slice(0, 12), Name: n.Name, Driver: n.Driver ?? '', Scope: n.Scope ?? '', CreatedAt: n.Created ?? '' }))
      .sort((a, b) => a.Name.localeCompare(b.Name));
    ctx.stdout.write(formatRows({ format, defaultTable: DEFAULT_TABLE, headers: HEADERS }, rows));
  },
};
