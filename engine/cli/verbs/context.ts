// `dockling context create|use|ls|rm|inspect|show` (chapter 6): named daemons, kept by
// context-store.ts. One file for the six subcommands, against habit 15: each is a few lines
// over the same store, and reading them side by side shows the whole idea at once.
//   dockling context create lab --docker host=tcp://10.0.0.5:2376,ca=ca.pem,cert=cert.pem,key=key.pem
//   dockling context use lab        every later command talks to lab
//   dockling context use default    back to the local socket (or DOCKLING_HOST)
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';
import { ContextStore, checkContextName, type ContextMeta } from '../context-store.js';
import { configDir } from '../connection.js';
import { DEFAULT_HOST } from '../transport.js';

const store = () => new ContextStore(configDir(process.env));

const SUBCOMMANDS: Record<string, string> = {
  create: 'context create', use: 'context use', ls: 'context ls', list: 'context ls',
  rm: 'context rm', remove: 'context rm', inspect: 'context inspect', show: 'context show',
};

const HELP = `Commands:
  create      Create a context
  inspect     Display detailed information on one or more contexts
  ls          List contexts
  rm          Remove one or more contexts
  show        Print the name of the current context
  use         Set the current dockling context`;

export const verb: Verb = {
  usage: 'context COMMAND',
  description: `Manage contexts\n\n${HELP}`,
  flags: [],
  interspersed: false,
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) throw new CliError(`"dockling context" requires a subcommand.\nSee 'dockling context --help'.`);
    const target = SUBCOMMANDS[sub];
    if (!target) throw new CliError(`dockling context: '${sub}' is not a dockling context command.\nSee 'dockling context --help'`);
    return runVerb({ name: target, argv: rest, host: ctx.host, tls: ctx.tls });
  },
};

/** `host=tcp://…,ca=…,cert=…,key=…,skip-tls-verify=true` → its fields; an unknown key is refused by name. */
export function parseDockerEndpoint(text: string): { host: string; ca?: string; cert?: string; key?: string; skipTlsVerify: boolean } {
  const fields: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (!['host', 'ca', 'cert', 'key', 'skip-tls-verify'].includes(key)) throw new CliError(`unable to create docker endpoint config: unrecognized config key: ${key} (known: host, ca, cert, key, skip-tls-verify)`);
    fields[key] = eq < 0 ? '' : part.slice(eq + 1);
  }
  const host = fields.host;
  if (!host) throw new CliError('unable to create docker endpoint config: host=… is required, e.g. --docker host=tcp://10.0.0.5:2376,ca=ca.pem,cert=cert.pem,key=key.pem');
  if ((fields.cert === undefined) !== (fields.key === undefined)) throw new CliError('unable to create docker endpoint config: cert and key go together: give both or neither');
  return { host, ca: fields.ca, cert: fields.cert, key: fields.key, skipTlsVerify: ['true', '1'].includes(fields['skip-tls-verify'] ?? '') };
}

export const createVerb: Verb = {
  usage: 'context create [OPTIONS] CONTEXT',
  description: 'Create a context',
  args: { exact: 1 },
  flags: [
    { name: 'docker', type: 'string', value: 'stringToString', description: 'set the docker endpoint: host=tcp://HOST:2376,ca=FILE,cert=FILE,key=FILE[,skip-tls-verify=true]' },
    { name: 'description', type: 'string', value: 'string', description: 'Description of the context' },
  ],
  async run(ctx) {
    const name = ctx.args[0]!;
    checkContextName(name);
    const docker = ctx.flags.docker as string | undefined;
    if (!docker) throw new CliError('dockling context create: --docker host=… is required');
    const ep = parseDockerEndpoint(docker);
    const meta: ContextMeta = { Name: name, Description: (ctx.flags.description as string | undefined) ?? '', Host: ep.host, SkipTLSVerify: ep.skipTlsVerify };
    await store().create(meta, { ca: ep.ca, cert: ep.cert, key: ep.key });
    ctx.stdout.write(`${name}\nSuccessfully created context "${name}"\n`);
  },
};

