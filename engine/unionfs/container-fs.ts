// Containers as filesystem objects, chapter 2: a container is, so far, an image's layers with
// one empty read-write snapshot on top, and a record saying so. Every verb of the chapter is a
// short recipe over the snapshotter (which describes mounts), the mount executor, and chapter
// 1's stores:
//   create  image → unpack its layers as committed snapshots → the init layer (init-layer.ts)
//           → prepare(rw, init) → record
//   diff    what the rw snapshot holds, as Docker's A/C/D list
//   commit  the rw snapshot packed as a layer → the image's config + overrides + history → image
//   export  the merged root, mounted for a moment, as one tar
//   cp      one path of the merged root out as a tar, or a tar into a directory of it
//   rm      remove the rw and init snapshots and the record (the image's layers stay for others)
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { applyChange, familiarName, packLayer, parseReference, type ContainerConfig, type ContentStore, type Digest, type HistoryEntry, type Image, type ImageConfig, type ImageStore, type LayerInfo } from '../layers/index.js';
import { EngineError, KeyedMutex, conflict, invalid, notFound } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import type { Snapshotter } from './types.js';
import { ContainerStore, ZERO_TIME, type ContainerRecord, type ContainerRecordConfig } from './container-store.js';
import { archivePath, extractToPath, statPath, type PathStat } from './path-archive.js';
import { unpackImage } from './unpack-image.js';
import { changes } from './changes.js';
import { packChanges } from './pack-changes.js';
import { withMounted } from './mount.js';
import { initSnapshotName, prepareInitLayer } from './init-layer.js';
import { imageUnionView, type UnionView } from './union-view.js';
import { CONTAINER_LABEL, reclaimSnapshots, type Reclaimed } from './reclaim.js';

/** Docker's Kind numbers for `GET /containers/{id}/changes`. */
export const CHANGE_KIND = { C: 0, A: 1, D: 2 } as const;

/** The diffID of an empty layer (a tar of only its two zero end blocks): Docker marks such a commit `empty_layer`. */
export const EMPTY_LAYER_DIFFID: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** The part of a create request Dockling reads: Config fields at the top, HostConfig beside them. */
export interface CreateRequest extends Partial<Omit<ContainerRecordConfig, 'Image'>> {
  Image?: string;
  HostConfig?: Record<string, unknown>;
  NetworkingConfig?: unknown;
}

export interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  author?: string;
  comment?: string;
  /** `--change` lines (Dockerfile instructions). */
  changes?: string[];
  /** The request body: Config fields that replace the container's. */
  config?: Partial<ContainerConfig>;
  /**
   * The new image's config exactly, instead of one made from the container's (a build step: a
   * RUN's command is not the image's Cmd); `config` and `changes` are then not used.
   */
  imageConfig?: ContainerConfig;
  /** The history line; the container's command when absent (what `docker commit` records). */
  createdBy?: string;
  span?: Span;
}

const nonEmpty = <T>(v: T[] | null | undefined): v is T[] => Array.isArray(v) && v.length > 0;

