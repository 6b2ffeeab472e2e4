// Command-line flags the way Docker's (pflag) parses them: `--name value`, `--name=value`,
// `-o value`, `-ovalue`, bundled booleans `-aq`, `--bool=false`, repeatable string flags, and
// `--` to stop. Flags may come before or after positional arguments, as in Docker.
import { CliError } from './errors.js';

export interface FlagSpec {
  name: string;
  short?: string;
  type: 'bool' | 'string' | 'strings';
  description: string;
  /** Shown in help as the value's name: `--format string`. */
  value?: string;
  default?: boolean | string;
}

export type FlagValues = Record<string, boolean | string | string[] | undefined>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
}

function unknownFlag(flag: string, verb: string): CliError {
  return new CliError(`unknown ${flag.startsWith('--') ? 'flag' : 'shorthand flag'}: ${flag.startsWith('--') ? flag : `'${flag.replace(/^-/, '')}' in ${flag}`}\nSee 'dockling ${verb} --help'.`, 125);
}

/**
 * With `interspersed` false, the first positional argument ends the flags: `create busybox ls -la`
 * passes `-la` to the container's command, as Docker's run/create/exec do.
 */
export function parseArgs(argv: string[], specs: FlagSpec[], verb: string, interspersed = true): Parsed {
  const flags: FlagValues = {};
  for (const s of specs) {
    if (s.type === 'strings') flags[s.name] = [];
    else if (s.default !== undefined) flags[s.name] = s.default;
  }
  const args: string[] = [];
  const set = (spec: FlagSpec, value: string | undefined, takeNext: () => string | undefined, shown: string) => {
    if (spec.type === 'bool') {
      if (value === undefined) flags[spec.name] = true;
      else if (['true', '1'].includes(value)) flags[spec.name] = true;
      else if (['false', '0'].includes(value)) flags[spec.name] = false;
      else throw new CliError(`invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax\nSee 'dockling ${verb} --help'.`, 125);
      return;
    }
    const v = value ?? takeNext();
    if (v === undefined) throw new CliError(`flag needs an argument: ${shown}\nSee 'dockling ${verb} --help'.`, 125);
    if (spec.type === 'strings') (flags[spec.name] as string[]).push(v);
    else flags[spec.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const takeNext = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw unknownFlag(eq < 0 ? a : a.slice(0, eq), verb);
      set(spec, eq < 0 ? undefined : a.slice(eq + 1), takeNext, `--${name}`);
    } else if (a.startsWith('-') && a !== '-') {
      // Bundled shorthands: every letter is a flag until one takes a value (the rest is it).
      for (let j = 1; j < a.length; j++) {
        const letter = a[j]!;
        const spec = specs.find((s) => s.short === letter);
        if (!spec) throw unknownFlag(`-${letter}`, verb);
        const rest = a.slice(j + 1);
        const shown = `-${letter}, --${spec.name}`;
        if (spec.type === 'bool') {
          if (rest.startsWith('=')) {
            set(spec, rest.slice(1), takeNext, shown);
            break;
          }
          set(spec, undefined, takeNext, shown);
          continue;
        }
        set(spec, rest === '' ? undefined : rest.replace(/^=/, ''), takeNext, shown);
        break;
      }
    } else if (!interspersed) {
      args.push(...argv.slice(i));
      break;
    } else args.push(a);
  }
  return { flags, args };
}

/** The OPTIONS part of a verb's help, aligned like Docker's. */
export function flagHelp(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'bool' ? '' : ` ${s.value ?? (s.type === 'strings' ? 'list' : 'string')}`}`;
    return { left, right: s.description };
  });
  const width = Math.max(0, ...rows.map((r) => r.left.length)) + 3;
  return rows.map((r) => `  ${r.left.padEnd(width)}${r.right}`).join('\n');
}
