// The registry client (chapter 4): what the daemon holds to pull, push and log in. It owns the
// things that outlive one operation — the HTTP connections kept alive, each host's TLS settings
// (certs.ts), the scheme each insecure registry answers in (scheme-resolver.ts), and one
// Authenticator per registry and user, so a bearer token fetched by one pull serves the next
// while it is valid — and hands them to the operations, each in its own file (pull.ts, push.ts,
// login.ts).
import { createHash } from 'node:crypto';
import type { Tracer } from '../../trace/index.js';
import { Authenticator } from './auth.js';
import { BlobFetches } from './blob-fetches.js';
import { TlsPolicy } from './certs.js';
import type { ClientContext } from './context.js';
import type { CredentialStore } from './credentials.js';
import type { Endpoint } from './endpoints.js';
import { HttpTransport } from './http.js';
import { login, logout } from './login.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { RemoteRepository } from './repository.js';
import { SchemeResolver } from './scheme-resolver.js';
import type { Credentials, LoginOptions, LoginResult, PullOptions, PullResult, PushOptions, PushResult, RegistryClientOptions } from './types.js';

const DEFAULT_USER_AGENT = 'dockling (registry client; like docker/28)';

export class RegistryClient {
  private readonly ctx: ClientContext;
  private readonly http: HttpTransport;
  private readonly tracer: Tracer;
  private readonly credentials?: CredentialStore;
  private readonly authenticators = new Map<string, Authenticator>();

  constructor(opts: RegistryClientOptions) {
    const insecureRegistries = opts.insecureRegistries ?? [];
    const tls = new TlsPolicy({ insecureRegistries, ...(opts.certsDir ? { certsDir: opts.certsDir } : {}) });
    this.http = new HttpTransport({ userAgent: opts.userAgent ?? DEFAULT_USER_AGENT, tlsFor: (url) => tls.settingsFor(url) });
    this.tracer = opts.tracer;
    this.credentials = opts.credentials;
    const schemes = new SchemeResolver({ http: this.http });
    this.ctx = {
      http: this.http,
      tracer: opts.tracer,
      insecureRegistries,
      mirrors: opts.mirrors ?? [],
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      maxConcurrentDownloads: opts.maxConcurrentDownloads ?? 3,
      maxConcurrentUploads: opts.maxConcurrentUploads ?? 5,
      chunkSize: opts.chunkSize ?? 16 * 1024 * 1024,
      blobFetches: new BlobFetches(),
      resolve: (endpoint, o) => schemes.resolve(endpoint, o),
      repository: (args) => this.repository(args),
    };
  }

  pull(opts: PullOptions): Promise<PullResult> {
    return pull(this.ctx, opts);
  }

  push(opts: PushOptions): Promise<PushResult> {
    return push(this.ctx, opts);
  }

  /** Checks the credentials with the registry, then keeps them in the credential store. */
  login(opts: LoginOptions): Promise<LoginResult> {
    return login(this.ctx, opts);
  }

  logout(opts: { server?: string } = {}): Promise<{ removed: boolean; server: string }> {
    return logout(this.ctx, opts);
  }

  /** Closes kept-alive connections; the client can still be used (it opens new ones). */
  close(): void {
    this.http.close();
  }

  /**
   * A repository on an endpoint, with the credentials given, else those kept for that registry.
   * The endpoint is first resolved to the scheme it answers in, so the Authenticator and every
   * URL the repository makes use it.
   */
  private async repository(args: Parameters<ClientContext['repository']>[0]): Promise<RemoteRepository> {
    const endpoint = await this.ctx.resolve(args.endpoint, { signal: args.signal, span: args.span });
    // An empty auth (the CLI sends `{}` in X-Registry-Auth when logged out) is no auth.
    const given = args.auth?.username ? args.auth : undefined;
    const credentials = given ?? (await this.credentials?.get(endpoint.registry));
    const auth = this.authenticator(endpoint, credentials);
    return new RemoteRepository({ http: this.http, auth, endpoint, name: args.name, access: args.access, signal: args.signal, span: args.span });
  }

  /** One per endpoint and user; the key holds a hash of the password, never the password. */
  private authenticator(endpoint: Endpoint, credentials?: Credentials): Authenticator {
    const who = credentials ? `${credentials.username}:${createHash('sha256').update(credentials.password).digest('hex')}` : '';
    const key = `${endpoint.url.origin}\n${who}`;
    let auth = this.authenticators.get(key);
    if (!auth) {
      auth = new Authenticator({ http: this.http, tracer: this.tracer, endpoint, ...(credentials ? { credentials } : {}) });
      this.authenticators.set(key, auth);
    }
    return auth;
  }
}
