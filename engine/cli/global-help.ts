// The top-level help: usage, global options, and the verb list from the dispatch table
// (summaries live in the table so that listing them loads no verb file).
import { VERBS } from './verbs.js';

const GLOBAL_USAGE = `
Usage:  dockling [OPTIONS] COMMAND

A container engine you can read, driven like Docker.

Options:
  -c, --context string     Name of the context to use (overrides DOCKLING_HOST and the current
                           context; set with "dockling context use")
  -H, --host string        Daemon socket to connect to: unix:///path, tcp://HOST:2376, ssh://USER@HOST
                           (default $DOCKLING_HOST or unix:///run/dockling.sock)
  -h, --help               Print usage
      --tls                Use TLS; implied by --tlsverify
      --tlscacert string   Trust certs signed only by this CA (default $DOCKLING_CERT_PATH/ca.pem)
      --tlscert string     Path to TLS certificate file (default $DOCKLING_CERT_PATH/cert.pem)
      --tlskey string      Path to TLS key file (default $DOCKLING_CERT_PATH/key.pem)
      --tlsverify          Use TLS and verify the remote (default $DOCKLING_TLS_VERIFY)
  -v, --version            Print version information and quit

Environment: DOCKLING_HOST, DOCKLING_CONTEXT, DOCKLING_TLS_VERIFY, DOCKLING_CERT_PATH (default ~/.dockling),
DOCKLING_CONFIG (where contexts are kept; default ~/.dockling), DOCKLING_SSH_CONFIG (an ssh config file
for ssh:// hosts), DOCKLING_SSH_REMOTE_COMMAND (how to run dockling on the other machine)
`;

export function globalHelpText(): string {
  const names = Object.keys(VERBS).filter((n) => !VERBS[n]!.hidden);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const commands = names.map((n) => `  ${n.padEnd(width)}${VERBS[n]!.summary}`).join('\n');
  return `${GLOBAL_USAGE}\nCommands:\n${commands}\n\nRun 'dockling COMMAND --help' for more information on a command.\n`;
}
