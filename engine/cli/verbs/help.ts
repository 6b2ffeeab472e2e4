// `dockling help [COMMAND]`: the global command list, or one verb's usage and flags.
import type { Verb } from '../verb.js';
import { VERBS } from '../verbs.js';
import { CliError } from '../errors.js';
import { verbHelp } from '../run-verb.js';

export const verb: Verb = {
  usage: 'help [COMMAND]',
  description: 'Show help for dockling or a command',
  args: { max: 1 },
  flags: [],
  async run(ctx) {
    const name = ctx.args[0];
    if (name === undefined) {
      const { globalHelpText } = await import('../global-help.js');
      ctx.stdout.write(globalHelpText());
      return;
    }
    const entry = VERBS[name];
    if (!entry) throw new CliError(`dockling: '${name}' is not a dockling command.\nSee 'dockling --help'`);
    ctx.stdout.write(verbHelp(name, await entry.load()));
  },
};
