// The registry client's vocabulary (chapter 4): what `pull`, `push` and `login` take and give
// back, and the progress messages they emit. The protocol is the OCI distribution spec
// (distribution-spec v1.1 spec.md: "Pull", "Push", "Content Discovery") plus the token
// authentication Docker Hub uses (distribution's docs/spec/auth/token.md).
//
// A pull, as `docker pull localhost:5000/app:v1` sees it from the client's side:
//   1. GET  /v2/                                  → 401 + WWW-Authenticate: what auth, where
//   2. GET  realm?service=…&scope=repository:app:pull → a bearer token (cached per scope)
//   3. GET  /v2/app/manifests/v1  (Accept: OCI + Docker types) → an index or a manifest;
//      an index is narrowed to the daemon's platform and that manifest fetched by digest
//   4. GET  /v2/app/blobs/<config>                → the config: the image ID, the diffIDs
//   5. GET  /v2/app/blobs/<layer> for each layer not already stored, a few at a time; each is
//      hashed as it streams into the content store and kept only if digest and diffID match
//   6. the image is named in the image store: `Status: Downloaded newer image for app:v1`
//
// A push walks the same road backwards: HEAD each blob, mount it from another repository of
// the same registry when one is known to have it, upload the rest, PUT the manifest last.
import type { Writable } from 'node:stream';
import type { Compression, ContentStore, Digest, ImageStore, LayerDigests, LayerInfo, Platform } from '../../layers/index.js';
import type { Span, Tracer } from '../../trace/index.js';
import type { CredentialStore } from './credentials.js';

/** A user name and a password (or a personal access token), as `docker login` takes them. */
export interface Credentials {
  username: string;
  password: string;
}

// #region progress-message
/**
 * One line of Docker's JSON progress stream (the body of POST /images/create and
 * /images/{name}/push). The daemon writes these objects as they come, one JSON per line, and
 * the real `docker` CLI draws them. A failure is the last message, with `errorDetail`.
 */
export interface ProgressMessage {
  status?: string;
  /** The line's key: a layer's short digest, or the tag in `Pulling from …`. */
  id?: string;
  /** Deprecated text bar (`[==>   ]  1.049MB/2.155MB`); the CLI draws its own from progressDetail. */
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  /** Not printed: push reports `{Tag, Digest, Size}` here for programs. */
  aux?: Record<string, unknown>;
  errorDetail?: { message: string; code?: number };
  /** Deprecated twin of errorDetail.message (the CLI reads only errorDetail). */
  error?: string;
}
// #endregion progress-message

export type ProgressListener = (message: ProgressMessage) => void;

export interface RegistryClientOptions {
  tracer: Tracer;
  /**
   * Registries spoken to in plain HTTP, like dockerd's `insecure-registries`: `host:port`,
   * `host` (any port) or an IPv4 CIDR (`10.0.0.0/8`). localhost and 127.0.0.0/8 always are.
   */
  insecureRegistries?: string[];
  /** Mirrors tried first for Docker Hub names, like dockerd's `registry-mirrors` (URLs). */
  mirrors?: string[];
  /**
   * Docker's certs.d: `<certsDir>/<host[:port]>/` holds extra CA roots (`*.crt`) and a client
   * certificate (`*.cert` + `*.key`) for that secure registry (certs.ts). The daemon's is beside
   * its daemon.json. Without it, secure registries are verified against the system's roots only.
   */
  certsDir?: string;
  /** Where `login` stores credentials and where pull and push find them. */
  credentials?: CredentialStore;
  userAgent?: string;
  /** Layers downloaded at once (dockerd's max-concurrent-downloads, 3). */
  maxConcurrentDownloads?: number;
  /** Layers uploaded at once (dockerd's max-concurrent-uploads, 5). */
  maxConcurrentUploads?: number;
  /** Blobs larger than this are uploaded in PATCH chunks of this size (default 16 MiB). */
  chunkSize?: number;
}

export interface PullOptions {
  /** What `docker pull` takes: `busybox`, `localhost:5000/app:v1`, `app@sha256:…`. */
  reference: string;
  /** The platform to pick from an index; the daemon's own when not given. */
  platform?: Platform;
  store: ImageStore;
  content: ContentStore;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Credentials sent with this pull (the CLI's X-Registry-Auth); else the credential store's. */
  auth?: Credentials;
  /**
   * Who unpacks the layers before the image is named (the daemon: into snapshots), made once the
   * config names each layer's diffID. Without it the layers are only stored.
   */
  unpack?: (layers: Array<{ digest: Digest; diffID: Digest }>) => PullUnpack;
  /** The span the pull runs under (the daemon's request), so the trace nests it there. */
  span?: Span;
}

/** What a pull asks of whoever unpacks its layers. */
export interface PullUnpack {
  /**
   * Layer `index` is about to download: somewhere to write its bytes as they arrive, and the
   * unpack's outcome (the digest and diffID it counted, already checked against the config);
   * or undefined, and the layer is unpacked from the store by `layer()`.
   */
  stream(index: number): Promise<{ sink: Writable; unpacked: Promise<LayerDigests & { compression: Compression }> } | undefined>;
  /** Layer `index` and all below it are stored: made ready, bottom first; `onPhase` for "Extracting" and "Pull complete". */
  layer(index: number, stored: LayerInfo, onPhase: (phase: 'start' | 'done') => void): Promise<void>;
  /**
   * The pull is over: the image is named, or `failure` says why not — then unpacks still going
   * are stopped and their snapshots removed. Either way its layers are no longer held for it.
   */
  end(failure?: unknown): Promise<void>;
}

export interface PullResult {
  /** The manifest's digest as the registry names it (an index's when it served one). */
  digest: Digest;
  /** The full normalised name pulled: `docker.io/library/busybox:latest`. */
  name: string;
  /** The config's digest: the image ID. */
  id: Digest;
  /** The name already pointed at this image: nothing was downloaded. */
  upToDate: boolean;
}

export interface PushOptions {
  /** A name in the store, with a tag (`localhost:5000/app:v1`); the tag is `latest` if none. */
  reference: string;
  store: ImageStore;
  content: ContentStore;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  auth?: Credentials;
  /** The span the push runs under (the daemon's request), so the trace nests it there. */
  span?: Span;
}

export interface PushResult {
  /** The pushed manifest's digest, as `docker push` prints it. */
  digest: Digest;
  /** The manifest's size in bytes. */
  size: number;
}

export interface LoginOptions {
  /** `https://index.docker.io/v1/` (Docker Hub) when not given, else a host[:port] or URL. */
  server?: string;
  username: string;
  password: string;
  signal?: AbortSignal;
}

export interface LoginResult {
  status: 'Login Succeeded';
  /** A refresh token the token server handed out, when it did (kept instead of the password). */
  identityToken?: string;
}
