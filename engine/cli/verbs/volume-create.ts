// `dockling volume create [OPTIONS] [VOLUME]`: a named volume, or an anonymous one (64 hex
// digits) when no name is given. Creating a name that exists returns it, as in Docker. The
// body is the docker CLI's: `{"Driver":"local","Name":"myvol"}`, labels and options when given.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

/** `k=v` words (repeatable flags) as a map; a bare `k` is `k=""`. */
function keyValues(words: string[]): Record<string, string> {
  return Object.fromEntries(words.map((w) => (w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, ''])));
}

export const verb: Verb = {
  usage: 'volume create [OPTIONS] [VOLUME]',
  description: 'Create a volume',
  args: { max: 1 },
  flags: [
    { name: 'driver', short: 'd', type: 'string', value: 'string', description: 'Specify volume driver name (default "local")' },
    { name: 'label', type: 'strings', value: 'list', description: 'Set metadata for a volume' },
    { name: 'name', type: 'string', value: 'string', description: 'Specify volume name' },
    { name: 'opt', short: 'o', type: 'strings', value: 'map', description: 'Set driver specific options' },
  ],
  async run(ctx) {
    const flagName = ctx.flags.name as string | undefined;
    if (flagName && ctx.args[0] && flagName !== ctx.args[0]) throw new CliError(`conflicting options: either specify --name or provide positional arg, not both`);
    const labels = keyValues((ctx.flags.label as string[] | undefined) ?? []);
    const opts = keyValues((ctx.flags.opt as string[] | undefined) ?? []);
    const body = {
      Driver: (ctx.flags.driver as string | undefined) || 'local',
      Name: ctx.args[0] ?? flagName ?? '',
      ...(Object.keys(opts).length ? { DriverOpts: opts } : {}),
      ...(Object.keys(labels).length ? { Labels: labels } : {}),
    };
    const volume = await ctx.client().json<{ Name: string }>('POST', '/volumes/create', {
      body: Buffer.from(JSON.stringify(body)),
      headers: { 'Content-Type': 'application/json' },
    });
    ctx.stdout.write(`${volume.Name}\n`);
  },
};