// #region merge-config
/** The image's defaults under the request, field by field, the way `docker create` merges them. */
export function mergeConfig(id: string, image: ContainerConfig, req: CreateRequest, imageRef: string): ContainerRecordConfig {
  const env = new Map<string, string>();
  for (const e of [...(image.Env ?? []), ...(req.Env ?? [])]) env.set(e.split('=')[0]!, e);
  // A new entrypoint drops the image's Cmd (it was written for the old one).
  const entrypoint = nonEmpty(req.Entrypoint) ? req.Entrypoint : image.Entrypoint ?? null;
  const cmd = nonEmpty(req.Cmd) ? req.Cmd : nonEmpty(req.Entrypoint) ? null : image.Cmd ?? null;
  const merged: ContainerRecordConfig = {
    Hostname: req.Hostname || id.slice(0, 12),
    Domainname: req.Domainname ?? '',
    User: req.User || image.User || '',
    AttachStdin: req.AttachStdin ?? false,
    AttachStdout: req.AttachStdout ?? false,
    AttachStderr: req.AttachStderr ?? false,
    Tty: req.Tty ?? false,
    OpenStdin: req.OpenStdin ?? false,
    StdinOnce: req.StdinOnce ?? false,
    Env: [...env.values()],
    Cmd: cmd,
    Image: imageRef,
    Volumes: { ...(image.Volumes ?? {}), ...(req.Volumes ?? {}) },
    WorkingDir: req.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(req.Labels ?? {}) },
  };
  const ports = { ...(image.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) };
  if (Object.keys(ports).length) merged.ExposedPorts = ports;
  const stop = req.StopSignal || image.StopSignal;
  if (stop) merged.StopSignal = stop;
  if (image.Healthcheck || req.Healthcheck) merged.Healthcheck = req.Healthcheck ?? image.Healthcheck;
  return merged;
}
// #endregion merge-config

/** What a committed image keeps of a container's Config: the runtime defaults, not attach/tty state. */
function imageDefaults(c: ContainerRecordConfig): ContainerConfig {
  const out: ContainerConfig = {
    User: c.User, Env: c.Env, Cmd: c.Cmd, Entrypoint: c.Entrypoint, WorkingDir: c.WorkingDir,
    Labels: c.Labels, Volumes: c.Volumes, OnBuild: c.OnBuild,
  };
  if (c.ExposedPorts) out.ExposedPorts = c.ExposedPorts;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  return out;
}

export class ContainerFs {
  readonly store: ContainerStore;
  private readonly snapshotter: Snapshotter;
  private readonly images: ImageStore;
  private readonly content: ContentStore;
  private readonly tracer: Tracer;
  private readonly tmpRoot: string;
  /** One mount of a container's root at a time: see withRoot. */
  private readonly rootMounts = new KeyedMutex();

  constructor(args: { root: string; snapshotter: Snapshotter; images: ImageStore; content: ContentStore; tracer: Tracer; tmpRoot: string }) {
    this.store = new ContainerStore(args.root);
    this.snapshotter = args.snapshotter;
    this.images = args.images;
    this.content = args.content;
    this.tracer = args.tracer;
    this.tmpRoot = args.tmpRoot;
  }

  get driver(): 'overlay' | 'copy' {
    return this.snapshotter.driver;
  }

  list(): Promise<ContainerRecord[]> {
    return this.store.list();
  }

  get(idOrName: string): Promise<ContainerRecord> {
    return this.store.get(idOrName);
  }

  /** Docker says `No such image: busybox:latest` — the name as it would pull it. */
  private async resolveImage(ref: string): Promise<Image> {
    try {
      return await this.images.resolve(ref);
    } catch (err) {
      if (!(err instanceof EngineError) || err.kind !== 'not-found') throw err;
      let shown = ref;
      try {
        shown = familiarName(parseReference(ref));
      } catch {
        // an ID prefix or something unparsable: shown as given
      }
      throw notFound('IMAGE_NOT_FOUND', `No such image: ${shown}`, { ref });
    }
  }

