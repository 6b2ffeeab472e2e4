// `dockling export CONTAINER [-o FILE]`: the container's merged root (every layer with its
// read-write layer on top, as a process inside would see it) as one plain tar (chapter 2).
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

export const verb: Verb = {
  usage: 'export [OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  args: { exact: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx) {
    const output = ctx.flags.output as string | undefined;
    if (!output && ctx.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().ok('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/export`);
    if (!output) {
      await pipeline(res, ctx.stdout, { end: false });
      return;
    }
    try {
      await pipeline(res, createWriteStream(output));
    } catch (err) {
      await rm(output, { force: true });
      throw new CliError(`failed to export to ${output}: ${(err as Error).message}`);
    }
  },
};
