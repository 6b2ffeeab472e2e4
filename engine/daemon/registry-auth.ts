// X-Registry-Auth (chapter 4 through the Engine API): how a client hands the daemon the
// credentials for one pull or push. The daemon keeps none of its own; the docker CLI reads them
// from its config.json and sends, on every pull, push and run-that-pulls,
//
//   X-Registry-Auth: base64url({"username":"bob","password":"secret","serveraddress":"localhost:5000"})
//
// and `e30=` — base64 of `{}` — when it has nothing for that registry. dockerd treats a header
// it cannot decode as no credentials at all, not as an error, and so does this.
import type { Credentials } from '../registry/index.js';

interface AuthConfig {
  username?: unknown;
  password?: unknown;
  /** base64("user:password"), config.json's form, which some clients send as is. */
  auth?: unknown;
  serveraddress?: unknown;
}

/** The credentials a request carries, if any. */
export function registryAuth(header: string | string[] | undefined): Credentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  let doc: AuthConfig;
  try {
    // Node's base64url decoder takes padding and the standard alphabet too: clients differ.
    doc = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as AuthConfig;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
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
