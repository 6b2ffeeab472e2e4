// Token authentication from a test's side: a `dockling registry --auth token` with three users
// and a rules file, asking its token service for tokens, reading their claims, pushing with a
// token, and making tokens by hand — signed right, signed wrong, or not signed at all. Tokens
// are made here with node:crypto alone, not with the engine's jwt.ts, so a mistake there cannot
// hide itself by being made twice.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call, digestOf, htpasswdFile, imageConfig, manifestOf, randomBlob, startDockling, OCI_MANIFEST, type Credentials } from './server-harness.js';
import { tempDir } from '../tmp.js';

export const owner: Credentials = { username: 'owner', password: 'keys to everything' };
export const alice: Credentials = { username: 'alice', password: 'down the rabbit hole' };
export const bob: Credentials = { username: 'bob', password: 'builder' };
export const SERVICE = 'test-registry';

/** Who may do what: the owner everything, alice a/*, bob reads a/* and owns b/x, anyone reads public/*. */
export const RULES = `# who      repositories  actions
owner    *             *
alice      a/*           pull,push
bob        a/*           pull
bob        b/x           pull,push,delete
anonymous  public/*      pull
`;

export type TokenRegistry = Awaited<ReturnType<typeof startDockling>> & { key: KeyObject };

/** A registry with token authentication, signing with a key the test also holds. */
export async function startTokenRegistry(opts: { ttlSeconds?: number } = {}): Promise<TokenRegistry> {
  const dir = await tempDir('dkl-token-');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(dir, 'token.key');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const accessFile = join(dir, 'access');
  await writeFile(accessFile, RULES);
  const reg = await startDockling({
    htpasswd: await htpasswdFile(dir, [owner, alice, bob]), auth: 'token',
    token: { service: SERVICE, keyFile, accessFile, ttlSeconds: opts.ttlSeconds ?? 300 },
  });
  return { ...reg, key: privateKey };
}

export interface TokenAnswer { status: number; token: string; claims: Record<string, unknown>; codes: string[]; body: string }

/** GET /auth/token for these scopes, with these credentials (none: anonymous). */
export async function askToken(base: string, opts: { auth?: Credentials; scopes?: string[]; service?: string | null } = {}): Promise<TokenAnswer> {
  const q = new URLSearchParams();
  if (opts.service !== null) q.set('service', opts.service ?? SERVICE);
  for (const s of opts.scopes ?? []) q.append('scope', s);
  const a = await call(base, `/auth/token?${q}`, { auth: opts.auth });
  const token = a.status === 200 ? a.json<{ token: string }>().token : '';
  return { status: a.status, token, claims: token ? claimsOf(token) : {}, codes: a.codes(), body: a.body.toString() };
}

/** A token good for `scopes`, or a thrown error naming the status. */
export async function tokenFor(base: string, auth: Credentials | undefined, ...scopes: string[]): Promise<string> {
  const a = await askToken(base, { auth, scopes });
  if (a.status !== 200) throw new Error(`token for ${scopes.join(' ')}: ${a.status} ${a.body}`);
  return a.token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

const part = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}

/**
 * A token made by hand. ES256 signs with an EC key (ours or another), HS256 with a secret (an
 * attacker's favourite: the registry's public key as the secret), none with nothing at all.
 */
export function mint(opts: { alg: 'ES256' | 'HS256' | 'RS256' | 'none'; key?: KeyObject | Buffer; header?: Record<string, unknown>; payload: Record<string, unknown> }): string {
  const signed = `${part({ typ: 'JWT', alg: opts.alg, ...opts.header })}.${part(opts.payload)}`;
  if (opts.alg === 'none') return `${signed}.`;
  if (opts.alg === 'HS256') return `${signed}.${createHmac('sha256', opts.key as Buffer).update(signed).digest('base64url')}`;
  const key = opts.key as KeyObject;
  const signature = opts.alg === 'ES256' ? sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(signed), key);
  return `${signed}.${signature.toString('base64url')}`;
}

/** Claims as the token service writes them, for `access`, good from now for five minutes. */
export function claims(access: Array<{ type?: string; name: string; actions: string[] }>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'dockling-token-service', sub: 'owner', aud: SERVICE, exp: now + 300, nbf: now, iat: now, jti: 'hand-made',
    access: access.map((a) => ({ type: a.type ?? 'repository', ...a })), ...over,
  };
}

/** Pushes a config, one layer and a manifest with a bearer token; throws on any refusal. */
export async function pushWithToken(base: string, repo: string, tag: string, token: string) {
  const config = imageConfig();
  const layers = [randomBlob(2048)];
  for (const blob of [config, ...layers]) {
    const put = await call(base, `/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob, headers: { ...bearer(token), 'Content-Type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`POST blob to ${repo}: ${put.status} ${put.body}`);
  }
  const manifest = manifestOf({ config, layers });
  const put = await call(base, `/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...bearer(token), 'Content-Type': OCI_MANIFEST } });
  if (put.status !== 201) throw new Error(`PUT manifest ${repo}:${tag}: ${put.status} ${put.body}`);
  return { config, layers, manifest, digest: digestOf(manifest) };
}
