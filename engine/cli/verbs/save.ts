// `dockling save IMAGE… [-o FILE]`: the daemon writes a docker-archive tar (manifest.json,
// the configs, the layer tars, and an OCI index) and the CLI copies it to the file or stdout —
// never to a terminal, where a tar would only scramble the screen.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

export const verb: Verb = {
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { min: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx) {
    const output = ctx.flags.output as string | undefined;
    if (!output && ctx.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().ok('GET', '/images/get', { query: { names: ctx.args } });
    if (!output) {
      await pipeline(res, ctx.stdout, { end: false });
      return;
    }
    try {
      await pipeline(res, createWriteStream(output));
    } catch (err) {
      await rm(output, { force: true });
      throw new CliError(`failed to save to ${output}: ${(err as Error).message}`);
    }
  },
};
