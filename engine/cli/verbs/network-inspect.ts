// `dockling network inspect NETWORK…`: the daemon's JSON for each network, as a `[ … ]` array
// indented with 4 spaces, or through `-f/--format`. A missing network is reported, the others
// are still printed, and the exit code is 1 (as in Docker). The work is inspect.ts's.
import type { Verb } from '../verb.js';
import { inspectAll, inspectFormatFlag } from './inspect.js';

export const verb: Verb = {
  usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [inspectFormatFlag],
  run: (ctx) => inspectAll(ctx, (name) => `Error response from daemon: network ${name} not found`, ['network']),
};
