// `dockling volume ls`: the volumes as Docker lists them — DRIVER and VOLUME NAME columns, `-q`
// for names only, and `--format` with Docker's fields (.Name .Driver .Scope .Mountpoint .Labels).
import type { Verb } from '../verb.js';
import { formatFlag } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { filtersJSON } from './images.js';

interface VolumeSummary {
  Name: string;
  Driver?: string;
  Scope?: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Labels?: Record<string, string> | null;
}

const DEFAULT_TABLE = 'table {{.Driver}}\t{{.Name}}';
const HEADERS = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', CreatedAt: 'CREATED' };

/** One row per volume, with Docker's field names; Labels as `k=v,k=v`. */
export function volumeRows(volumes: VolumeSummary[]) {
  return volumes.map((v) => ({
    Name: v.Name,
    Driver: v.Driver ?? '',
    Scope: v.Scope ?? '',
    Mountpoint: v.Mountpoint ?? '',
    CreatedAt: v.CreatedAt ?? '',
    Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','),
  }));
}

export const verb: Verb = {
  usage: 'volume ls [OPTIONS]',
  description: 'List volumes',
  args: { max: 0 },
  flags: [
    { name: 'filter', short: 'f', type: 'strings', value: 'filter', description: "Provide filter values (e.g. 'dangling=true')" },
    formatFlag,
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
  ],
  async run(ctx) {
    const res = await ctx.client().json<{ Volumes?: VolumeSummary[] | null }>('GET', '/volumes', {
      query: { filters: filtersJSON((ctx.flags.filter as string[] | undefined) ?? []) },
    });
    let format = (ctx.flags.format as string | undefined) ?? 'table';
    if (ctx.flags.quiet) format = '{{.Name}}';
    const rows = volumeRows(res.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
    ctx.stdout.write(formatRows({ format, defaultTable: DEFAULT_TABLE, headers: HEADERS }, rows));
  },
};
