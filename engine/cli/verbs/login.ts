// `dockling login [-u USER] [-p PASS | --password-stdin] [SERVER]`: proves credentials to a
// registry and keeps them where the docker CLI keeps them (chapter 4). The daemon checks them
// (`POST /auth`: it asks the registry, which answers 200 or 401) and keeps nothing; the CLI then
// writes them into $DOCKER_CONFIG/config.json (default ~/.docker/config.json):
//
//   {"auths": {"localhost:5000": {"auth": "Ym9iOnNlY3JldA=="}}}      ← base64("bob:secret")
//
// From then on `pull` and `push` of that registry's images send them as X-Registry-Auth. The
// same file serves `docker`: log in with one, pull with the other.
import type { Verb, VerbContext } from '../verb.js';
import { CliError } from '../errors.js';
import { ask } from '../prompt.js';
import { credentialStore, withConfigFile } from '../registry-auth.js';
import { DOCKER_HUB_SERVER, credentialKey, type CredentialStore } from '../../registry/index.js';

/** `--password-stdin`: all of stdin, without the line end a pipe or a heredoc adds. */
async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** What to log in with: the flags, else what is kept (when no user is named), else the prompts. */
async function credentialsFor(ctx: VerbContext, server: string, store: CredentialStore): Promise<{ username: string; password: string; kept: boolean }> {
  const username = (ctx.flags.username as string | undefined)?.trim();
  const passwordFlag = ctx.flags.password as string | undefined;
  const fromStdin = ctx.flags['password-stdin'] === true;
  if (passwordFlag !== undefined && fromStdin) throw new CliError('--password and --password-stdin are mutually exclusive');
  if (fromStdin && !username) throw new CliError('Must provide --username with --password-stdin');
  if (passwordFlag !== undefined) ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  const password = fromStdin ? await readStdin(ctx.stdin) : passwordFlag;
  if (username && password !== undefined) return { username, password, kept: false };
  if (!username && password === undefined) {
    const kept = await withConfigFile(() => store.get(server));
    if (kept) return { ...kept, kept: true };
  }
  if (!ctx.stdin.isTTY) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
  const user = username || (await ask({ stdin: ctx.stdin, stdout: ctx.stdout, question: 'Username: ', echo: true })).trim();
  if (!user) throw new CliError('Error: Non-null Username Required');
  const pass = password ?? (await ask({ stdin: ctx.stdin, stdout: ctx.stdout, question: 'Password: ', echo: false }));
  if (!pass) throw new CliError('Error: Password Required');
  return { username: user, password: pass, kept: false };
}

export const verb: Verb = {
  usage: 'login [OPTIONS] [SERVER]',
  description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  args: { max: 1 },
  flags: [
    { name: 'username', short: 'u', type: 'string', value: 'string', description: 'Username' },
    { name: 'password', short: 'p', type: 'string', value: 'string', description: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', type: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
  ],
  async run(ctx) {
    // Docker Hub is kept under its historical v1 URL; any other registry under host[:port].
    const server = ctx.args[0] ? credentialKey(ctx.args[0]) : DOCKER_HUB_SERVER;
    const store = credentialStore();
    const creds = await credentialsFor(ctx, server, store);
    if (creds.kept) ctx.stdout.write(`Authenticating with existing credentials... [Username: ${creds.username}]\n`);
    // 1. the daemon asks the registry (a refusal is a 401: "Error response from daemon: …", exit 1)
    const answer = await ctx.client().json<{ Status: string; IdentityToken?: string }>('POST', '/auth', {
      body: Buffer.from(JSON.stringify({ username: creds.username, password: creds.password, serveraddress: server })),
      headers: { 'Content-Type': 'application/json' },
    });
    // 2. keep them, as the docker CLI does, in the file both CLIs read
    await withConfigFile(() => store.set(server, creds.username, creds.password));
    ctx.stderr.write(`WARNING! Your credentials are stored unencrypted in '${store.path}'.\n`);
    ctx.stdout.write(`${answer.Status || 'Login Succeeded'}\n`);
  },
};
