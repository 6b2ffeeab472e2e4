// Runs one verb from the table: loads its file, answers `--help`, parses its flags, checks how
// many arguments it got (with Docker's wording), then hands it a context. `image ls` and the
// other `image` subcommands come through here too.
import { VERBS } from './verbs.js';
import { CliError } from './errors.js';
import { flagHelp, parseArgs, type FlagSpec } from './args.js';
import { ApiClient } from './client.js';
import type { Verb } from './verb.js';
import type { TlsFiles } from './transport.js';

export function verbHelp(name: string, verb: Verb): string {
  const options = verb.flags.length ? `\nOptions:\n${flagHelp(verb.flags)}\n` : '';
  return `\nUsage:  dockling ${verb.usage}\n\n${verb.description}\n${options}`;
}

function countProblem(name: string, verb: Verb, n: number): string | null {
  const { min, max, exact } = verb.args ?? {};
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  if (exact !== undefined && n !== exact) return `"dockling ${name}" requires exactly ${exact} ${plural(exact)}.`;
  if (min !== undefined && n < min) return `"dockling ${name}" requires at least ${min} ${plural(min)}.`;
  if (max !== undefined && n > max) return `"dockling ${name}" accepts at most ${max} ${plural(max)}.`;
  return null;
}

export async function runVerb(args: { name: string; argv: string[]; host: string; tls?: TlsFiles }): Promise<number> {
  const { name, argv, host, tls } = args;
  if (name === 'image') return (await import('./verbs/image.js')).runImageSubcommand(argv, host, tls);
  const entry = VERBS[name];
  if (!entry) throw new CliError(`dockling: '${name}' is not a dockling command.\nSee 'dockling --help'`);
  const verb = await entry.load();
  // --help is a flag like the others: for a verb whose flags end at its first argument (run,
  // exec, system…), `dockling run busybox ls --help` is ls's --help, not ours.
  const helpFlag: FlagSpec = { name: 'help', type: 'bool', description: 'Print usage', ...(verb.flags.some((f) => f.short === 'h') ? {} : { short: 'h' }) };
  const parsed = parseArgs(argv, [...verb.flags, helpFlag], name, verb.interspersed ?? true);
  if (parsed.flags['help'] === true) {
    process.stdout.write(verbHelp(name, verb));
    return 0;
  }
  const problem = countProblem(name, verb, parsed.args.length);
  if (problem) {
    throw new CliError(`${problem}\nSee 'dockling ${name} --help'.\n\nUsage:  dockling ${verb.usage}\n\n${verb.description}`);
  }
  let client: ApiClient | undefined;
  const code = await verb.run({
    args: parsed.args,
    flags: parsed.flags,
    client: () => (client ??= new ApiClient(host, tls)),
    host,
    tls,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  });
  return code ?? 0;
}
