// `dockling save IMAGE… [-o FILE]`: the daemon writes a docker-archive tar (manifest.json,
// the configs, the layer tars, and an OCI index) and the CLI copies it to the file or stdout —
// never to a terminal, where a tar would only scramble the screen.
import type { Verb } from '../verb.js';
import { writeArchive } from '../output-file.js';

export const verb: Verb = {
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { min: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', description: 'Write to a file, instead of STDOUT' }],
  run: (ctx) => writeArchive({ ctx, output: ctx.flags.output as string | undefined, what: 'save', fetch: () => ctx.client().ok('GET', '/images/get', { query: { names: ctx.args } }) }),
};