export const useVerb: Verb = {
  usage: 'context use CONTEXT',
  description: 'Set the current dockling context',
  args: { exact: 1 },
  flags: [],
  async run(ctx) {
    const name = ctx.args[0]!;
    await store().use(name);
    ctx.stdout.write(`${name}\nCurrent context is now "${name}"\n`);
    if (process.env.DOCKLING_HOST) ctx.stderr.write(`Warning: DOCKLING_HOST environment variable overrides the active context. To use "${name}", either set the global --context flag, or unset DOCKLING_HOST environment variable.\n`);
  },
};

export const lsVerb: Verb = {
  usage: 'context ls',
  description: 'List contexts',
  args: { max: 0 },
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Only show context names' }],
  async run(ctx) {
    const s = store();
    const current = process.env.DOCKLING_CONTEXT || s.current();
    const rows = [{ name: 'default', description: 'Current DOCKLING_HOST based configuration', host: process.env.DOCKLING_HOST || DEFAULT_HOST }];
    for (const m of await s.list()) rows.push({ name: m.Name, description: m.Description, host: m.Host });
    if (ctx.flags.quiet) {
      ctx.stdout.write(rows.map((r) => r.name + '\n').join(''));
      return;
    }
    const shown = rows.map((r) => ({ ...r, name: r.name === current ? `${r.name} *` : r.name }));
    const w1 = Math.max(4, ...shown.map((r) => r.name.length)) + 3;
    const w2 = Math.max(11, ...shown.map((r) => r.description.length)) + 3;
    ctx.stdout.write(`${'NAME'.padEnd(w1)}${'DESCRIPTION'.padEnd(w2)}DOCKER ENDPOINT\n`);
    for (const r of shown) ctx.stdout.write(`${r.name.padEnd(w1)}${r.description.padEnd(w2)}${r.host}\n`);
  },
};

export const rmVerb: Verb = {
  usage: 'context rm CONTEXT [CONTEXT...]',
  description: 'Remove one or more contexts',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a context in use' }],
  async run(ctx) {
    const s = store();
    for (const name of ctx.args) {
      if (name === s.current()) {
        if (!ctx.flags.force) throw new CliError(`context "${name}" is in use, set -f flag to force remove`);
        await s.use('default');
      }
      await s.remove(name);
      ctx.stdout.write(name + '\n');
    }
  },
};

export const inspectVerb: Verb = {
  usage: 'context inspect [CONTEXT...]',
  description: 'Display detailed information on one or more contexts (the current one when none is named)',
  flags: [],
  async run(ctx) {
    const s = store();
    const names = ctx.args.length ? ctx.args : [process.env.DOCKLING_CONTEXT || s.current()];
    const out = names.map((name) => {
      if (name === 'default') return { Name: 'default', Metadata: {}, Endpoints: { docker: { Host: process.env.DOCKLING_HOST || DEFAULT_HOST, SkipTLSVerify: false } }, Storage: {} };
      const m = s.read(name);
      if (!m) throw new CliError(`context "${name}" does not exist`);
      const tls = (['ca', 'cert', 'key'] as const).filter((r) => s.hasFile(name, r));
      return { Name: m.Name, Metadata: { Description: m.Description }, Endpoints: { docker: { Host: m.Host, SkipTLSVerify: m.SkipTLSVerify } }, TLSMaterial: { docker: tls.map((r) => `${r}.pem`) }, Storage: { Path: s.dirOf(name) } };
    });
    ctx.stdout.write(JSON.stringify(out, null, 4) + '\n');
  },
};

export const showVerb: Verb = {
  usage: 'context show',
  description: 'Print the name of the current context',
  args: { max: 0 },
  flags: [],
  async run(ctx) {
    ctx.stdout.write((process.env.DOCKLING_CONTEXT || store().current()) + '\n');
  },
};
