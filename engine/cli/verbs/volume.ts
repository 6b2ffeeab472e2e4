// `dockling volume create|ls|inspect|rm|prune` (chapter 3): Docker's management command for
// volumes. Each subcommand is its own verb file (volume-*.ts), run through the one table.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';

const SUBCOMMANDS: Record<string, string> = {
  create: 'volume create',
  ls: 'volume ls',
  list: 'volume ls',
  inspect: 'volume inspect',
  rm: 'volume rm',
  remove: 'volume rm',
  prune: 'volume prune',
};

const HELP = `Commands:
  create      Create a volume
  inspect     Display detailed information on one or more volumes
  ls          List volumes
  prune       Remove unused local volumes
  rm          Remove one or more volumes`;

export const verb: Verb = {
  usage: 'volume COMMAND',
  description: `Manage volumes\n\n${HELP}`,
  flags: [],
  interspersed: false,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) throw new CliError(`"dockling volume" requires a subcommand.\nSee 'dockling volume --help'.`);
    const target = SUBCOMMANDS[sub];
    if (!target) throw new CliError(`dockling volume: '${sub}' is not a dockling volume command.\nSee 'dockling volume --help'`);
    return runVerb({ name: target, argv: rest, host: ctx.host, tls: ctx.tls });
  },
};
