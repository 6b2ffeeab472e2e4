// `dockling container prune [-f] [--filter]`: removes every stopped container and prints their
// IDs and the space their read-write layers held, as Docker does.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { confirm } from '../confirm.js';
import { humanSize } from '../format/size.js';

/** `--filter until=24h --filter label=a=b` → the API's `{"until":{"24h":true},"label":{"a=b":true}}`. */
export function pruneFilters(given: unknown): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of Array.isArray(given) ? (given as string[]) : []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid filter '${f}': bad format of filter (expected name=value)`);
    (out[f.slice(0, eq)] ??= {})[f.slice(eq + 1)] = true;
  }
  return out;
}

export const verb: Verb = {
  usage: 'container prune [OPTIONS]',
  description: 'Remove all stopped containers',
  args: { max: 0 },
  flags: [
    { name: 'filter', type: 'strings', value: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx) {
    if (ctx.flags.force !== true && !(await confirm({ stdin: ctx.stdin, stdout: ctx.stdout, warning: 'WARNING! This will remove all stopped containers.' }))) return 0;
    const res = await pruneContainers(ctx, pruneFilters(ctx.flags.filter));
    ctx.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
  },
};

/** `POST /containers/prune`; prints the "Deleted Containers:" block. Shared with `system prune`. */
export async function pruneContainers(ctx: Parameters<Verb['run']>[0], filters: Record<string, Record<string, boolean>>) {
  const res = await ctx.client().json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/containers/prune', {
    query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  const ids = res.ContainersDeleted ?? [];
  if (ids.length) ctx.stdout.write(`Deleted Containers:\n${ids.map((id) => `${id}\n`).join('')}\n`);
  return { SpaceReclaimed: res.SpaceReclaimed ?? 0 };
}