  // #region create
  async create(args: { name?: string; request: CreateRequest; span?: Span }): Promise<ContainerRecord> {
    const req = args.request;
    return this.tracer.span({ chapter: 'unionfs', op: 'container.create', parent: args.span, data: { image: req.Image ?? null, name: args.name ?? null } }, async (span) => {
      if (!req.Image) throw invalid('CONTAINER_NO_IMAGE', 'Config.Image is required: which image should the container start from?', {});
      // 1. the image, by whatever name the user gave
      const image = await this.resolveImage(req.Image);
      return this.store.create({
        name: args.name,
        build: async (id, name) => {
          // 2. its config under the request's, and a command to run
          const config = mergeConfig(id, image.config.config ?? {}, req, req.Image!);
          const command = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
          if (command.length === 0) throw invalid('CONTAINER_NO_COMMAND', 'no command specified', { image: image.id });
          // 3. the layers as committed snapshots (shared with every other container of the image)
          const top = await unpackImage({ image, content: this.content, snapshotter: this.snapshotter, span });
          // 4. the init layer: the runtime's mount points, kept out of what the container changes
          const labels = { [CONTAINER_LABEL]: id };
          const init = await prepareInitLayer({ snapshotter: this.snapshotter, id, parent: top, tmpRoot: this.tmpRoot, labels, span });
          // 5. the container's own read-write snapshot on top
          const key = `ctr-${id}`;
          const plan = await this.snapshotter.prepare(key, init, { labels, span }).catch(async (err: unknown) => {
            await this.snapshotter.remove(init, { span }).catch(() => {});
            throw err;
          });
          span.event('container.snapshot', { id, key, parent: top ?? null, init, driver: plan.driver, layers: plan.layers, upper: plan.upper ?? null });
          return {
            Id: id, Created: new Date().toISOString(), Path: command[0]!, Args: command.slice(1),
            State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
            Image: image.id, Name: name, Driver: this.snapshotter.driver, Platform: 'linux',
            Config: config, HostConfig: req.HostConfig ?? {}, SnapshotKey: key, SnapshotParent: init,
          };
        },
      });
    });
  }
  // #endregion create

  async diff(ref: string, span?: Span): Promise<Array<{ Path: string; Kind: number }>> {
    const c = await this.store.get(ref);
    const list = await changes({ snapshotter: this.snapshotter, key: c.SnapshotKey, span });
    return list.map((ch) => ({ Path: ch.path, Kind: CHANGE_KIND[ch.kind] }));
  }

