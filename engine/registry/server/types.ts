// The vocabulary of `dockling registry` (chapter 4, the server half): the options that start
// one, the handle a caller gets back, and the layout of its data root. The server implements
// the OCI distribution spec (v1.1): blobs, uploads, manifests, tags, the catalog and referrers.
//
// A push and a pull, as a client sees it (every path is under /v2/):
//
//   POST   /v2/workshop/app/blobs/uploads/               → 202, Location: …/uploads/<uuid>
//   PATCH  /v2/workshop/app/blobs/uploads/<uuid>          (Content-Range: 0-1023, 1 KiB) → 202, Range: 0-1023
//   PUT    /v2/workshop/app/blobs/uploads/<uuid>?digest=sha256:…  → 201: the layer is a blob now
//   …the same for the config…
//   PUT    /v2/workshop/app/manifests/v1   (Content-Type: application/vnd.oci.image.manifest.v1+json)
//                                                        → 201, Docker-Content-Digest: sha256:…
//   GET    /v2/workshop/app/manifests/v1                  → the manifest's bytes, exactly as pushed
//   GET    /v2/workshop/app/blobs/sha256:…                → each layer, streamed from disk
//
// And on disk, under the data root (one place knows these paths: layout.ts):
//
//   blobs/sha256/<hex>                          every blob and manifest, named by its digest
//   repositories/workshop/app/_blobs/<hex>      "this repository may serve this blob" (a link)
//   repositories/workshop/app/_manifests/<hex>  a manifest revision: its media type and facts
//   repositories/workshop/app/_tags/v1          the digest the tag points at
//   repositories/workshop/app/_referrers/<subject hex>/<hex>  a manifest whose subject is <subject>
//   uploads/<uuid>/{info.json,data}             uploads in progress, never visible as blobs
//   registry.pid                                who is using this data root
import type { Tracer } from '../../trace/index.js';

export interface RegistryOptions {
  /** Where blobs, repositories and uploads live; made if missing. */
  dataRoot: string;
  /** `HOST:PORT` (`127.0.0.1:5000`, `:5000` for every interface, port 0 for any free port). */
  listen?: string;
  /** An htpasswd file of bcrypt entries: when given, every request must carry credentials. */
  htpasswd?: string;
  /**
   * How clients prove who they are (needs `htpasswd`): `basic` (the default) sends the password
   * with every request; `token` trades it once for a signed token good for a scope, at the
   * token service this registry serves at /auth/token.
   */
  auth?: 'basic' | 'token';
  /** The realm named in the Basic `WWW-Authenticate` challenge. */
  realm?: string;
  /** Settings of token authentication (`auth: 'token'`). */
  token?: TokenOptions;
  /** Refuse every write (405 UNSUPPORTED), as a registry under maintenance does. */
  readOnly?: boolean;
  /**
   * Serve HTTPS with this certificate and its private key (PEM files; the certificate file may
   * carry the chain after the leaf). Without it the registry speaks plain HTTP, which Docker
   * accepts only from registries it is told are insecure (or on loopback).
   */
  tls?: { cert: string; key: string };
  /** Be a pull-through cache of another registry instead of a registry one pushes to. */
  proxy?: ProxyOptions;
  /** Where trace events go; silent when absent. */
  tracer?: Tracer;
  /** Where internal errors (5xx) are reported; stderr when absent. */
  log?: (line: string) => void;
}

export interface TokenOptions {
  /**
   * The token service's URL, named as the realm in challenges. By default it is /auth/token on
   * the address the client used (its Host header), which is right unless a proxy in front of
   * the registry changes that address.
   */
  realm?: string;
  /** The registry's name in challenges and in tokens' `aud` (default `dockling-registry`). */
  service?: string;
  /** How long a token is good for, in seconds (default 300, at most 86400). */
  ttlSeconds?: number;
  /** A file of who-may-do-what rules (access-rules.ts); without it every user may do everything. */
  accessFile?: string;
  /** A P-256 private key (PEM) to sign tokens with; without it a new key is made at start. */
  keyFile?: string;
}

export interface ProxyOptions {
  /** The upstream registry's base URL: `https://registry-1.docker.io`, `http://127.0.0.1:5001`. */
  url: string;
  username?: string;
  password?: string;
  /**
   * How long a tag's answer from upstream is trusted before upstream is asked again (default
   * 60 s). A room of learners pulling the same tag at once asks upstream once, not thirty times.
   */
  tagTtlMs?: number;
}

/** A running registry: where it listens and how to stop it. */
export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` (`https://…` with TLS): the base URL a client on this machine uses. */
  url: string;
  port: number;
  /** Stops accepting connections, ends open ones, and releases the data root. */
  close(): Promise<void>;
}

/** What a manifest revision records beside its bytes: enough to answer HEAD and referrers. */
export interface ManifestInfo {
  mediaType: string;
  size: number;
  /** OCI 1.1: the artifact's type (the manifest's artifactType, else its config's media type). */
  artifactType?: string;
  annotations?: Record<string, string>;
  /** OCI 1.1: the manifest this one refers to (a signature, an SBOM …). */
  subject?: string;
}

export interface GcOptions {
  dataRoot: string;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
  /** Uploads untouched for this long are abandoned and removed (default 24 hours). */
  uploadMaxAgeMs?: number;
  tracer?: Tracer;
}

export interface GcResult {
  /** Blobs reachable from a manifest revision (the manifests themselves included). */
  marked: number;
  /** Blobs removed (or, with dryRun, that would be). */
  removed: string[];
  /** Their total size in bytes. */
  freedBytes: number;
  /** Abandoned uploads removed. */
  uploadsRemoved: number;
  dryRun: boolean;
}
