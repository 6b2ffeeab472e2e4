// `dockling volume inspect VOLUME…`: the daemon's JSON for each volume, as a `[ … ]` array
// indented with 4 spaces, or through `-f/--format`. A missing volume is reported, the others
// are still printed, and the exit code is 1 (as in Docker). The work is inspect.ts's.
import type { Verb } from '../verb.js';
import { inspectAll, inspectFormatFlag } from './inspect.js';

export const verb: Verb = {
  usage: 'volume inspect [OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  args: { min: 1 },
  flags: [inspectFormatFlag],
  run: (ctx) => inspectAll(ctx, (name) => `Error: No such volume: ${name}`, ['volume']),
};
