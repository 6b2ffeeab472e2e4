// `dockling pull [--platform P] [-q] NAME[:TAG|@DIGEST]`: an image from a registry into the
// daemon's store (chapter 4). The daemon does the pulling; this verb names the image fully,
// finds the credentials `login` kept for its registry, and draws the progress the daemon streams:
//
//   $ dockling pull localhost:5000/app:v1
//   v1: Pulling from app
//   6c3e58e2a5b1: Pulling fs layer
//   6c3e58e2a5b1: Download complete
//   6c3e58e2a5b1: Pull complete
//   Digest: sha256:…
//   Status: Downloaded newer image for localhost:5000/app:v1
//   localhost:5000/app:v1
import type { Verb } from '../verb.js';
import { pullImage } from '../pull-image.js';
import { imageName } from '../registry-auth.js';

export const verb: Verb = {
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  args: { exact: 1 },
  flags: [
    { name: 'platform', type: 'string', value: 'string', description: 'Pick this platform from a multi-platform image (os/arch[/variant])' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx) {
    const quiet = ctx.flags.quiet === true;
    const name = imageName(ctx.args[0]!);
    if (name.defaultTag && !quiet) ctx.stdout.write(`Using default tag: ${name.tag}\n`);
    const { error } = await pullImage({
      client: ctx.client(), name: ctx.args[0]!, platform: ctx.flags.platform as string | undefined, ctx,
      ...(quiet ? {} : { progress: ctx.stdout }),
    });
    if (error !== undefined) {
      ctx.stderr.write(`${error}\n`);
      return 1;
    }
    // As docker does, the name pulled, in full, once it is here (with -q, only that).
    ctx.stdout.write(`${name.full}\n`);
    return 0;
  },
};
