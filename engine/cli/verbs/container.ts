// `dockling container create|inspect|diff|commit|export|cp|rm|ls`: Docker's management-command
// spelling of the container verbs. Each subcommand runs the same verb file as its short form;
// the subcommand's own flags pass through untouched (this verb takes none itself).
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';

const SUBCOMMANDS: Record<string, string> = {
  create: 'create',
  inspect: 'container inspect',
  diff: 'diff',
  commit: 'commit',
  export: 'export',
  cp: 'cp',
  rm: 'rm',
  remove: 'rm',
  layers: 'container layers',
  ls: 'ps',
  list: 'ps',
  ps: 'ps',
  prune: 'container prune',
};

const HELP = `Commands:
  commit      Create a new image from a container's changes
  cp          Copy files/folders between a container and the local filesystem
  create      Create a new container
  diff        Inspect changes to files or directories on a container's filesystem
  export      Export a container's filesystem as a tar archive
  inspect     Display detailed information on one or more containers
  layers      Show the container's layers as a union, its read-write layer on top
  ls          List containers
  prune       Remove all stopped containers
  rm          Remove one or more containers`;

export const verb: Verb = {
  usage: 'container COMMAND',
  description: `Manage containers\n\n${HELP}`,
  flags: [],
  interspersed: false,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) throw new CliError(`"dockling container" requires a subcommand.\nSee 'dockling container --help'.`);
    const target = SUBCOMMANDS[sub];
    if (!target) throw new CliError(`dockling container: '${sub}' is not a dockling container command.\nSee 'dockling container --help'`);
    return runVerb({ name: target, argv: rest, host: ctx.host, tls: ctx.tls });
  },
};
