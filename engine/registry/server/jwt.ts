// A JSON Web Token, signed and checked (chapter 4; RFC 7519 for the token, RFC 7515 for the
// signature, distribution's "Token Authentication Implementation" for how registries use it).
// A token is three base64url parts joined by dots:
//
//   eyJhbGciOiJFUzI1NiIs…  .  eyJpc3MiOiJkb2NrbGluZy…  .  MEUCIQD…
//   header: which algorithm   payload: the claims         signature over the first two parts
//
// Anyone can read a token (it is only base64); only the holder of the private key can make one
// whose signature checks. We sign with ES256 (ECDSA on P-256 with SHA-256) and accept nothing
// else: a header saying `"alg":"none"` (no signature at all) or `"alg":"HS256"` (a signature
// made with a shared secret — an attacker would use our *public* key as that secret) is refused
// before any check is tried. The header's `kid` names the key; a token naming another key is
// refused too.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EngineError } from '../../base/index.js';

const ALG = 'ES256';
/** An ES256 signature is r and s, 32 bytes each (RFC 7518 §3.4), not DER. */
const SIGNATURE_BYTES = 64;
/** A token larger than this is not one of ours (ours are well under 2 KiB). */
const MAX_TOKEN_CHARS = 8192;

export type Verified = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: 'malformed' | 'algorithm' | 'another-key' | 'signature' };

export class TokenKey {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    /** The key's id: a fingerprint of the public key, so it changes when the key does. */
    readonly kid: string,
  ) {}

  /** A new key, made at start: tokens it signs die with the process. */
  static generate(): TokenKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return TokenKey.of(privateKey);
  }

  /** A P-256 private key from a PEM file (`openssl ecparam -name prime256v1 -genkey -noout`). */
  static async load(path: string): Promise<TokenKey> {
    const bad = (why: string, cause?: unknown) =>
      new EngineError({ code: 'TOKEN_KEY_INVALID', kind: 'invalid-argument', message: `token key ${path}: ${why}`, data: { path }, cause });
    const pem = await readFile(path).catch((err: Error) => {
      throw bad(`cannot read it: ${err.message}`, err);
    });
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw bad('not a PEM private key', err);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw bad(`want an EC key on P-256 for ES256, not ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
    }
    return TokenKey.of(key);
  }

  private static of(privateKey: KeyObject): TokenKey {
    const publicKey = createPublicKey(privateKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    return new TokenKey(privateKey, publicKey, createHash('sha256').update(der).digest('base64url').slice(0, 32));
  }

  sign(payload: object): string {
    const head = b64(JSON.stringify({ typ: 'JWT', alg: ALG, kid: this.kid }));
    const body = b64(JSON.stringify(payload));
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${signature.toString('base64url')}`;
  }

  // #region verify
  /** Checks the form, the algorithm, the key and the signature; the claims are the caller's. */
  verify(token: string): Verified {
    const parts = token.length <= MAX_TOKEN_CHARS ? token.split('.') : [];
    if (parts.length !== 3 || !parts.every(isBase64url)) return { ok: false, reason: 'malformed' };
    const [head, body, sig] = parts as [string, string, string];
    const header = parseObject(head);
    const payload = parseObject(body);
    if (!header || !payload) return { ok: false, reason: 'malformed' };
    // Only ES256, said exactly so; and no `crit` extensions we would have to understand.
    if (header.alg !== ALG || header.crit !== undefined) return { ok: false, reason: 'algorithm' };
    if (header.kid !== this.kid) return { ok: false, reason: 'another-key' };
    const signature = Buffer.from(sig, 'base64url');
    if (signature.length !== SIGNATURE_BYTES) return { ok: false, reason: 'signature' };
    const good = verify('sha256', Buffer.from(`${head}.${body}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    return good ? { ok: true, payload } : { ok: false, reason: 'signature' };
  }
  // #endregion verify
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/**
 * base64url with no padding, and canonical: decoding and encoding again gives the same text.
 * (A decoder ignores the unused low bits of the last character, so without this check one
 * token could be written several ways.)
 */
function isBase64url(part: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;
}

function parseObject(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
