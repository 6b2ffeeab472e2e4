// `dockling network create|ls|inspect|rm` (chapter 3): Docker's management command for
// networks. Each subcommand is its own verb file (network-*.ts), run through the one table.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';

const SUBCOMMANDS: Record<string, string> = {
  create: 'network create',
  ls: 'network ls',
  list: 'network ls',
  inspect: 'network inspect',
  rm: 'network rm',
  remove: 'network rm',
};

const HELP = `Commands:
  create      Create a network
  inspect     Display detailed information on one or more networks
  ls          List networks
  rm          Remove one or more networks`;

export const verb: Verb = {
  usage: 'network COMMAND',
  description: `Manage networks\n\n${HELP}`,
  flags: [],
  interspersed: false,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) throw new CliError(`"dockling network" requires a subcommand.\nSee 'dockling network --help'.`);
    const target = SUBCOMMANDS[sub];
    if (!target) throw new CliError(`dockling network: '${sub}' is not a dockling network command.\nSee 'dockling network --help'`);
    return runVerb({ name: target, argv: rest, host: ctx.host, tls: ctx.tls });
  },
};
