// The three kinds of build step (chapter 5), each ending in a new image whose parent is the
// image before it — the classic builder's chain, which is also its cache:
//
//   metadata   ENV, CMD, LABEL, WORKDIR, …    a new config over the same layers, no container;
//                                            its history line says empty_layer
//   run        RUN                            a container of the parent image runs the command
//                                            (chapter 3), its changes become one layer (chapter 2)
//   copy       COPY, ADD                      a container of the parent image gets the files
//                                            (a tar into its root), its changes become one layer
//
// RUN and COPY both go through a real container, as dockerd's classic builder does: the files a
// step changes are exactly what the union filesystem's upper directory collected.
import type { Readable } from 'node:stream';
import { EngineError, invalid } from '../base/index.js';
import type { ContainerConfig, Digest, HistoryEntry, Image, ImageConfig, ImageStore } from '../layers/index.js';
import { readLog, type LogEntry, type Runtime } from '../namespaces/index.js';
import type { Span } from '../trace/index.js';
import type { ContainerFs } from '../unionfs/index.js';

/** What the builder needs of the daemon. */
export interface BuildEngine {
  images: ImageStore;
  containers: ContainerFs;
  runtime: Runtime;
  /** Removes a container with its runtime state and anonymous volumes (the daemon's `rm -v`). */
  removeContainer(id: string): Promise<void>;
}

/** An image for `FROM scratch`: no layers, the daemon's platform. */
export async function scratchImage(e: BuildEngine, platform: { os: string; architecture: string; variant?: string }): Promise<Image> {
  const config: ImageConfig = { ...platform, rootfs: { type: 'layers', diff_ids: [] }, config: {}, history: [] };
  return e.images.addImage({ config, layers: [] });
}

// #region metadata
/** A new image: `parent` with `config` and one more history line, no new layer. */
export async function metadataStep(e: BuildEngine, a: { parent: Image; config: ContainerConfig; createdBy: string; author?: string; span?: Span }): Promise<Image> {
  const p = a.parent.config;
  const created = new Date().toISOString();
  const history: HistoryEntry = { created, created_by: a.createdBy, ...(a.author ? { author: a.author } : {}), empty_layer: true };
  const config: ImageConfig = {
    ...p, created, config: a.config, ...(a.author ? { author: a.author } : {}),
    rootfs: { type: 'layers', diff_ids: p.rootfs.diff_ids },
    history: [...(p.history ?? []), history],
  };
  delete config.container; // a metadata step ran no container
  return e.images.addImage({ config, layers: a.parent.layers, manifestMediaType: a.parent.manifestMediaType, parent: a.parent.id, span: a.span });
}
// #endregion metadata

/**
 * overlayfs stacks at most so many lower directories, and Docker refuses the 128th layer: a RUN
 * or COPY on an image of 127 layers fails before anything runs.
 */
export const MAX_LAYERS = 127;

function checkDepth(parent: Image): void {
  if (parent.layers.length < MAX_LAYERS) return;
  throw invalid('BUILD_MAX_DEPTH', `max depth exceeded: the image has ${parent.layers.length} layers, and an image can have at most ${MAX_LAYERS} (each RUN, COPY and ADD adds one; join RUN commands with && to use fewer)`, { layers: parent.layers.length, max: MAX_LAYERS });
}

/** A step's command failed: the classic builder's message, and its exit status as the code. */
export class StepFailed extends EngineError {
  constructor(readonly command: string, readonly exitCode: number) {
    super({ code: 'BUILD_STEP_FAILED', kind: 'failed-precondition', message: `The command '${command}' returned a non-zero code: ${exitCode}`, data: { command, exitCode } });
  }
}

// #region run
/**
 * RUN: `argv` in a container of `parent` with the build's environment; its output handed to
 * `onOutput` as it is written; committed with `config` (the image's, not the command's) and the
 * history line `createdBy`. The container is removed after a success; after a failure it stays
 * unless `forceRm` (dockerd's --rm and --force-rm). With `defer`, a successful step's removal
 * is handed over instead of awaited: the next step need not wait for the network to be torn down.
 */
export async function runStep(e: BuildEngine, a: {
  parent: Image; argv: string[]; env: string[]; config: ContainerConfig; createdBy: string; author?: string; network?: string;
  forceRm?: boolean; onContainer?: (id: string) => void; onOutput?: (entry: LogEntry) => void;
  defer?: (removal: Promise<void>) => void; span?: Span;
}): Promise<Image> {
  checkDepth(a.parent);
  const c = await e.containers.create({
    request: {
      Image: a.parent.id,
      // The command is the whole argv: no ENTRYPOINT of the image runs under a RUN.
      Entrypoint: a.argv.slice(0, 1), Cmd: a.argv.slice(1),
      Env: a.env, WorkingDir: a.config.WorkingDir ?? '', User: a.config.User ?? '',
      HostConfig: { NetworkMode: a.network ?? 'default' },
    },
    span: a.span,
  });
  a.onContainer?.(c.Id);
  let ok = false;
  try {
    // The exit as the supervisor sees it ('die'): the files are final from then on, so the commit
    // need not wait for the runtime to release the network, cgroup and mount — that goes on
    // beside it (the full wait is the fallback, should the event be missed).
    let off = () => {};
    const died = new Promise<number>((resolve) => {
      off = e.runtime.on((ev) => {
        if (ev.action === 'die' && ev.id === c.Id) resolve(ev.exitCode ?? -1);
      });
    });
    const exited = e.runtime.wait(c.Id, 'next-exit').then((w) => w.StatusCode);
    let StatusCode: number;
    try {
      await e.runtime.start(c, a.span);
      for await (const entry of readLog({ path: e.runtime.logPath(c.Id), follow: true })) a.onOutput?.(entry);
      StatusCode = await Promise.race([died, exited]);
    } finally {
      off();
    }
    if (StatusCode !== 0) throw new StepFailed(a.argv.join(' '), StatusCode);
    const image = await e.containers.commit({ container: c.Id, imageConfig: a.config, createdBy: a.createdBy, ...(a.author ? { author: a.author } : {}), span: a.span });
    ok = true;
    return image;
  } finally {
    if (ok && a.defer) a.defer(e.removeContainer(c.Id));
    else if (ok || a.forceRm) await e.removeContainer(c.Id);
  }
}
// #endregion run

// #region copy
/** COPY and ADD: `files` (a tar, paths from `/`) into a container of `parent`, committed. */
export async function copyStep(e: BuildEngine, a: { parent: Image; files: Readable; config: ContainerConfig; createdBy: string; author?: string; span?: Span }): Promise<Image> {
  checkDepth(a.parent);
  // The container never runs; it is the place the files land in, with the parent's layers below.
  const c = await e.containers.create({ request: { Image: a.parent.id, Entrypoint: ['#(nop)'], Cmd: [a.createdBy] }, span: a.span });
  try {
    await e.containers.extract({ container: c.Id, path: '/', input: a.files, noOverwriteDirNonDir: false, span: a.span });
    return await e.containers.commit({ container: c.Id, imageConfig: a.config, createdBy: a.createdBy, ...(a.author ? { author: a.author } : {}), span: a.span });
  } finally {
    await e.removeContainer(c.Id);
  }
}
// #endregion copy

/** The image `ref` names in the store, or undefined (a cache entry whose image was removed, a FROM to pull). */
export async function imageIfThere(images: ImageStore, ref: string): Promise<Image | undefined> {
  return images.resolve(ref).catch((err: { code?: string }) => {
    if (err.code === 'IMAGE_NOT_FOUND') return undefined;
    throw err;
  });
}
