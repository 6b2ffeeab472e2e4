// What pull, push and login share (chapter 4): the HTTP transport, the tracer, the daemon's
// registry settings, and a way to open a repository on an endpoint with the right credentials.
// The RegistryClient is the one thing that makes it; the operations only use it.
import type { Span, Tracer } from '../../trace/index.js';
import type { CredentialStore } from './credentials.js';
import type { Endpoint } from './endpoints.js';
import type { HttpTransport } from './http.js';
import type { Access, RemoteRepository } from './repository.js';
import type { Credentials } from './types.js';

export interface ClientContext {
  http: HttpTransport;
  tracer: Tracer;
  insecureRegistries: string[];
  mirrors: string[];
  credentials?: CredentialStore;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  chunkSize: number;
  /** A repository on an endpoint, authenticated with `auth` or the credential store's entry. */
  repository(args: { endpoint: Endpoint; name: string; access: Access; auth?: Credentials; signal?: AbortSignal; span?: Span }): Promise<RemoteRepository>;
}
