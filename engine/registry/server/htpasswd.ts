// Basic authentication against an htpasswd file (`user:$2y$…` lines), the way the CNCF
// registry's htpasswd mode works: only bcrypt entries are accepted, because the other formats
// htpasswd can write (MD5-crypt, SHA-1, crypt) are too weak to put in front of a registry.
//
// bcrypt is slow on purpose (~50–100 ms a check at cost 10), and a client sends its
// credentials with every request — a `docker pull` of a ten-layer image is a dozen requests, a
// workshop room is thirty learners. So a credential that passed once is remembered (by the
// sha256 of the header, never the password itself) for a few minutes, and bcrypt runs once per
// learner rather than once per request. Checks run on bcryptjs's async path, which yields to
// the event loop while it works, so a check never stalls the other connections.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { EngineError } from '../../base/index.js';

const BCRYPT = /^\$2[abyx]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const REMEMBER_MS = 5 * 60 * 1000;

export type AuthOutcome = { ok: true; user: string; checked: boolean } | { ok: false; reason: 'missing' | 'malformed' | 'unknown-user' | 'wrong-password'; user?: string };

export class Htpasswd {
  private readonly passed = new Map<string, number>();

  private constructor(private readonly users: Map<string, string>) {}

  /** Reads the file; refuses lines that are not `user:bcrypt-hash` (naming the line). */
  static async load(path: string): Promise<Htpasswd> {
    const text = await readFile(path, 'utf8').catch((err: Error) => {
      throw new EngineError({ code: 'HTPASSWD_UNREADABLE', kind: 'invalid-argument', message: `cannot read htpasswd file ${path}: ${err.message}`, data: { path }, cause: err });
    });
    const users = new Map<string, string>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !BCRYPT.test(hash)) {
        throw new EngineError({
          code: 'HTPASSWD_INVALID', kind: 'invalid-argument',
          message: `${path} line ${i + 1}: want user:bcrypt-hash (make one with \`htpasswd -nB user\`)`, data: { path, line: i + 1 },
        });
      }
      users.set(user, hash);
    });
    return new Htpasswd(users);
  }

  /** Checks an `Authorization` header. */
  async check(authorization: string | undefined): Promise<AuthOutcome> {
    if (!authorization) return { ok: false, reason: 'missing' };
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
    if (!m) return { ok: false, reason: 'malformed' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'malformed' };
    const user = decoded.slice(0, colon);
    const key = createHash('sha256').update(authorization.trim()).digest('hex');
    const until = this.passed.get(key);
    if (until !== undefined && until > Date.now()) return { ok: true, user, checked: false };
    const hash = this.users.get(user);
    if (hash === undefined) return { ok: false, reason: 'unknown-user', user };
    if (!(await bcrypt.compare(decoded.slice(colon + 1), hash))) return { ok: false, reason: 'wrong-password', user };
    if (this.passed.size > 10_000) this.forgetExpired();
    this.passed.set(key, Date.now() + REMEMBER_MS);
    return { ok: true, user, checked: true };
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [key, until] of this.passed) if (until <= now) this.passed.delete(key);
  }
}
