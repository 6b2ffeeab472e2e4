// `dockling load [-i FILE]`: send a docker-archive (or OCI layout) tar to the daemon, which
// ingests each layer and config as blobs and names the images; it answers with a JSON message
// stream whose lines (`Loaded image: busybox:latest`) are printed as they come.
import type { Readable } from 'node:stream';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { printMessages } from '../messages.js';
import { openInput } from '../input-file.js';

export const verb: Verb = {
  usage: 'load [OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  args: { max: 0 },
  flags: [
    { name: 'input', short: 'i', type: 'string', value: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
  async run(ctx) {
    const input = ctx.flags.input as string | undefined;
    let body: Readable;
    if (input) body = await openInput(input);
    else if (ctx.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
    else body = ctx.stdin;
    // As the docker CLI does: quiet when asked, or when nobody watches a progress display.
    const quiet = ctx.flags.quiet === true || !ctx.stdout.isTTY;
    const res = await ctx.client().ok('POST', '/images/load', {
      query: { quiet },
      body,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    return printMessages(res, ctx);
  },
};
