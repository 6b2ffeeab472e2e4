// `dockling tag SOURCE TARGET`: a second name for the same image. Nothing is copied — a tag is
// one more entry in the OCI layout's index.json pointing at the same manifest (chapter 1).
import type { Verb } from '../verb.js';

/** `localhost:5000/x:v1` → repo `localhost:5000/x`, tag `v1`; no tag means none (the daemon says latest). */
export function splitRepoTag(ref: string): { repo: string; tag?: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/') && !ref.includes('@')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

export const verb: Verb = {
  usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: { exact: 2 },
  flags: [],
  async run(ctx) {
    const [source, target] = ctx.args as [string, string];
    const { repo, tag } = splitRepoTag(target);
    // json() reads the (empty) 201 body: an unread response would hold the socket open and the
    // CLI would wait for the daemon's keep-alive timeout before exiting.
    await ctx.client().json('POST', `/images/${source}/tag`, { query: { repo, tag: tag ?? 'latest' } });
  },
};
