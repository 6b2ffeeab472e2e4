// Authentication with a registry (chapter 4; distribution's docs/spec/auth/token.md, the flow
// Docker Hub uses). The client does not know beforehand what a registry wants; it asks:
//
//   1. GET /v2/ with nothing            → 200: no auth at all
//                                      → 401 WWW-Authenticate: Basic realm="…"   (htpasswd)
//                                      → 401 WWW-Authenticate: Bearer realm="https://auth…",service="…"
//   2. Basic: every request carries `Authorization: Basic base64(user:password)`.
//      Bearer: GET realm?service=…&scope=repository:NAME:pull[,push] — with Basic credentials
//      when we have them, anonymously when not — answers {"token": "…", "expires_in": 300};
//      every request for that scope then carries `Authorization: Bearer <token>`.
//   3. A token is kept per scope until it expires, so a pull of ten layers asks once.
//
// One Authenticator serves one registry endpoint with one set of credentials. Secrets never
// reach the trace: it records realms, services and scopes, never tokens or passwords.
import { EngineError } from '../../base/index.js';
import type { Span, Tracer } from '../../trace/index.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { readBody, drain, type HttpResponse, type HttpTransport } from './http.js';
import { registryError } from './registry-errors.js';
import type { Endpoint } from './endpoints.js';
import type { Credentials } from './types.js';

interface CachedToken { token: string; expires: number }

/** What a token server answered: the token, and a refresh token when it gave one. */
export interface TokenAnswer { token: string; refreshToken?: string }

/** The default lifetime the token spec tells clients to assume when `expires_in` is absent. */
const DEFAULT_TOKEN_SECONDS = 60;

export class Authenticator {
  /** What the registry asked for; `null` once /v2/ answered 200 (no auth), undefined before we know. */
  private challenge: Challenge | null | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests in flight, so parallel layer downloads share one request per scope. */
  private readonly pending = new Map<string, Promise<string>>();
  /** The ping in flight, shared the same way. */
  private pinging?: Promise<void>;

  constructor(private readonly args: { http: HttpTransport; tracer: Tracer; endpoint: Endpoint; credentials?: Credentials }) {}

  get hasCredentials(): boolean {
    return !!this.args.credentials;
  }

