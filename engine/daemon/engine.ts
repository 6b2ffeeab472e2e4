// What a request handler can reach: the stores the daemon built over its data root, the
// tracer, and the facts about this daemon. The daemon is the only place these are constructed
// (STYLE.md habit 4); routes receive them, they never make their own.
import type { ContentStore, ImageStore } from '../layers/index.js';
import type { StreamSink, Tracer } from '../trace/index.js';
import type { ContainerFs, Snapshotter } from '../unionfs/index.js';
import type { VolumeStore } from '../namespaces/index.js';
import type { NetworkStore, Runtime } from '../namespaces/index.js';
import type { RegistryClient } from '../registry/index.js';
import type { Execs } from './execs.js';
import type { RegistrySettings } from './registry-settings.js';
import type { GcLock } from './gc-lock.js';

export interface DaemonEngine {
  content: ContentStore;
  images: ImageStore;
  /** Chapter 2: layers unpacked as snapshots (overlay or copy), under <data-root>/snapshots-root. */
  snapshotter: Snapshotter;
  /** Chapter 2: container records and their filesystem verbs, under <data-root>/containers. */
  containers: ContainerFs;
  /** Chapter 3: named and anonymous volumes, under <data-root>/volumes. */
  volumes: VolumeStore;
  /** Chapter 3: networks (bridge, host, none, user ones) and their endpoints, under <data-root>/network. */
  networks: NetworkStore;
  /** Chapter 3: starts containers and folds their exits back into their records (state under <data-root>/run). */
  runtime: Runtime;
  /** Chapter 3: exec instances (`docker exec`), in memory. */
  execs: Execs;
  /**
   * Chapter 4: pull, push and login against registries. The daemon keeps no credentials: each
   * request brings its own (X-Registry-Auth), as dockerd's clients send them.
   */
  registry: RegistryClient;
  /** `--insecure-registry` and `--registry-mirror`, as checked at start (shown by `GET /info`). */
  registrySettings: RegistrySettings;
  tracer: Tracer;
  /** Live trace events, for `GET /dockling/trace`. */
  traceStream: StreamSink;
  /** `--data-root`: content/, tmp/, trace/ live under it. */
  dataRoot: string;
  /** Scratch space on the same filesystem as the store (renames stay atomic). */
  tmpRoot: string;
  /** A stable identity for `docker info`'s ID, kept in <data-root>/engine-id. */
  id: string;
  /** Dockling's version (package.json). */
  version: string;
  /** When this build was made, for `docker version`'s "Built". */
  buildTime: string;
  /** Held shared by requests that write images and snapshots, exclusive by prune and rmi (gc-lock.ts). */
  gc: GcLock;
}
