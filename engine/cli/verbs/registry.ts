// `dockling registry` (chapter 4): runs an OCI distribution registry in the foreground, for a
// workshop room — learners push to it and pull from it, or it is a pull-through cache in front
// of Docker Hub so the room's uplink carries each layer once; with --tls-cert and --tls-key it
// speaks HTTPS, as Docker expects of any registry not on loopback; with --htpasswd it asks who
// you are, by Basic authentication or (--auth token) by tokens from its own token service, the
// flow Docker Hub uses. `dockling registry gc` removes what no manifest references (run it with
// the registry stopped). Like `daemon`, this verb runs engine code in this process
// (engine/registry/), not through the daemon's API.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { runVerb } from '../run-verb.js';
import type { TokenOptions } from '../../registry/index.js';

export const verb: Verb = {
  usage: 'registry [OPTIONS]\n        dockling registry gc --data-root DIR [--dry-run]',
  description: 'Run an OCI distribution registry (push, pull, a pull-through cache) until interrupted',
  // `registry gc --dry-run`: the first argument ends this verb's flags; what follows is gc's.
  interspersed: false,
  flags: [
    { name: 'listen', type: 'string', value: 'addr', default: ':5000', description: 'Address to listen on, HOST:PORT (default ":5000", every interface)' },
    { name: 'data-root', type: 'string', value: 'dir', default: '/var/lib/dockling-registry', description: 'Where blobs, manifests and uploads are stored (default "/var/lib/dockling-registry")' },
    { name: 'htpasswd', type: 'string', value: 'file', description: 'Require Basic authentication against this htpasswd file (bcrypt entries: htpasswd -nB USER)' },
    { name: 'auth', type: 'string', value: 'string', description: 'How users of --htpasswd log in: "basic" (the password on every request, the default) or "token" (a token service at /auth/token signs tokens for a scope)' },
    { name: 'realm', type: 'string', value: 'string', description: 'Realm named in the Basic authentication challenge (default "dockling registry")' },
    { name: 'token-realm', type: 'string', value: 'url', description: 'URL of the token service named in challenges (default: /auth/token on the address the client used)' },
    { name: 'token-service', type: 'string', value: 'string', description: 'This registry\'s name in challenges and tokens (default "dockling-registry")' },
    { name: 'token-ttl', type: 'string', value: 'seconds', description: 'How long a token is good for (default 300)' },
    { name: 'token-access', type: 'string', value: 'file', description: 'Rules of who may pull, push or delete where (lines of USER REPOSITORIES ACTIONS); default: every user everything' },
    { name: 'token-key', type: 'string', value: 'file', description: 'P-256 private key (PEM) to sign tokens with (default: a new key at each start)' },
    { name: 'read-only', type: 'bool', description: 'Refuse pushes and deletes (405)' },
    { name: 'tls-cert', type: 'string', value: 'file', description: 'Serve HTTPS with this certificate (PEM; give --tls-key too)' },
    { name: 'tls-key', type: 'string', value: 'file', description: 'The private key of --tls-cert (PEM)' },
    { name: 'proxy', type: 'string', value: 'url', description: 'Be a pull-through cache of this registry (e.g. https://registry-1.docker.io)' },
    { name: 'proxy-username', type: 'string', value: 'string', description: 'User name for the upstream registry' },
    { name: 'proxy-password', type: 'string', value: 'string', description: 'Password for the upstream registry' },
    { name: 'trace', type: 'string', value: 'file', description: 'Append trace events to this JSON-lines file' },
  ],
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (sub !== undefined) {
      if (sub !== 'gc') throw new CliError(`dockling registry: '${sub}' is not a registry command (the only one is gc).\nSee 'dockling registry --help'.`);
      return runVerb({ name: 'registry gc', argv: rest, host: ctx.host, tls: ctx.tls });
    }
    const f = ctx.flags;
    const tls = tlsFlags(f['tls-cert'] as string | undefined, f['tls-key'] as string | undefined);
    const { startRegistry } = await import('../../registry/index.js');
    const { Tracer, JsonlFileSink } = await import('../../trace/index.js');
    const tracer = new Tracer(f.trace ? [new JsonlFileSink(f.trace as string)] : []);
    const proxyUrl = f.proxy as string | undefined;
    let registry;
    try {
      registry = await startRegistry({
        listen: f.listen as string,
        dataRoot: f['data-root'] as string,
        htpasswd: f.htpasswd as string | undefined,
        realm: f.realm as string | undefined,
        ...authFlags(f),
        readOnly: f['read-only'] === true,
        tls,
        proxy: proxyUrl ? { url: proxyUrl, username: f['proxy-username'] as string | undefined, password: f['proxy-password'] as string | undefined } : undefined,
        tracer,
      });
    } catch (err) {
      throw new CliError(`dockling registry: ${(err as Error).message}`);
    }
    const mode = proxyUrl ? `pull-through cache of ${proxyUrl}` : f['read-only'] ? 'read-only' : 'read-write';
    ctx.stdout.write(`dockling registry listening on ${registry.url} (${mode}, data in ${f['data-root'] as string})\n`);
    // Runs until interrupted; then stops taking connections, ends open ones, releases the data root.
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.close();
    await tracer.close();
  },
};