  // #region ping
  /** GET /v2/ without credentials: learns the challenge (once; a later 401 teaches it again). */
  async ping(opts: { signal?: AbortSignal; span?: Span } = {}): Promise<void> {
    if (this.challenge !== undefined) return;
    this.pinging ??= this.askV2(opts).finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  private async askV2(opts: { signal?: AbortSignal; span?: Span }): Promise<void> {
    const url = new URL('/v2/', this.args.endpoint.url);
    const res = await this.args.http.send({ method: 'GET', url, signal: opts.signal });
    if (res.status === 401) {
      this.learn(res);
      await drain(res);
    } else if (res.status >= 200 && res.status < 300) {
      this.challenge = null;
      await drain(res);
    } else throw await registryError(res, `GET ${url.href}`);
    const c = this.known; // (read through the getter: TypeScript cannot see learn() set it)
    opts.span?.event('auth.challenge', { registry: this.args.endpoint.url.origin, scheme: c?.scheme ?? 'none', realm: c?.params.realm ?? null });
  }
  // #endregion ping

  /** Takes the challenge from a 401 answer. */
  learn(res: HttpResponse): void {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    this.challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? null;
  }

  /** Forgets cached tokens for these scopes (a 401 said the token is no good any more). */
  forget(scopes: string[]): void {
    const c = this.challenge;
    if (c?.scheme === 'bearer') this.tokens.delete(cacheKey(c, scopes));
  }

  /** The Authorization header value for a request needing `scopes`, or undefined for none. */
  async authorization(scopes: string[], opts: { signal?: AbortSignal; span?: Span } = {}): Promise<string | undefined> {
    await this.ping(opts);
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.args.credentials ? basic(this.args.credentials) : undefined;
    return `Bearer ${await this.bearer(c, scopes, opts)}`;
  }

  private async bearer(c: Challenge, scopes: string[], opts: { signal?: AbortSignal; span?: Span }): Promise<string> {
    const key = cacheKey(c, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) {
      opts.span?.event('auth.token', { realm: c.params.realm ?? null, service: c.params.service ?? null, scope: scopes.join(' '), cached: true });
      return cached.token;
    }
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const asking = this.fetchToken(c, scopes, opts).then((t) => t.token).finally(() => this.pending.delete(key));
    this.pending.set(key, asking);
    return asking;
  }

  // #region token
  /** Asks the token server (the challenge's realm) for a token good for `scopes`. */
  async fetchToken(c: Challenge, scopes: string[], opts: { signal?: AbortSignal; span?: Span; offline?: boolean } = {}): Promise<TokenAnswer> {
    const realm = c.params.realm;
    if (!realm || !/^https?:\/\//i.test(realm)) {
      throw new EngineError({ code: 'AUTH_BAD_CHALLENGE', kind: 'unavailable', message: `registry ${this.args.endpoint.url.origin} sent a Bearer challenge with no usable realm (${JSON.stringify(realm ?? null)})`, data: { realm: realm ?? null } });
    }
    const url = new URL(realm);
    if (c.params.service) url.searchParams.set('service', c.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const creds = this.args.credentials;
    if (creds) url.searchParams.set('account', creds.username);
    if (opts.offline) url.searchParams.set('offline_token', 'true');
    const started = Date.now();
    const res = await this.args.http.send({ method: 'GET', url, headers: creds ? { Authorization: basic(creds) } : {}, signal: opts.signal });
    opts.span?.event('auth.token', { realm, service: c.params.service ?? null, scope: scopes.join(' '), cached: false, status: res.status });
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw unauthorized(this.args.endpoint, !!creds, url.origin + url.pathname);
    }
    if (res.status !== 200) throw await registryError(res, `token from ${url.origin + url.pathname}`);
    const answer = parseToken(await readBody(res, 1024 * 1024), realm);
    const seconds = Math.max(1, answer.expiresIn ?? DEFAULT_TOKEN_SECONDS);
    // Take a little off the lifetime so a token never expires between check and use.
    this.tokens.set(cacheKey(c, scopes), { token: answer.token, expires: started + seconds * 1000 - Math.min(5000, seconds * 100) });
    return { token: answer.token, ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}) };
  }
  // #endregion token

  /** What the registry asked for, once pinged: null for nothing (login needs to know). */
  get known(): Challenge | null | undefined {
    return this.challenge;
  }
}

function parseToken(body: Buffer, realm: string): { token: string; expiresIn?: number; refreshToken?: string } {
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new EngineError({ code: 'AUTH_BAD_TOKEN', kind: 'unavailable', message: `token server ${realm} answered something that is not JSON`, data: { realm }, cause: err });
  }
  // The spec names it `token`; OAuth2 servers say `access_token`. Either will do.
  const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
  if (!token) throw new EngineError({ code: 'AUTH_BAD_TOKEN', kind: 'unavailable', message: `token server ${realm} gave no token`, data: { realm } });
  return {
    token,
    ...(typeof doc.expires_in === 'number' && doc.expires_in > 0 ? { expiresIn: doc.expires_in } : {}),
    ...(typeof doc.refresh_token === 'string' && doc.refresh_token ? { refreshToken: doc.refresh_token } : {}),
  };
}

function cacheKey(c: Challenge, scopes: string[]): string {
  return [c.params.realm ?? '', c.params.service ?? '', ...[...scopes].sort()].join('\n');
}

export function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** The error for credentials refused, or for no credentials where some are needed. */
export function unauthorized(endpoint: Endpoint, hadCredentials: boolean, where = endpoint.url.origin): EngineError {
  const message = hadCredentials
    ? `unauthorized: incorrect username or password for ${endpoint.registry} (refused by ${where})`
    : `unauthorized: authentication required by ${endpoint.registry} (log in first: dockling login ${endpoint.registry})`;
  return new EngineError({ code: 'REGISTRY_UNAUTHORIZED', kind: 'invalid-argument', message, data: { registry: endpoint.registry, status: 401 } });
}
