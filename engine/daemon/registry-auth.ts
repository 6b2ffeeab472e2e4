// X-Registry-Auth (chapter 4 through the Engine API): how a client hands the daemon the
// credentials for one pull or push. The daemon keeps none of its own; the docker CLI reads them
// from its config.json and sends, on every pull, push and run-that-pulls,
//
//   X-Registry-Auth: base64url({"username":"bob","password":"secret","serveraddress":"localhost:5000"})
//
// and `e30=` — base64 of `{}` — when it has nothing for that registry. A build sends all of them
// at once, keyed by registry, as X-Registry-Config. dockerd treats a header it cannot decode as
// no credentials at all, not as an error, and so does this.
import type { Credentials } from '../registry/index.js';

interface AuthConfig {
  username?: unknown;
  password?: unknown;
  /** base64("user:password"), config.json's form, which some clients send as is. */
  auth?: unknown;
  serveraddress?: unknown;
}

/** A header's base64url JSON object, or undefined when there is none or it does not decode. */
function decodeHeader(header: string | string[] | undefined): Record<string, unknown> | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  try {
    // Node's base64url decoder takes padding and the standard alphabet too: clients differ.
    const doc: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The credentials a request carries (X-Registry-Auth), if any. */
export function registryAuth(header: string | string[] | undefined): Credentials | undefined {
  const doc = decodeHeader(header);
  return doc ? credentialsOf(doc) : undefined;
}

/**
 * X-Registry-Config, sent with a build: every credential the client has, keyed by registry
 * (Docker Hub's key is `https://index.docker.io/v1/`); a FROM that pulls takes its registry's.
 */
export function registryConfigAuth(header: string | string[] | undefined, domain: string): Credentials | undefined {
  const doc = decodeHeader(header);
  if (!doc) return undefined;
  const keys = domain === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
  for (const k of keys) {
    const entry = doc[k];
    if (entry && typeof entry === 'object') return credentialsOf(entry as AuthConfig);
  }
  return undefined;
}

/** One auth config's user and password: given as such, or as config.json's base64 `auth`. */
function credentialsOf(doc: AuthConfig): Credentials | undefined {
  if (typeof doc.username === 'string' && doc.username && typeof doc.password === 'string') {
    return { username: doc.username, password: doc.password };
  }
  if (typeof doc.auth === 'string' && doc.auth) {
    const pair = Buffer.from(doc.auth, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon > 0) return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
  }
  return undefined;
}
