// `docker login` and `docker logout` (chapter 4). Login proves the credentials before keeping
// them, the same way a pull would use them:
//   0. an insecure registry: HTTPS or plain HTTP, whichever answers (scheme-resolver.ts);
//   1. GET /v2/ anonymously: the challenge says Basic, Bearer, or nothing;
//   2. Basic: GET /v2/ again with the credentials → 200;
//      Bearer: ask the token server with the credentials (no scope: this is only a login),
//      then GET /v2/ with the token → 200;
//   3. keep them in config.json under the server's key.
// A refusal is `unauthorized: incorrect username or password`, and nothing is written.
import { EngineError } from '../../base/index.js';
import { Authenticator, basic, unauthorized } from './auth.js';
import type { ClientContext } from './context.js';
import { DOCKER_HUB_SERVER, credentialKey } from './credentials.js';
import { DOCKER_HUB, endpointOf } from './endpoints.js';
import { drain } from './http.js';
import { registryError } from './registry-errors.js';
import type { LoginOptions, LoginResult } from './types.js';

/** The registry domain a login server names: Hub's v1 URL is `docker.io`. */
export function registryOfServer(server: string): string {
  const key = credentialKey(server);
  return key === DOCKER_HUB_SERVER ? DOCKER_HUB : key;
}

// #region login
export async function login(ctx: ClientContext, opts: LoginOptions): Promise<LoginResult> {
  const server = opts.server || DOCKER_HUB_SERVER;
  const registry = registryOfServer(server);
  return ctx.tracer.span({ chapter: 'registry', op: 'auth.login', data: { registry, username: opts.username } }, async (span) => {
    const endpoint = await ctx.resolve(endpointOf(registry, ctx.insecureRegistries), { signal: opts.signal, span });
    const credentials = { username: opts.username, password: opts.password };
    const auth = new Authenticator({ http: ctx.http, tracer: ctx.tracer, endpoint, credentials });
    // 1. what does the registry want?
    await auth.ping({ signal: opts.signal, span });
    const challenge = auth.known;
    // 2. prove the credentials
    let authorization: string | undefined;
    let identityToken: string | undefined;
    if (challenge?.scheme === 'basic') authorization = basic(credentials);
    else if (challenge?.scheme === 'bearer') {
      const answer = await auth.fetchToken(challenge, [], { signal: opts.signal, span, offline: true });
      authorization = `Bearer ${answer.token}`;
      identityToken = answer.refreshToken;
    } else if (challenge) {
      throw new EngineError({ code: 'AUTH_UNSUPPORTED', kind: 'invalid-argument', message: `${registry} asks for ${challenge.scheme} authentication, which is not supported (Basic and Bearer are)`, data: { registry, scheme: challenge.scheme } });
    }
    if (authorization) {
      const url = new URL('/v2/', endpoint.url);
      const res = await ctx.http.send({ method: 'GET', url, headers: { Authorization: authorization }, signal: opts.signal });
      if (res.status === 401) {
        await drain(res);
        throw unauthorized(endpoint, true);
      }
      if (res.status !== 200) throw await registryError(res, `login to ${registry}`);
      await drain(res);
    }
    span.event('auth.verified', { registry, scheme: challenge?.scheme ?? 'none' });
    // 3. keep them
    await ctx.credentials?.set(server, opts.username, opts.password);
    return { status: 'Login Succeeded', ...(identityToken ? { identityToken } : {}) };
  });
}
// #endregion login

/** Forgets the credentials kept for a server; says whether there were any. */
export async function logout(ctx: ClientContext, opts: { server?: string } = {}): Promise<{ removed: boolean; server: string }> {
  const server = opts.server || DOCKER_HUB_SERVER;
  return ctx.tracer.span({ chapter: 'registry', op: 'auth.logout', data: { registry: registryOfServer(server) } }, async () => {
    const removed = (await ctx.credentials?.remove(server)) ?? false;
    return { removed, server: credentialKey(server) };
  });
}
