// What a registry token says (chapter 4; distribution's "Token Authentication Implementation"):
// the claims inside the signed JWT. The token service writes them, the registry reads them:
//
//   iss     who issued it: this registry's token service
//   sub     who it was issued to: the user name, "" for a client with no credentials
//   aud     which registry it is for: the service name (a token for another registry is no good here)
//   exp     when it stops being good; nbf: not before; iat: when it was issued (Unix seconds)
//   jti     a random id, so no two tokens are the same
//   access  what it allows: [{"type":"repository","name":"room/app","actions":["pull","push"]}]
//
// Clocks differ a little between machines, so exp and nbf are checked with a small leeway.
import { randomBytes } from 'node:crypto';
import type { Access } from './scope.js';

export const ISSUER = 'dockling-token-service';
export const LEEWAY_SECONDS = 30;

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

export function newClaims(args: { service: string; user: string | null; access: Access[]; ttlSeconds: number; now: number }): TokenClaims {
  const now = Math.floor(args.now / 1000);
  return {
    iss: ISSUER, sub: args.user ?? '', aud: args.service,
    exp: now + args.ttlSeconds, nbf: now, iat: now,
    jti: randomBytes(16).toString('hex'), access: args.access,
  };
}

export type Checked = { ok: true; claims: TokenClaims } | { ok: false; reason: 'claims' | 'issuer' | 'audience' | 'expired' | 'not-yet-valid' };

// #region check-claims
/** Checks a verified payload's claims for a registry named `service`, at time `now` (ms). */
export function checkClaims(payload: Record<string, unknown>, args: { service: string; now: number }): Checked {
  const now = args.now / 1000;
  const { iss, sub, aud, exp, nbf, access } = payload;
  if (typeof sub !== 'string' || typeof exp !== 'number' || typeof nbf !== 'number' || !isAccessList(access)) return { ok: false, reason: 'claims' };
  if (iss !== ISSUER) return { ok: false, reason: 'issuer' };
  // RFC 7519 lets `aud` be one string or a list of them.
  if (!(aud === args.service || (Array.isArray(aud) && aud.includes(args.service)))) return { ok: false, reason: 'audience' };
  if (now > exp + LEEWAY_SECONDS) return { ok: false, reason: 'expired' };
  if (now < nbf - LEEWAY_SECONDS) return { ok: false, reason: 'not-yet-valid' };
  return { ok: true, claims: payload as unknown as TokenClaims };
}
// #endregion check-claims

function isAccessList(v: unknown): v is Access[] {
  return Array.isArray(v) && v.every((a: unknown) => {
    const e = a as Partial<Access> | null;
    return typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.name === 'string'
      && Array.isArray(e.actions) && e.actions.every((x) => typeof x === 'string');
  });
}
