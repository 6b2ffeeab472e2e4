// Chapter 1's vocabulary: blobs named by their sha256, layers (tar change sets), and images
// (a manifest naming a config and a list of layers). The formats are the OCI image spec's
// (image-spec v1.1: descriptor.md, manifest.md, image-index.md, config.md, layer.md) and
// Docker's image manifest v2 schema 2, which is the same shape with other media types.
//
// An image's life in the store, as `dockling load` then `dockling rmi` see it:
//   1. each layer tar is written to the content store as a blob: its *digest* is the sha256 of
//      the bytes stored (maybe gzip), its *diffID* the sha256 of the uncompressed tar;
//   2. the config (JSON, listing the diffIDs in `rootfs.diff_ids`) is written as a blob; its
//      digest is the image ID;
//   3. a manifest (config descriptor + layer descriptors, by digest) is written as a blob;
//   4. index.json gets an entry pointing at the manifest, annotated with the image's name, so
//      `skopeo`/`umoci` can read the store as an OCI image layout;
//   5. `rmi` removes the index entry, then every blob no other image references.

/** `sha256:` followed by 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** OCI descriptor: what a manifest or an index says about a blob it points to. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

/** The runtime defaults an image carries (OCI config `config` field; Docker's names). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True for steps that changed only metadata and have no layer. */
  empty_layer?: boolean;
}

/** OCI image configuration (config.md); Docker's is the same JSON with a few extra fields. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  /** Docker keeps these; we keep whatever a config had so its digest (the image ID) never changes. */
  [extra: string]: unknown;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A parsed image reference, normalised the way Docker does (`busybox` → docker.io/library/busybox:latest). */
export interface Reference {
  /** Registry host, with port if any: `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

/** What the store knows about one layer blob. */
export interface LayerInfo {
  /** sha256 of the blob as stored (gzip or plain tar). */
  digest: Digest;
  /** sha256 of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  diffID: Digest;
  /** Stored size in bytes. */
  size: number;
  /** Size of the uncompressed tar in bytes. */
  uncompressedSize: number;
  mediaType: string;
}

/** An image as the rest of the engine sees it. */
export interface Image {
  /** The config's digest: Docker's image ID. */
  id: Digest;
  manifestDigest: Digest;
  manifestMediaType: string;
  /** Full normalised names, `docker.io/library/busybox:latest`; empty for a dangling image. */
  names: string[];
  /** `name@sha256:…` digests known from a registry (filled by chapter 4). */
  repoDigests: string[];
  config: ImageConfig;
  manifest: Manifest;
  layers: LayerInfo[];
  /** Sum of the uncompressed layer sizes. */
  size: number;
  /** The image it was built on (a build step's result; image-parents.ts). */
  parent?: Digest;
}

/** Result of packing or unpacking one layer: the two digests kept straight. */
export interface LayerDigests {
  digest: Digest;
  diffID: Digest;
  size: number;
  uncompressedSize: number;
}
