// The token service (chapter 4; distribution's "Token Authentication Specification" and its
// "OAuth2 Token Authentication" page): where a client trades its user name and password for a
// token good for a scope. `dockling registry --auth token` serves it beside the registry, at
// /auth/token, the way Docker Hub has auth.docker.io beside registry-1.docker.io:
//
//   GET /auth/token?service=dockling-registry&scope=repository:room/app:pull,push
//       Authorization: Basic base64(alice:password)
//   → 200 {"token":"eyJ…","access_token":"eyJ…","expires_in":300,"issued_at":"2026-…Z"}
//
//   POST /auth/token   (the OAuth2 form: grant_type=password&username=…&password=…&scope=…)
//   → 200 the same answer
//
// Wrong credentials are refused (401) and get no token. No credentials at all is an anonymous
// request: it gets a token too, holding what the rules give `anonymous` — by default nothing,
// so only `GET /v2/` works with it. Docker Hub does the same: an anonymous token there holds
// pull for public repositories only. What a user asks for beyond their rules is left out of the
// token, not refused: the registry then refuses the request the token does not cover.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer } from '../../trace/index.js';
import type { AccessRules } from './access-rules.js';
import { registryError } from './errors.js';
import type { Htpasswd } from './htpasswd.js';
import { readBody, sendJson } from './http-io.js';
import type { TokenKey } from './jwt.js';
import { isName } from './names.js';
import { formatScope, parseScope, type Access } from './scope.js';
import { newClaims } from './token-claims.js';

export const TOKEN_PATH = '/auth/token';
/** The OAuth2 form is a few short fields; anything longer is not one. */
const MAX_FORM_BYTES = 16 * 1024;

export class TokenService {
  constructor(
    private readonly args: {
      key: TokenKey;
      htpasswd: Htpasswd;
      rules: AccessRules;
      /** The registry's name in tokens (`aud`) and challenges (`service`). */
      service: string;
      ttlSeconds: number;
      tracer: Tracer;
    },
  ) {}

  // #region issue
  /** Answers GET or POST /auth/token. */
  async answer(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    // 1. the request's fields: the query of a GET, the form of a POST
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      throw registryError('UNSUPPORTED', `${req.method} is not allowed on ${TOKEN_PATH}`);
    }
    const form = req.method === 'POST' ? await readForm(req) : query;
    // 2. who is asking (null: nobody, no credentials given)
    const user = await this.who(req, res, form);
    // 3. for which registry, and what
    const service = form.get('service');
    if (service !== null && service !== this.args.service) {
      throw registryError('DENIED', `this token service issues tokens for ${JSON.stringify(this.args.service)}, not ${JSON.stringify(service)}`, { service }, 400);
    }
    const requested = form.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '').map(readScope);
    // 4. grant what the rules allow, and sign it
    const access = this.args.rules.grant(user, requested);
    const now = Date.now();
    const token = this.args.key.sign(newClaims({ service: this.args.service, user, access, ttlSeconds: this.args.ttlSeconds, now }));
    this.args.tracer.start('registry', 'registry.token', { user, asked: requested.map(formatScope) }).end({ granted: access.map(formatScope) });
    // A token is a secret: no cache on the way may keep it (RFC 6749 §5.1).
    sendJson(res, 200, { token, access_token: token, expires_in: this.args.ttlSeconds, issued_at: new Date(now).toISOString() }, { 'Cache-Control': 'no-store' });
  }
  // #endregion issue

  /**
   * The user a request proves to be. GET carries Basic credentials; the OAuth2 form carries
   * username and password fields. Credentials that fail are a 401, never an anonymous token.
   */
  private async who(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<string | null> {
    let authorization = req.headers.authorization;
    if (req.method === 'POST') {
      const grant = form.get('grant_type');
      if (grant !== 'password') {
        throw registryError('UNSUPPORTED', `grant_type ${JSON.stringify(grant)} is not supported here (only "password"; this service gives no refresh tokens)`, { grant_type: grant }, 400);
      }
      authorization = `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`;
    }
    const outcome = await this.args.htpasswd.check(authorization);
    if (!outcome.ok && outcome.reason === 'missing') return null;
    this.args.tracer.start('registry', 'registry.auth', { user: outcome.user ?? null }).end(outcome.ok ? { outcome: 'accepted', for: 'token' } : { outcome: 'refused', reason: outcome.reason, for: 'token' });
    if (!outcome.ok) {
      res.setHeader('WWW-Authenticate', 'Basic realm="dockling token service"');
      throw registryError('UNAUTHORIZED', 'wrong user name or password');
    }
    // Docker names the user again in `account`; a different name there is a confused client.
    const account = form.get('account');
    if (account !== null && account !== outcome.user) {
      throw registryError('UNAUTHORIZED', `account ${JSON.stringify(account)} is not the user the credentials name`, { account });
    }
    return outcome.user;
  }
}

/** One scope of the request; a repository name that breaks the grammar is refused by name. */
function readScope(text: string): Access {
  const a = parseScope(text);
  if (!a) throw registryError('UNSUPPORTED', `invalid scope ${JSON.stringify(text)}: want TYPE:NAME:ACTIONS, e.g. repository:room/app:pull`, { scope: text }, 400);
  if (a.type === 'repository' && !isName(a.name)) throw registryError('NAME_INVALID', `invalid repository name ${JSON.stringify(a.name)} in scope ${JSON.stringify(text)}`, { name: a.name });
  return a;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw registryError('UNSUPPORTED', `POST ${TOKEN_PATH} takes an application/x-www-form-urlencoded form, not ${JSON.stringify(type)}`, { contentType: type }, 415);
  }
  return new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8'));
}
