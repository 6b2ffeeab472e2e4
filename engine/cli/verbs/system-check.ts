// `dockling system check` (issue 9): asks the daemon to verify its store (GET
// /dockling/system/check) and prints the answer. A clean store is one summary line and exit 0;
// otherwise one line per problem — the object, then what is wrong — and exit 1, so a script (or
// the crash tests in test/reliability/) can tell at once.
import type { Verb } from '../verb.js';

interface CheckAnswer {
  Counts: { blobs: number; images: number; snapshots: number; committed: number; unowned: number; containers: number };
  Problems: Array<{ Object: string; Problem: string }>;
}

export const verb: Verb = {
  usage: 'system check',
  description: "Verify the store: every blob's digest, every image's blobs and diffIDs, every snapshot and container record (read-only)",
  args: { max: 0 },
  flags: [],
  async run(ctx) {
    const answer = await ctx.client().json<CheckAnswer>('GET', '/dockling/system/check');
    const c = answer.Counts;
    for (const p of answer.Problems) ctx.stdout.write(`${p.Object}: ${p.Problem}\n`);
    const summary = `${c.blobs} blobs, ${c.images} image entries, ${c.snapshots} snapshots (${c.committed} committed, ${c.unowned} unowned), ${c.containers} containers`;
    if (answer.Problems.length > 0) {
      ctx.stdout.write(`${answer.Problems.length} problem${answer.Problems.length === 1 ? '' : 's'} in ${summary}\n`);
      return 1;
    }
    ctx.stdout.write(`store is clean: ${summary}\n`);
  },
};
