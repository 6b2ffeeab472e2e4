// `dockling system COMMAND`: Docker's management command for the engine as a whole. Each
// subcommand is its own verb file (system-*.ts), run through the one table (verbs.ts).
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';

const SUBCOMMANDS: Record<string, string> = {
  check: 'system check',
  df: 'system df',
  prune: 'system prune',
  install: 'system install',
  uninstall: 'system uninstall',
  // Not in the help below, as in Docker: `-H ssh://…` runs it on the other machine, nobody types it.
  'dial-stdio': 'system dial-stdio',
};

const HELP = `Commands:
  check       Verify the store: blobs, images, snapshots and container records
  df          Show docker disk usage
  install     Install the daemon as a systemd service (socket, service, daemon.json, group)
  prune       Remove unused data
  uninstall   Remove what install wrote (the data root stays unless --purge)`;

export const verb: Verb = {
  usage: 'system COMMAND',
  description: `Manage Dockling\n\n${HELP}`,
  flags: [],
  interspersed: false,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) throw new CliError(`"dockling system" requires a subcommand.\nSee 'dockling system --help'.`);
    const target = SUBCOMMANDS[sub];
    if (!target) throw new CliError(`dockling system: '${sub}' is not a dockling system command.\nSee 'dockling system --help'`);
    return runVerb({ name: target, argv: rest, host: ctx.host, tls: ctx.tls });
  },
};
