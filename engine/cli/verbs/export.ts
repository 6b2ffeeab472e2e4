// `dockling export CONTAINER [-o FILE]`: the container's merged root (every layer with its
// read-write layer on top, as a process inside would see it) as one plain tar (chapter 2).
import type { Verb } from '../verb.js';
import { writeArchive } from '../output-file.js';

export const verb: Verb = {
  usage: 'export [OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  args: { exact: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', description: 'Write to a file, instead of STDOUT' }],
  run: (ctx) => writeArchive({ ctx, output: ctx.flags.output as string | undefined, what: 'export', fetch: () => ctx.client().ok('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/export`) }),
};
