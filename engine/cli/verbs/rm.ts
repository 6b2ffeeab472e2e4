// `dockling rm CONTAINER…`: removes each container's read-write layer and record; the image's
// layers stay for other containers (chapter 2). Each name is tried on its own, as in Docker.
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';

export const verb: Verb = {
  usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  async run(ctx) {
    let failed = false;
    for (const name of ctx.args) {
      try {
        await ctx.client().ok('DELETE', `/containers/${encodeURIComponent(name)}`, {
          query: { force: ctx.flags.force === true, v: ctx.flags.volumes === true },
        }).then((res) => res.resume());
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.stderr.write(err.message + '\n');
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
