// `dockling ps`: the container list as Docker prints it. Chapter 2 has only created containers
// (`ps -a` shows them); chapter 3 brings running ones, their ports, and --filter.
import type { Verb } from '../verb.js';
import { formatFlag, shortId } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { createdSince } from '../format/duration.js';
import { CliError } from '../errors.js';

interface Port { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }
interface ContainerSummary { Id: string; Names?: string[]; Image?: string; Command?: string; Created?: number; Status?: string; State?: string; Ports?: Port[] }

/** Docker's PORTS column: `127.0.0.1:8080->80/tcp`, or `80/tcp` when not published. */
function ports(list: Port[] = []): string {
  return list.map((p) => (p.PublicPort ? `${p.IP ? `${p.IP}:` : ''}${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`)).join(', ');
}

/** `--filter status=exited --filter name=web` → {"status":{"exited":true},"name":{"web":true}}. */
export function filtersJson(list: string[]): string | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of list) {
    const i = f.indexOf('=');
    if (i <= 0) throw new CliError(`bad format of filter (expected name=value)`);
    (out[f.slice(0, i)] ??= {})[f.slice(i + 1)] = true;
  }
  return JSON.stringify(out);
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const HEADERS = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', State: 'STATE', CreatedAt: 'CREATED AT' };

/** Docker quotes the command and cuts it to 20 characters with an ellipsis. */
function command(c: string, truncate: boolean): string {
  const cut = truncate && [...c].length > 20 ? `${[...c].slice(0, 19).join('')}…` : c;
  return `"${cut}"`;
}

export function containerRows(list: ContainerSummary[], opts: { truncate: boolean; now?: number }) {
  return list.map((c) => ({
    ID: opts.truncate ? shortId(c.Id) : c.Id,
    Image: c.Image || '<no image>',
    Command: command(c.Command ?? '', opts.truncate),
    RunningFor: createdSince(c.Created ?? 0, opts.now),
    CreatedAt: new Date((c.Created ?? 0) * 1000).toISOString(),
    Status: c.Status ?? '',
    State: c.State ?? '',
    Ports: ports(c.Ports),
    Names: (c.Names ?? []).map((n) => n.replace(/^\//, '')).join(','),
  }));
}

export const verb: Verb = {
  usage: 'ps [OPTIONS]',
  description: 'List containers',
  args: { exact: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    formatFlag,
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'filter', short: 'f', type: 'strings', value: 'filter', description: 'Filter output based on conditions provided (status=, name=, id=)' },
  ],
  async run(ctx) {
    const list = await ctx.client().json<ContainerSummary[]>('GET', '/containers/json', { query: { all: ctx.flags.all === true, filters: filtersJson(ctx.flags.filter as string[]) } });
    let format = (ctx.flags.format as string | undefined) ?? 'table';
    if (ctx.flags.quiet) format = '{{.ID}}';
    ctx.stdout.write(formatRows({ format, defaultTable: DEFAULT_TABLE, headers: HEADERS }, containerRows(list ?? [], { truncate: ctx.flags['no-trunc'] !== true })));
  },
};
