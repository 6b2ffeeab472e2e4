// The options before the verb: `dockling -H tcp://lab:2376 --tlsverify ps`. They stop at the
// first word that is not one (the verb), so the verb's own flags are left for the verb.
import { CliError } from './errors.js';
import type { GlobalFlags } from './connection.js';

type Key = keyof GlobalFlags;

/** Each global option: its spellings, and whether it takes a value. */
const OPTIONS: Array<{ names: string[]; key: Key; kind: 'string' | 'bool' }> = [
  { names: ['-H', '--host'], key: 'host', kind: 'string' },
  { names: ['-c', '--context'], key: 'context', kind: 'string' },
  { names: ['--tls'], key: 'tls', kind: 'bool' },
  { names: ['--tlsverify'], key: 'tlsverify', kind: 'bool' },
  { names: ['--tlscacert'], key: 'tlscacert', kind: 'string' },
  { names: ['--tlscert'], key: 'tlscert', kind: 'string' },
  { names: ['--tlskey'], key: 'tlskey', kind: 'string' },
];

export interface GlobalParse {
  flags: GlobalFlags;
  /** The verb and everything after it. */
  rest: string[];
  /** -h/--help and -v/--version end the parse. */
  action?: 'help' | 'version';
}

export function parseGlobalFlags(argv: string[]): GlobalParse {
  const flags: GlobalFlags = {};
  const set = flags as Record<Key, string | boolean | undefined>;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return { flags, rest: [], action: 'help' };
    if (a === '-v' || a === '--version') return { flags, rest: [], action: 'version' };
    if (!a.startsWith('-')) return { flags, rest: argv.slice(i) };
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq < 0 ? a : a.slice(0, eq);
    const option = OPTIONS.find((o) => o.names.includes(name));
    if (!option) throw new CliError(`unknown flag: ${a}\nSee 'dockling --help'.`, 125);
    if (option.kind === 'bool') {
      const value = eq < 0 ? 'true' : a.slice(eq + 1);
      if (!['true', '1', 'false', '0'].includes(value)) throw new CliError(`invalid argument "${value}" for "${name}" flag: expected true or false`, 125);
      set[option.key] = value === 'true' || value === '1';
      continue;
    }
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new CliError(`flag needs an argument: ${name}\nSee 'dockling --help'.`, 125);
    set[option.key] = value;
  }
  return { flags, rest: [] };
}
