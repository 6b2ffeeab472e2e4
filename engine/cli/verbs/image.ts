// `dockling image ls|inspect|history|tag|rm|save|load|import|pull|push`: Docker's management-command
// spelling of the top-level verbs. Each subcommand runs the same verb file as its short form.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';
import type { TlsFiles } from '../transport.js';

const SUBCOMMANDS: Record<string, string> = {
  ls: 'images',
  list: 'images',
  inspect: 'image inspect',
  history: 'history',
  tag: 'tag',
  rm: 'rmi',
  remove: 'rmi',
  save: 'save',
  load: 'load',
  import: 'import',
  pull: 'pull',
  push: 'push',
  layers: 'image layers',
  prune: 'image prune',
};

const HELP = `Commands:
  history     Show the history of an image
  import      Import the contents from a tarball to create a filesystem image
  inspect     Display detailed information on one or more images
  layers      Show the image's layers as a union: added, modified, removed, wasted
  load        Load an image from a tar archive or STDIN
  ls          List images
  prune       Remove unused images
  pull        Download an image from a registry
  push        Upload an image to a registry
  rm          Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE`;

export const verb: Verb = {
  usage: 'image COMMAND',
  description: `Manage images\n\n${HELP}`,
  flags: [],
  async run(ctx) {
    throw new CliError(`"dockling image" requires a subcommand.\nSee 'dockling image --help'.`);
  },
};

/** Called by run-verb before flag parsing: the subcommand's own flags must reach it intact. */
export async function runImageSubcommand(argv: string[], host: string, tls?: TlsFiles): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`\nUsage:  dockling image COMMAND\n\nManage images\n\n${HELP}\n`);
    return 0;
  }
  const target = SUBCOMMANDS[sub];
  if (!target) throw new CliError(`dockling image: '${sub}' is not a dockling image command.\nSee 'dockling image --help'`);
  return runVerb({ name: target, argv: rest, host, tls });
}
