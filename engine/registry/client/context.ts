// What pull, push and login share (chapter 4): the HTTP transport, the tracer, the daemon's
// registry settings, the scheme an endpoint answers in, and a way to open a repository on an
// endpoint with the right credentials. The RegistryClient is the one thing that makes it; the
// operations only use it.
import type { Span, Tracer } from '../../trace/index.js';
import type { BlobFetches } from './blob-fetches.js';
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
  /** Downloads in flight across this client's pulls: a blob two pulls need is fetched once. */
  blobFetches: BlobFetches;
  /** The endpoint in the scheme it answers in (an insecure registry may answer only in HTTP). */
  resolve(endpoint: Endpoint, opts: { signal?: AbortSignal; span?: Span }): Promise<Endpoint>;
  /** A repository on an endpoint (resolved first), authenticated with `auth` or the credential store's entry. */
  repository(args: { endpoint: Endpoint; name: string; access: Access; auth?: Credentials; signal?: AbortSignal; span?: Span }): Promise<RemoteRepository>;
}
