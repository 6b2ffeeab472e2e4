// Which gate a registry starts with (chapter 4), read from its options and checked before
// anything listens: none (everyone may do everything), Basic (the htpasswd file on every
// request), or tokens (the same file, asked once by the token service, which then signs a
// token for a scope). A wrong combination — tokens without an htpasswd file, token settings
// without tokens, a lifetime of zero — is refused here, naming the option.
import type { IncomingMessage } from 'node:http';
import { invalid } from '../../base/index.js';
import type { Tracer } from '../../trace/index.js';
import { AccessRules } from './access-rules.js';
import { basicGate } from './basic-gate.js';
import type { AuthGate } from './context.js';
import { Htpasswd } from './htpasswd.js';
import { TokenKey } from './jwt.js';
import { tokenGate } from './token-gate.js';
import { TOKEN_PATH, TokenService } from './token-service.js';
import type { RegistryOptions } from './types.js';

export const DEFAULT_SERVICE = 'dockling-registry';
export const DEFAULT_TTL_SECONDS = 300;
const MAX_TTL_SECONDS = 24 * 60 * 60;

export interface Authentication {
  gate: AuthGate | null;
  tokens: TokenService | null;
  /** For the trace: none, basic or token. */
  scheme: 'none' | 'basic' | 'token';
}

export async function authentication(args: {
  opts: RegistryOptions;
  tracer: Tracer;
  /** http or https: the scheme of the default realm. */
  scheme: string;
  /** The registry's own URL, once it listens (the realm when a Host header is unusable). */
  url: () => string;
}): Promise<Authentication> {
  const { opts, tracer } = args;
  const auth = opts.auth ?? 'basic';
  if (opts.token && auth !== 'token') throw invalid('TOKEN_OPTIONS_UNUSED', 'token settings are given but authentication is not by token (add --auth token)', {});
  if (auth === 'token' && !opts.htpasswd) throw invalid('TOKEN_AUTH_NEEDS_HTPASSWD', 'token authentication checks users against an htpasswd file: give --htpasswd FILE', {});
  if (!opts.htpasswd) return { gate: null, tokens: null, scheme: 'none' };
  const htpasswd = await Htpasswd.load(opts.htpasswd);
  if (auth === 'basic') return { gate: basicGate({ htpasswd, realm: opts.realm ?? 'dockling registry', tracer }), tokens: null, scheme: 'basic' };
  const t = opts.token ?? {};
  const service = checkService(t.service ?? DEFAULT_SERVICE);
  const ttlSeconds = checkTtl(t.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  const realm = t.realm === undefined ? defaultRealm(args.scheme, args.url) : fixedRealm(t.realm);
  const key = t.keyFile ? await TokenKey.load(t.keyFile) : TokenKey.generate();
  const rules = t.accessFile ? await AccessRules.load(t.accessFile) : AccessRules.everyUser();
  return {
    gate: tokenGate({ key, service, realm, tracer }),
    tokens: new TokenService({ key, htpasswd, rules, service, ttlSeconds, tracer }),
    scheme: 'token',
  };
}

/** The service name goes inside a quoted challenge parameter: printable, no quote or backslash. */
function checkService(service: string): string {
  if (!/^[\x21-\x7e]+$/.test(service) || /["\\]/.test(service)) {
    throw invalid('TOKEN_SERVICE_INVALID', `invalid token service name ${JSON.stringify(service)}: printable characters, no spaces or quotes`, { service });
  }
  return service;
}

function checkTtl(seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw invalid('TOKEN_TTL_INVALID', `invalid token lifetime ${seconds}: want whole seconds from 1 to ${MAX_TTL_SECONDS}`, { ttlSeconds: seconds });
  }
  return seconds;
}

/** A realm given by hand: an http(s) URL, with nothing that would break the quoted challenge. */
function fixedRealm(realm: string): () => string {
  if (!/^https?:\/\/[^\s"\\]+$/i.test(realm) || !URL.canParse(realm)) {
    throw invalid('TOKEN_REALM_INVALID', `invalid token realm ${JSON.stringify(realm)}: want an http:// or https:// URL`, { realm });
  }
  return () => realm;
}

/**
 * /auth/token on the address the client reached us at: on a room's network each learner's
 * machine knows this registry by the name or address it typed, which is what its Host says.
 */
function defaultRealm(scheme: string, url: () => string): (req: IncomingMessage) => string {
  const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
  return (req) => {
    const host = req.headers.host;
    return host !== undefined && HOST.test(host) ? `${scheme}://${host}${TOKEN_PATH}` : `${url()}${TOKEN_PATH}`;
  };
}