  // #region commit
  async commit(opts: CommitOptions): Promise<Image> {
    const c = await this.store.get(opts.container);
    return this.tracer.span({ chapter: 'unionfs', op: 'container.commit', parent: opts.span, data: { id: c.Id, repo: opts.repo ?? null, tag: opts.tag ?? null } }, async (span) => {
      // 1. the new defaults first: a bad --change line fails before any byte is stored
      let defaults = opts.imageConfig ? { ...opts.imageConfig } : imageDefaults(c.Config);
      if (!opts.imageConfig) {
        for (const [k, v] of Object.entries(opts.config ?? {})) {
          if (v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) (defaults as Record<string, unknown>)[k] = v;
        }
        defaults = (opts.changes ?? []).reduce(applyChange, defaults);
      }
      const name = opts.repo ? (opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
      if (name) parseReference(name); // refuse a bad name before packing, too
      // 2. the read-write layer, packed and stored in one stream (never held in memory)
      const layer = await this.packLayerOf(c, span);
      // 3. the parent image's config, extended
      const parent = await this.images.resolve(c.Image);
      const created = new Date().toISOString();
      const empty = layer.diffID === EMPTY_LAYER_DIFFID;
      const history: HistoryEntry = { created, created_by: opts.createdBy ?? (c.Config.Cmd ?? []).join(' '), ...(opts.author ? { author: opts.author } : {}), ...(opts.comment ? { comment: opts.comment } : {}), ...(empty ? { empty_layer: true } : {}) };
      const p = parent.config;
      const config: ImageConfig = {
        architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}),
        created, ...(opts.author ? { author: opts.author } : {}),
        config: defaults,
        container: c.Id,
        rootfs: { type: 'layers', diff_ids: empty ? p.rootfs.diff_ids : [...p.rootfs.diff_ids, layer.diffID] },
        history: [...(p.history ?? []), history],
      };
      const layers: LayerInfo[] = empty ? parent.layers : [...parent.layers, layer];
      // The image it came from is its parent, as `docker inspect` shows for a committed image.
      const image = await this.images.addImage({ config, layers, names: name ? [name] : [], manifestMediaType: parent.manifestMediaType, parent: parent.id, span });
      span.event('container.committed', { id: c.Id, image: image.id, diffID: layer.diffID, size: layer.size, empty });
      return image;
    });
  }
  // #endregion commit

  /** packChanges writes the tar (gzip) into a pipe the content store reads from as it comes. */
  private async packLayerOf(c: ContainerRecord, span: Span): Promise<LayerInfo> {
    const pipe = new PassThrough();
    const packing = packChanges({ snapshotter: this.snapshotter, key: c.SnapshotKey, out: pipe, compression: 'gzip', span }).catch((err: unknown) => {
      pipe.destroy(err as Error);
      throw err;
    });
    const [layer] = await Promise.all([this.images.ingestLayer(pipe, { span }), packing]);
    return layer;
  }

  /**
   * Runs `fn` with the container's merged root mounted at a temporary directory. One at a time
   * per container: two overlay mounts may not share an upperdir and workdir — the second fails
   * with EBUSY ("workdir is in-use by another mount") — so a second `cp` or `export` of the same
   * container waits for the first instead of failing.
   */
  private async withRoot<T>(c: ContainerRecord, span: Span | undefined, fn: (root: string) => Promise<T>): Promise<T> {
    return this.rootMounts.run(c.Id, async () => {
      const plan = await this.snapshotter.mounts(c.SnapshotKey);
      return withMounted({ plan, tmpRoot: this.tmpRoot, span }, fn);
    });
  }

  // #region export
  /** `docker export`: the merged root as one plain tar, written to `out`. */
  async export(args: { container: string; out: Writable; span?: Span; onStart?: () => void }): Promise<void> {
    const c = await this.store.get(args.container);
    await this.tracer.span({ chapter: 'unionfs', op: 'container.export', parent: args.span, data: { id: c.Id } }, (span) =>
      this.withRoot(c, span, async (root) => {
        args.onStart?.();
        const r = await packLayer({ root, compression: 'none', out: args.out, span });
        span.event('container.exported', { id: c.Id, files: r.files, bytes: r.uncompressedSize });
      }),
    );
  }
  // #endregion export

  /** HEAD /containers/{id}/archive: what is at `path` in the container. */
  async statPath(args: { container: string; path: string; span?: Span }): Promise<PathStat> {
    const c = await this.store.get(args.container);
    return this.withRoot(c, args.span, async (root) => statPath({ root, path: args.path, container: args.container }).stat);
  }

  /** GET /containers/{id}/archive: `onStat` is called before the first byte (the header goes first). */
  async archive(args: { container: string; path: string; out: Writable; onStat: (stat: PathStat) => void; span?: Span }): Promise<void> {
    const c = await this.store.get(args.container);
    await this.tracer.span({ chapter: 'unionfs', op: 'container.cp.out', parent: args.span, data: { id: c.Id, path: args.path } }, (span) =>
      this.withRoot(c, span, async (root) => {
        args.onStat(statPath({ root, path: args.path, container: args.container }).stat);
        await archivePath({ root, path: args.path, container: args.container, out: args.out, span });
      }),
    );
  }

  /** PUT /containers/{id}/archive: a tar extracted into the directory `path`. */
  async extract(args: { container: string; path: string; input: Readable; noOverwriteDirNonDir: boolean; span?: Span }): Promise<void> {
    const c = await this.store.get(args.container);
    await this.tracer.span({ chapter: 'unionfs', op: 'container.cp.in', parent: args.span, data: { id: c.Id, path: args.path } }, (span) =>
      this.withRoot(c, span, (root) =>
        extractToPath({ root, path: args.path, container: args.container, input: args.input, tmpRoot: this.tmpRoot, noOverwriteDirNonDir: args.noOverwriteDirNonDir, span }),
      ),
    );
  }

  // #region remove
  /**
   * `docker rm`, in an order a crash cannot tear: the record is first marked 'removing' (what
   * Docker shows as "Removal In Progress"), then the read-write snapshot and the init one under
   * it go, then the record. A daemon killed in between leaves a record marked 'removing', which
   * the next start finishes (finishRemovals) — never a container whose snapshot is gone. The
   * image's layers stay.
   */
  async remove(args: { container: string; force?: boolean; span?: Span }): Promise<void> {
    const c = await this.store.get(args.container);
    await this.tracer.span({ chapter: 'unionfs', op: 'container.remove', parent: args.span, data: { id: c.Id, force: !!args.force } }, async (span) => {
      if (c.State.Running && !args.force) {
        throw conflict('CONTAINER_RUNNING', `cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, { id: c.Id });
      }
      await this.store.save({ ...c, State: { ...c.State, Status: 'removing' } });
      try {
        await this.removeSnapshots(c, span);
      } catch (err) {
        await this.store.save(c); // still whole (a snapshot still mounted, say): as it was
        throw err;
      }
      await this.store.delete(c.Id);
      span.event('container.removed', { id: c.Id, name: c.Name });
    });
  }

  /** The read-write snapshot, then the init one under it (a container made before init layers has none). */
  private async removeSnapshots(c: ContainerRecord, span: Span): Promise<void> {
    for (const key of [c.SnapshotKey, initSnapshotName(c.Id)]) {
      try {
        await this.snapshotter.remove(key, { span });
      } catch (err) {
        if (!(err instanceof EngineError && err.code === 'SNAPSHOT_NOT_FOUND')) throw err;
        if (key === c.SnapshotKey) span.event('snapshot.missing', { key });
      }
    }
  }

  /** At daemon start: the removals a killed daemon left half done (records marked 'removing'), finished. */
  async finishRemovals(): Promise<string[]> {
    const done: string[] = [];
    for (const c of await this.store.list()) {
      if (c.State.Status !== 'removing') continue;
      await this.tracer.span({ chapter: 'unionfs', op: 'container.remove', data: { id: c.Id, resumed: true } }, async (span) => {
        await this.removeSnapshots(c, span);
        await this.store.delete(c.Id);
      });
      done.push(c.Id);
    }
    return done;
  }
  /**
   * At daemon start, after finishRemovals: the snapshots killed operations left that no
   * container owns, and directories no record names (reclaim.ts).
   */
  async reclaimSnapshots(root: string): Promise<Reclaimed> {
    const owned = new Set<string>();
    for (const c of await this.store.list()) {
      owned.add(c.SnapshotKey);
      if (c.SnapshotParent !== undefined) owned.add(c.SnapshotParent);
    }
    return this.tracer.span({ chapter: 'unionfs', op: 'snapshot.reclaim', data: { root } }, (span) =>
      reclaimSnapshots({ root, snapshotter: this.snapshotter, owned, span }));
  }
  // #endregion remove

  /**
   * The union view of a container: its image's layers with its read-write layer on top. The
   * read-write layer is packed (as `commit` would) into a pipe the view reads as it goes, so
   * nothing is written to disk.
   */
  async unionView(args: { container: string; span?: Span }): Promise<UnionView> {
    const c = await this.store.get(args.container);
    const tar = new PassThrough();
    const packing = packChanges({ snapshotter: this.snapshotter, key: c.SnapshotKey, out: tar, compression: 'none', span: args.span });
    const viewing = imageUnionView({
      images: this.images, content: this.content, ref: c.Image, tracer: this.tracer, parent: args.span,
      extra: { label: `${c.Name.slice(1)} (read-write)`, tar, container: c.Id },
    });
    // If either side fails, end the pipe so the other does not wait on it forever.
    const [view] = await Promise.all([
      viewing.catch((err) => { tar.destroy(); throw err; }),
      packing.catch((err) => { tar.destroy(err as Error); throw err; }),
    ]);
    return view;
  }

  /** For `rmi`: the containers created from `imageId`. */
  usersOf(imageId: Digest): Promise<string[]> {
    return this.store.usersOf(imageId);
  }
}
