#!/usr/bin/env node
// `dockling`: the command line, a client of the daemon's HTTP API (chapter 6). This file reads
// the global options (-H/--host, DOCKLING_HOST), finds the verb in the table and imports only
// that verb's file; everything else happens in verbs/<verb>.ts.
import { VERBS } from './verbs.js';
import { CliError } from './errors.js';
import { runVerb } from './run-verb.js';
import { globalHelpText as globalHelp } from './global-help.js';

async function main(argv: string[]): Promise<number> {
  let host = process.env.DOCKLING_HOST || 'unix:///run/dockling.sock';
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-H' || a === '--host') host = argv[++i] ?? '';
    else if (a.startsWith('--host=')) host = a.slice('--host='.length);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(globalHelp());
      return 0;
    } else if (a === '-v' || a === '--version') {
      return runVerb({ name: 'version', argv: ['--client-only'], host });
    } else if (a.startsWith('-')) {
      throw new CliError(`unknown flag: ${a}\nSee 'dockling --help'.`, 125);
    } else break;
  }
  const name = argv[i];
  if (name === undefined) {
    process.stdout.write(globalHelp());
    return 0;
  }
  if (!(name in VERBS)) throw new CliError(`dockling: '${name}' is not a dockling command.\nSee 'dockling --help'`);
  return runVerb({ name, argv: argv.slice(i + 1), host });
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