/** --auth and the --token-* flags, checked for what a flag parser cannot see. */
function authFlags(f: Record<string, unknown>): { auth?: 'basic' | 'token'; token?: TokenOptions } {
  const auth = f.auth as string | undefined;
  if (auth !== undefined && auth !== 'basic' && auth !== 'token') {
    throw new CliError(`dockling registry: invalid --auth ${JSON.stringify(auth)}: want "basic" or "token"`);
  }
  const given = ['token-realm', 'token-service', 'token-ttl', 'token-access', 'token-key'].filter((n) => f[n] !== undefined);
  if (given.length > 0 && auth !== 'token') throw new CliError(`dockling registry: --${given[0]} is for token authentication: add --auth token`);
  if (auth !== 'token') return auth ? { auth } : {};
  const ttl = f['token-ttl'] as string | undefined;
  if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new CliError(`dockling registry: invalid --token-ttl ${JSON.stringify(ttl)}: want a whole number of seconds`);
  const token: TokenOptions = {
    realm: f['token-realm'] as string | undefined,
    service: f['token-service'] as string | undefined,
    ttlSeconds: ttl === undefined ? undefined : Number(ttl),
    accessFile: f['token-access'] as string | undefined,
    keyFile: f['token-key'] as string | undefined,
  };
  return { auth, token };
}

/** --tls-cert and --tls-key: both (HTTPS) or neither (plain HTTP). */
function tlsFlags(cert: string | undefined, key: string | undefined): { cert: string; key: string } | undefined {
  if (cert && key) return { cert, key };
  if (cert || key) {
    const [given, missing] = cert ? ['--tls-cert', '--tls-key'] : ['--tls-key', '--tls-cert'];
    throw new CliError(`dockling registry: ${given} needs ${missing} as well (HTTPS takes a certificate and its key; give both or neither)`);
  }
  return undefined;
}

export const gcVerb: Verb = {
  usage: 'registry gc [OPTIONS]',
  description: 'Remove blobs no manifest references (stop the registry first)',
  args: { max: 0 },
  flags: [
    { name: 'data-root', type: 'string', value: 'dir', default: '/var/lib/dockling-registry', description: 'The registry\'s data root (default "/var/lib/dockling-registry")' },
    { name: 'dry-run', type: 'bool', description: 'Print what would be removed, remove nothing' },
  ],
  async run(ctx) {
    const { registryGc } = await import('../../registry/index.js');
    const dryRun = ctx.flags['dry-run'] === true;
    let result;
    try {
      result = await registryGc({ dataRoot: ctx.flags['data-root'] as string, dryRun });
    } catch (err) {
      throw new CliError(`dockling registry gc: ${(err as Error).message}`);
    }
    for (const d of result.removed) ctx.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${d}\n`);
    const done = dryRun ? 'would be removed' : 'removed';
    ctx.stdout.write(`${result.marked} blobs in use; ${result.removed.length} unreferenced (${result.freedBytes} bytes) ${done}; ${result.uploadsRemoved} abandoned uploads ${done}\n`);
  },
};
