// `dockling network inspect NETWORK…`: the daemon's JSON for each network, as a `[ … ]` array
// indented with 4 spaces, or through `-f/--format`. A missing network is reported, the others
// are still printed, and the exit code is 1 (as in Docker).
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';
import { renderTemplate } from '../format/template.js';
import { indentedArray } from './inspect.js';

export const verb: Verb = {
  usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', description: "Format output using a custom template:\n'json': Print in JSON format\n'TEMPLATE': Print output using the given Go template" }],
  async run(ctx) {
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        found.push(await ctx.client().json('GET', `/networks/${encodeURIComponent(name)}`));
      } catch (err) {
        if (!(err instanceof DaemonError && err.status === 404)) throw err;
        errors.push(`Error response from daemon: network ${name} not found`);
      }
    }
    const format = ctx.flags.format as string | undefined;
    if (format) for (const n of found) ctx.stdout.write(renderTemplate(format === 'json' ? '{{json .}}' : format, n) + '\n');
    else ctx.stdout.write(indentedArray(found));
    for (const e of errors) ctx.stderr.write(e + '\n');
    return errors.length ? 1 : 0;
  },
};
