// `dockling inspect NAME…` and `dockling image inspect`: the daemon's JSON for each object,
// printed as Docker does — a `[ … ]` array indented with 4 spaces — or through `-f/--format`.
// Like docker, a name is looked up as a container first, then as an image (chapter 2).
import type { Verb, VerbContext } from '../verb.js';
import { renderTemplate } from '../format/template.js';
import { DaemonError } from '../errors.js';

/** Docker's indented array: `[`, each object indented by 4 more spaces, `]`. */
export function indentedArray(objects: unknown[]): string {
  if (objects.length === 0) return '[]\n';
  const items = objects.map((o) => JSON.stringify(o, null, 4).replace(/^/gm, '    '));
  return `[\n${items.join(',\n')}\n]\n`;
}

export type Kind = 'container' | 'image' | 'network' | 'volume';
const PATHS: Record<Kind, (name: string) => string> = {
  container: (name) => `/containers/${encodeURIComponent(name)}/json`,
  image: (name) => `/images/${name}/json`,
  network: (name) => `/networks/${encodeURIComponent(name)}`,
  volume: (name) => `/volumes/${encodeURIComponent(name)}`,
};

/** The first kind that knows `name` (a 404 moves on to the next), or the last 404. */
async function inspectOne(ctx: VerbContext, name: string, kinds: Kind[]): Promise<unknown> {
  let last: unknown;
  for (const kind of kinds) {
    try {
      return await ctx.client().json('GET', PATHS[kind](name));
    } catch (err) {
      if (!(err instanceof DaemonError && err.status === 404)) throw err;
      last = err;
    }
  }
  throw last;
}

/**
 * Every named object, the found ones printed together (array or template), each missing one
 * reported on stderr in `missing`'s words; exit 1 when any was missing (as in Docker).
 */
export async function inspectAll(ctx: VerbContext, missing: (name: string, err: DaemonError) => string, kinds: Kind[] = ['image']): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of ctx.args) {
    try {
      found.push(await inspectOne(ctx, name, kinds));
    } catch (err) {
      if (err instanceof DaemonError && err.status === 404) errors.push(missing(name, err));
      else throw err;
    }
  }
  const format = ctx.flags.format as string | undefined;
  if (format) {
    const template = format === 'json' ? '{{json .}}' : format;
    for (const o of found) ctx.stdout.write(renderTemplate(template, o) + '\n');
  } else ctx.stdout.write(indentedArray(found));
  for (const e of errors) ctx.stderr.write(e + '\n');
  return errors.length ? 1 : 0;
}

/** `-f/--format`, shared by every inspect verb. */
export const inspectFormatFlag: Verb['flags'][number] = { name: 'format', short: 'f', type: 'string', value: 'string', description: "Format output using a custom template:\n'json': Print in JSON format\n'TEMPLATE': Print output using the given Go template" };

const flags: Verb['flags'] = [
  inspectFormatFlag,
  { name: 'type', type: 'string', value: 'string', description: 'Only inspect objects of the given type (container, image)' },
  { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes (sizes are always shown for images)' },
];

export const verb: Verb = {
  usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Dockling objects',
  args: { min: 1 },
  flags,
  run(ctx) {
    const type = ctx.flags.type as string | undefined;
    if (type !== undefined && type !== 'image' && type !== 'container') {
      return Promise.reject(new DaemonError(400, `"${type}" is not a valid value for --type (container or image)`));
    }
    const kinds: Kind[] = type ? [type as Kind] : ['container', 'image'];
    return inspectAll(ctx, (name) => `Error: No such object: ${name}`, kinds);
  },
};

export const imageInspectVerb: Verb = {
  usage: 'image inspect [OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  args: { min: 1 },
  flags: flags.filter((f) => f.name === 'format'),
  run: (ctx) => inspectAll(ctx, (_name, err) => err.message),
};

export const containerInspectVerb: Verb = {
  usage: 'container inspect [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  args: { min: 1 },
  flags: flags.filter((f) => f.name === 'format'),
  run: (ctx) => inspectAll(ctx, (_name, err) => err.message, ['container']),
};
