// `dockling commit CONTAINER [REPOSITORY[:TAG]]`: the container's read-write layer becomes a new
// layer on top of its image's, with the container's config (and `-c` Dockerfile changes) as the
// new image's defaults (chapter 2). Prints the new image ID.
import type { Verb } from '../verb.js';

/** `repo:tag` → the two query fields Docker sends (the tag is what follows the last colon after the last slash). */
function splitRef(ref: string | undefined): { repo?: string; tag?: string } {
  if (!ref) return {};
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

export const verb: Verb = {
  usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', type: 'string', value: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'strings', value: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'string', description: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit (default true)' },
  ],
  async run(ctx) {
    const [container, ref] = ctx.args as [string, string | undefined];
    const { repo, tag } = splitRef(ref);
    const res = await ctx.client().json<{ Id: string }>('POST', '/commit', {
      query: {
        container, repo, tag,
        author: (ctx.flags.author as string | undefined) ?? '',
        comment: (ctx.flags.message as string | undefined) ?? '',
        changes: ctx.flags.change as string[],
        pause: ctx.flags.pause === false ? '0' : undefined,
      },
    });
    ctx.stdout.write(`${res.Id}\n`);
  },
};
