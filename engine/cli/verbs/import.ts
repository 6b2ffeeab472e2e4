// `dockling import FILE|- [REPOSITORY[:TAG]]`: one tar of files becomes a one-layer image.
// The daemon writes the tar as a layer blob, makes a config (with `-c` Dockerfile-style
// changes such as `CMD ["sh"]`) and a manifest, and answers with the new image's ID.
import type { Verb } from '../verb.js';
import { printMessages } from '../messages.js';
import { openInput } from '../input-file.js';
import { CliError } from '../errors.js';

export const verb: Verb = {
  usage: 'import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  args: { min: 1, max: 2 },
  flags: [
    { name: 'change', short: 'c', type: 'strings', value: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'string', description: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', value: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx) {
    const [source, repo] = ctx.args as [string, string | undefined];
    if (/^https?:\/\//.test(source)) throw new CliError('import from a URL is not supported: download the tar and import the file');
    const body = source === '-' ? ctx.stdin : await openInput(source);
    const res = await ctx.client().ok('POST', '/images/create', {
      query: { fromSrc: '-', repo, message: ctx.flags.message as string | undefined, changes: ctx.flags.change as string[] },
      body,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    return printMessages(res, ctx);
  },
};
