#!/usr/bin/env node
// `dockling`: the command line, a client of the daemon's HTTP API (chapter 6). This file reads
// the global options (-H/--host, --context, --tls*, and their DOCKLING_* variables: see
// connection.ts), finds the verb in the table and imports only that verb's file; everything
// else happens in verbs/<verb>.ts.
import { VERBS } from './verbs.js';
import { CliError } from './errors.js';
import { runVerb } from './run-verb.js';
import { globalHelpText as globalHelp } from './global-help.js';
import { parseGlobalFlags } from './global-flags.js';
import { resolveConnection } from './connection.js';

async function main(argv: string[]): Promise<number> {
  const { flags, rest, action } = parseGlobalFlags(argv);
  if (action === 'help') {
    process.stdout.write(globalHelp());
    return 0;
  }
  const name = rest[0];
  if (action !== 'version' && name === undefined) {
    process.stdout.write(globalHelp());
    return 0;
  }
  if (action !== 'version' && !(name! in VERBS)) throw new CliError(`dockling: '${name}' is not a dockling command.\nSee 'dockling --help'`);
  // These do not talk to a daemon (and -v prints only the client's version): a broken context must not stop them.
  const local = action === 'version' || ['daemon', 'certs', 'context', 'help', 'registry'].includes(name!);
  const { host, tls } = local ? { host: flags.host ?? process.env.DOCKLING_HOST ?? 'unix:///run/dockling.sock', tls: undefined } : resolveConnection(flags, process.env);
  if (action === 'version') return runVerb({ name: 'version', argv: ['--client-only'], host, tls });
  return runVerb({ name: name!, argv: rest.slice(1), host, tls });
}

// A command that ends neither way, yet leaves Node nothing to wait for (a promise no event will
// ever settle, a stream stuck on a full pipe), would otherwise exit 0 with nothing said.
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write('dockling: internal error: the command stopped before it finished (it waited for something that can no longer happen)\n');
  process.exitCode = 70;
});

main(process.argv.slice(2)).finally(() => (settled = true)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(err.message + '\n');
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`dockling: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
