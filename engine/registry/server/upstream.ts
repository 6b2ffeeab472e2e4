// The pull-through cache's side of the conversation: a small client for the upstream
// registry's GETs and HEADs, with the two ways registries ask for credentials (distribution's
// "token authentication" flow):
//   1. ask; a 401 carries `WWW-Authenticate: Basic realm="…"` or
//      `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"`
//   2. Basic: ask again with the credentials. Bearer: get a token from the realm (sending the
//      credentials, if any — anonymous tokens are how public images on Docker Hub are pulled),
//      then ask again with `Authorization: Bearer <token>`.
// Tokens are kept per scope until they expire, so a room pulling one image fetches one token.
import { registryError } from './errors.js';

export interface UpstreamOptions {
  url: string;
  username?: string;
  password?: string;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…"` → { scheme: 'bearer', params: { realm, service } }. */
export function parseChallenge(header: string): Challenge {
  const scheme = header.trim().split(/\s+/)[0]!.toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

export class Upstream {
  readonly base: string;
  private readonly basic: string | undefined;
  /** How this upstream wants to be asked, learned from its first 401. */
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(opts: UpstreamOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    if (opts.username !== undefined) {
      this.basic = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
    }
  }

  /**
   * One request to `path` (`/v2/library/alpine/manifests/3.20`) for `repository`, answering
   * a 401 once with credentials. Network failures become UNAVAILABLE.
   */
  async request(path: string, init: { method: 'GET' | 'HEAD'; repository: string; accept?: string }): Promise<Response> {
    const scope = `repository:${init.repository}:pull`;
    const send = async () => {
      const headers: Record<string, string> = {};
      if (init.accept) headers.Accept = init.accept;
      const auth = this.authorization(scope);
      if (auth) headers.Authorization = auth;
      try {
        return await fetch(this.base + path, { method: init.method, headers, redirect: 'follow' });
      } catch (err) {
        throw registryError('UNAVAILABLE', `upstream ${this.base} did not answer: ${(err as Error).message}`, { upstream: this.base });
      }
    };
    let res = await send();
    if (res.status === 401) {
      await res.body?.cancel();
      await this.answer(res.headers.get('www-authenticate') ?? '', scope);
      res = await send();
    }
    return res;
  }

  private authorization(scope: string): string | undefined {
    if (this.scheme === 'basic') return this.basic;
    if (this.scheme === 'bearer') {
      const t = this.tokens.get(scope);
      return t && t.until > Date.now() ? `Bearer ${t.token}` : undefined;
    }
    return undefined;
  }

  private async answer(header: string, scope: string): Promise<void> {
    const challenge = parseChallenge(header);
    if (challenge.scheme === 'basic') {
      if (!this.basic) throw registryError('UNAUTHORIZED', `upstream ${this.base} wants credentials: give --proxy-username and --proxy-password`, { upstream: this.base });
      this.scheme = 'basic';
      return;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw registryError('UNAVAILABLE', `upstream ${this.base} asked for an authentication scheme this proxy does not speak: ${header}`, { upstream: this.base });
    }
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', challenge.params.scope ?? scope);
    const res = await fetch(url, { headers: this.basic ? { Authorization: this.basic } : {} }).catch((err: Error) => {
      throw registryError('UNAVAILABLE', `token server ${url.origin} did not answer: ${err.message}`, { realm: url.origin });
    });
    if (!res.ok) throw registryError('UNAUTHORIZED', `token server ${url.origin} refused: HTTP ${res.status}`, { realm: url.origin, status: res.status });
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw registryError('UNAVAILABLE', `token server ${url.origin} sent no token`, { realm: url.origin });
    // Tokens default to 60 s (the spec's minimum); renew a little before the end.
    this.tokens.set(scope, { token, until: Date.now() + Math.max((body.expires_in ?? 60) - 10, 5) * 1000 });
    this.scheme = 'bearer';
  }
}
