// Bearer tokens as the registry's gate (chapter 4; distribution's "Token Authentication
// Specification"). A request without a token is answered 401 with a challenge that says where
// to get one, for which registry, and for what:
//
//   WWW-Authenticate: Bearer realm="http://127.0.0.1:5000/auth/token",service="dockling-registry",
//                     scope="repository:room/app:pull,push"
//
// A request with a token passes when every check holds, in this order: the token's form, its
// algorithm and key and signature (jwt.ts); its claims — issuer, audience, not expired, already
// valid (token-claims.ts); and its access claim covers what the request needs (scope.ts).
//   - a missing or bad token: 401 UNAUTHORIZED (error="invalid_token" when one was sent)
//   - a good token that does not cover the request: 403 DENIED, error="insufficient_scope"
//     (401 for an anonymous token: logging in may help, so the client is asked to)
import type { IncomingMessage } from 'node:http';
import type { Tracer } from '../../trace/index.js';
import type { AuthGate } from './context.js';
import { registryError } from './errors.js';
import type { TokenKey } from './jwt.js';
import { covers, formatScope, type Access } from './scope.js';
import { checkClaims } from './token-claims.js';

export interface TokenGateArgs {
  key: TokenKey;
  service: string;
  /** The token service's URL for this request (the realm of the challenge). */
  realm: (req: IncomingMessage) => string;
  tracer: Tracer;
}

export function tokenGate(args: TokenGateArgs): AuthGate {
  return {
    // #region admit
    async admit(req, res, needed) {
      const refuse = (status: 401 | 403, reason: string, error?: string) => {
        args.tracer.start('registry', 'registry.auth', { scheme: 'bearer', needed: needed.map(formatScope) }).end({ outcome: 'refused', reason });
        res.setHeader('WWW-Authenticate', challenge(args, req, needed, error));
        return status === 401
          ? registryError('UNAUTHORIZED', reason === 'missing' ? 'authentication required' : `token refused: ${reason}`, { reason })
          : registryError('DENIED', `this token does not allow ${needed.map(formatScope).join(' ')}`, { reason });
      };
      // 1. a token at all
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m) throw refuse(401, req.headers.authorization ? 'not-a-bearer-token' : 'missing', req.headers.authorization ? 'invalid_token' : undefined);
      // 2. ours: form, algorithm, key, signature
      const verified = args.key.verify(m[1]!);
      if (!verified.ok) throw refuse(401, verified.reason, 'invalid_token');
      // 3. for this registry, and good now
      const checked = checkClaims(verified.payload, { service: args.service, now: Date.now() });
      if (!checked.ok) throw refuse(401, checked.reason, 'invalid_token');
      // 4. allows what this request needs
      const { access, sub } = checked.claims;
      if (!needed.every((n) => covers(access, n))) throw sub === '' ? refuse(401, 'anonymous', 'insufficient_scope') : refuse(403, 'insufficient-scope', 'insufficient_scope');
      return { user: sub === '' ? null : sub, canPull: (name) => covers(access, { type: 'repository', name, actions: ['pull'] }) };
    },
    // #endregion admit
  };
}

/** The Bearer challenge: where to get a token, for which service, for which scope. */
function challenge(args: TokenGateArgs, req: IncomingMessage, needed: Access[], error?: string): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  const params = [`realm=${quote(args.realm(req))}`, `service=${quote(args.service)}`];
  if (needed.length > 0) params.push(`scope=${quote(needed.map(formatScope).join(' '))}`);
  if (error) params.push(`error=${quote(error)}`);
  return `Bearer ${params.join(',')}`;
}
