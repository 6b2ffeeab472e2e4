// The top-level help: usage, global options, and the verb list from the dispatch table
// (summaries live in the table so that listing them loads no verb file).
import { VERBS } from './verbs.js';

const GLOBAL_USAGE = `
Usage:  dockling [OPTIONS] COMMAND

A container engine you can read, driven like Docker.

Options:
  -H, --host string   Daemon socket to connect to (default $DOCKLING_HOST or unix:///run/dockling.sock)
  -h, --help          Print usage
  -v, --version       Print version information and quit
`;

export function globalHelpText(): string {
  const names = Object.keys(VERBS).filter((n) => !VERBS[n]!.hidden);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const commands = names.map((n) => `  ${n.padEnd(width)}${VERBS[n]!.summary}`).join('\n');
  return `${GLOBAL_USAGE}\nCommands:\n${commands}\n\nRun 'dockling COMMAND --help' for more information on a command.\n`;
}
