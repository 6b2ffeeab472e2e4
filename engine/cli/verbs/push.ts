// `dockling push [-q] NAME[:TAG]`: an image of the daemon's store to the registry its name
// points at (chapter 4). Tag it for the registry first (`dockling tag app localhost:5000/app:v1`);
// the daemon uploads what the registry lacks and puts the manifest last:
//
//   $ dockling push localhost:5000/app:v1
//   The push refers to repository [localhost:5000/app]
//   5f70bf18a086: Preparing
//   5f70bf18a086: Pushed
//   v1: digest: sha256:… size: 527
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { printMessages } from '../messages.js';
import { imageName, registryAuthHeader } from '../registry-auth.js';

export const verb: Verb = {
  usage: 'push [OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  args: { exact: 1 },
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' }],
  async run(ctx) {
    const quiet = ctx.flags.quiet === true;
    const name = imageName(ctx.args[0]!);
    if (name.tag.startsWith('sha256:')) throw new CliError(`cannot push a digest reference (${ctx.args[0]}): push a tag`);
    if (name.defaultTag && !quiet) ctx.stdout.write(`Using default tag: ${name.tag}\n`);
    // The name travels in the path, slashes and all (`/images/localhost:5000/app/push`).
    const res = await ctx.client().ok('POST', `/images/${name.repository}/push`, {
      query: { tag: name.tag },
      headers: { 'X-Registry-Auth': await registryAuthHeader(name.registry) },
    });
    const code = await printMessages(res, ctx, quiet ? { write: () => true } : ctx.stdout);
    if (code === 0 && quiet) ctx.stdout.write(`${name.full}\n`);
    return code;
  },
};
