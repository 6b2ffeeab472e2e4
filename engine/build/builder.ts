// The classic builder (chapter 5): a Dockerfile, read into stages, each instruction one step on
// top of the image the step before made. For every step:
//
//   Step 4/7 : RUN make                    printed first
//   1. expand its arguments (substitute.ts) against the environment before this instruction;
//   2. say what it will record in the image's history (`/bin/sh -c make`) — with the parent
//      image that is the cache key (build-cache.ts): a hit reuses the image the step made before
//      ( ---> Using cache);
//   3. else do it (steps.ts): a new config (ENV, CMD, …), a command in a container (RUN), or
//      files into one (COPY, ADD) — each ends in a child image of the last ( ---> 3f2a…);
//   4. that image is where the next step starts.
// The last stage's image (or --target's) gets the tags. Stages before it are built in order, as
// the classic builder does; `COPY --from` reads a stage's or an image's files.
import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { invalid } from '../base/index.js';
import { platformString, shortId, type ContainerConfig, type ContentStore, type Image, type Platform } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import { unpackImage, withMounted, type Snapshotter } from '../unionfs/index.js';
import type { BuildCache, CacheKey } from './build-cache.js';
import { resolveCopySources } from './copy-sources.js';
import { writeCopyTar } from './copy-tar.js';
import { DEFAULT_SHELL, nop, planInstruction, type BuildScope } from './dispatch.js';
import { parseDockerfile, parseTrigger } from './dockerfile.js';
import { copyStep, imageIfThere, metadataStep, runStep, scratchImage, type BuildEngine } from './steps.js';
import { expandArgs, expandWord } from './substitute.js';
import type { EscapeChar, Instruction, Stage } from './types.js';

/** What the build stream carries (Docker's JSON messages): build text, pull progress, the ID. */
export interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID: string };
}

export interface BuildRequest {
  /** The build context, unpacked (context-unpack.ts). */
  contextDir: string;
  /** The Dockerfile: its name (for messages) and text, read from the context (readContextDockerfile). */
  dockerfile: { name: string; text: string };
  tags: string[];
  /** --build-arg: a null value is "take it from the environment" (the CLI resolved it already). */
  buildArgs: Record<string, string | null>;
  /** --label: added to the final image. */
  labels: Record<string, string>;
  noCache: boolean;
  target?: string;
  quiet: boolean;
  /** Remove a RUN's container after a failure too (--force-rm). */
  forceRm: boolean;
  /** RUN's network (--network): the daemon's default bridge unless told. */
  network?: string;
  platform: Platform;
  /** FROM of an image the store does not have: pulled (with the request's credentials). */
  pull(reference: string, out: (m: BuildMessage) => void): Promise<Image>;
  out(m: BuildMessage): void;
  span?: Span;
  /** Filled by build(): where RUN steps hand their containers' removal, awaited before it returns. */
  defer?: (removal: Promise<void>) => void;
}

export interface BuilderEngine extends BuildEngine {
  cache: BuildCache;
  content: ContentStore;
  snapshotter: Snapshotter;
  /** Where the builder mounts images it reads (COPY --from, the target of a COPY). */
  tmpRoot: string;
}

// #region build
export async function build(e: BuilderEngine, r: BuildRequest): Promise<Image> {
  // The trace: one build.run span, a build.step span inside it per step (the build diagram).
  const span = r.span?.child('build', 'build.run', { dockerfile: r.dockerfile.name, tags: r.tags, target: r.target ?? null, noCache: r.noCache });
  // A RUN's container is removed while the next step runs; all are gone before the build returns.
  const removals: Array<Promise<void>> = [];
  const defer = (removal: Promise<void>) => {
    removals.push(removal.catch((err: unknown) => {
      if (!r.quiet) r.out({ stream: `Error removing intermediate container: ${(err as Error).message}\n` });
      span?.event('build.container.remove-failed', { message: String((err as Error).message) });
    }));
  };
  try {
    const image = await buildTraced(e, { ...r, span, defer }).finally(() => Promise.all(removals));
    span?.end({ image: image.id, layers: image.layers.length });
    return image;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}

/** One step under its own span: what it was, whether the cache had it, what it made. */
async function traced(r: BuildRequest, a: { step: number; total: number; stage: number; ins: { keyword: string; original: string; line: number } }, fn: (r: BuildRequest) => Promise<Image>): Promise<Image> {
  const span = r.span?.child('build', 'build.step', { step: a.step, of: a.total, stage: a.stage, keyword: a.ins.keyword, instruction: a.ins.original, line: a.ins.line });
  try {
    const image = await fn({ ...r, span });
    span?.end({ image: image.id, layers: image.layers.length, diffID: image.config.rootfs.diff_ids.at(-1) ?? null, emptyLayer: image.config.history?.at(-1)?.empty_layer === true });
    return image;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}

async function buildTraced(e: BuilderEngine, r: BuildRequest): Promise<Image> {
  const df = parseDockerfile(r.dockerfile.text, { name: r.dockerfile.name });
  const say = (s: string) => {
    if (!r.quiet) r.out({ stream: s });
  };
  for (const w of df.warnings) say(`${w}\n`);
  // Stages up to the target: all of them when no target is named.
  const last = r.target === undefined ? df.stages.length - 1 : df.stages.findIndex((s) => s.name === r.target?.toLowerCase());
  if (last < 0) throw invalid('BUILD_TARGET_NOT_FOUND', `failed to reach build target ${r.target} in Dockerfile`, { target: r.target });
  const stages = df.stages.slice(0, last + 1);
  const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
  // ARGs before the first FROM: each line's defaults expanded against the ones before it; a
  // --build-arg wins; one with neither stays unset.
  const metaArgs = new Map<string, string>();
  const usedArgs = new Set<string>();
  for (const a of df.metaArgs) {
    for (const arg of expandArgs(a.args, metaArgs, df.escape)) {
      const v = r.buildArgs[arg.name] ?? arg.default;
      if (v !== undefined) metaArgs.set(arg.name, v);
      else metaArgs.delete(arg.name);
      if (r.buildArgs[arg.name] !== undefined) usedArgs.add(arg.name);
    }
  }
  const built: Built[] = [];
  let step = 0;
  let image: Image | undefined;
  for (const stage of stages) {
    say(`Step ${++step}/${total} : ${stage.from.original}\n`);
    let scope!: BuildScope;
    image = await traced(r, { step, total, stage: stage.index, ins: stage.from }, async (rs) => {
      scope = await fromStage(e, rs, { stage, built, escape: df.escape, metaArgs, say });
      return scope.image;
    });
    say(` ---> ${scope.scratch ? '' : shortId(scope.image.id)}\n`);
    for (const ins of stage.instructions) {
      say(`Step ${++step}/${total} : ${ins.original}\n`);
      image = await traced(r, { step, total, stage: stage.index, ins }, (rs) => runInstruction(e, rs, { scope, ins, built, say, usedArgs }));
    }
    built.push({ ...(stage.name ? { name: stage.name } : {}), image: scope.image });
  }
  if (!image) throw invalid('DOCKERFILE_NO_STAGE', 'the Dockerfile has no FROM', {});
  // --label: one more metadata step, as dockerd adds it, after the last instruction.
  if (Object.keys(r.labels).length > 0) image = await labelStep(e, r, image);
  const unused = Object.keys(r.buildArgs).filter((k) => !usedArgs.has(k) && !PREDEFINED_ARGS.has(k));
  if (unused.length > 0) say(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed\n`);
  for (const t of r.tags) await e.images.tag(image.id, t, r.span);
  r.out({ aux: { ID: image.id } });
  if (r.quiet) r.out({ stream: `${image.id}\n` });
  else {
    say(`Successfully built ${shortId(image.id)}\n`);
    for (const t of r.tags) say(`Successfully tagged ${t}\n`);
  }
  return image;
}
// #endregion build

/** A stage built: `COPY --from` and later FROMs find it by name or index. */
interface Built { name?: string; image: Image }

/** Build args every build knows without an ARG line (proxies): never reported as unused. */
const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

// #region from
/** FROM: a stage before this one, `scratch`, an image in the store, or one pulled. */
async function fromStage(e: BuilderEngine, r: BuildRequest, a: { stage: Stage; built: Built[]; escape: EscapeChar; metaArgs: Map<string, string>; say: (s: string) => void }): Promise<BuildScope> {
  const ref = expandWord(a.stage.from.image, a.metaArgs, a.escape);
  if (ref === '') throw invalid('DOCKERFILE_FROM', `base name (${a.stage.from.image}) should not be blank`, { line: a.stage.from.line });
  const earlier = a.built.find((b) => b.name !== undefined && b.name === ref.toLowerCase());
  let image: Image;
  const scratch = ref.toLowerCase() === 'scratch' && !earlier;
  if (earlier) image = earlier.image;
  else if (scratch) image = await scratchImage(e, r.platform);
  else image = (await imageIfThere(e.images, ref)) ?? (await r.pull(ref, r.out));
  const scope: BuildScope = { image, scratch, config: structuredClone(image.config.config ?? {}), escape: a.escape, args: new Map(), buildArgs: r.buildArgs, metaArgs: a.metaArgs, cmdSet: false };
  // The base image's ONBUILD triggers run now, first, as instructions of this stage; they are
  // not handed down further.
  const triggers = scope.config.OnBuild ?? [];
  scope.config.OnBuild = null;
  if (triggers.length > 0) {
    a.say(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
    for (const t of triggers) await runInstruction(e, r, { scope, ins: parseTrigger(t), built: a.built, say: a.say, usedArgs: new Set() });
  }
  return scope;
}
// #endregion from

// #region instruction
/** One instruction: planned, looked up in the cache, else done; the scope moves to its image. */
async function runInstruction(e: BuilderEngine, r: BuildRequest, a: { scope: BuildScope; ins: Instruction; built: Built[]; say: (s: string) => void; usedArgs: Set<string> }): Promise<Image> {
  const { scope: s, ins, say } = a;
  const plan = planInstruction(s, ins);
  if (plan.kind === 'arg') {
    for (const n of plan.names) {
      if (n.value !== undefined) s.args.set(n.name, n.value);
      else s.args.delete(n.name);
      if (r.buildArgs[n.name] !== undefined) a.usedArgs.add(n.name);
    }
    return commitConfig(e, r, s, s.config, plan.createdBy, say);
  }
  if (plan.kind === 'config') {
    if (ins.keyword === 'CMD') s.cmdSet = true;
    if (ins.keyword === 'MAINTAINER') s.author = ins.maintainer;
    if (ins.keyword !== 'WORKDIR') return commitConfig(e, r, s, plan.config, plan.createdBy, say);
    // WORKDIR makes its directory when the image does not have it: a step with a layer, then.
    const dir = plan.config.WorkingDir!;
    const key = cacheKey(r, s, `${plan.createdBy}\n${JSON.stringify(plan.config)}`, 'workdir');
    const hit = await cached(e, r, key, say);
    if (hit) return advance(s, hit);
    const missing = await missingDirs(e, s.image, dir);
    if (missing.length === 0) return commitConfig(e, r, s, plan.config, plan.createdBy, say, key);
    return runCopy(e, r, s, { key, config: plan.config, createdBy: plan.createdBy, files: (out) => directoryTar(out, missing), say });
  }
  if (plan.kind === 'run') {
    const key = cacheKey(r, s, plan.createdBy);
    const hit = await cached(e, r, key, say);
    if (hit) return advance(s, hit);
    let container = '';
    const image = await runStep(e, {
      parent: s.image, argv: plan.argv, env: plan.env, config: s.config, createdBy: plan.createdBy, ...(s.author ? { author: s.author } : {}), network: r.network, forceRm: r.forceRm, ...(r.defer ? { defer: r.defer } : {}),
      onContainer: (id) => {
        container = id.slice(0, 12);
        say(` ---> Running in ${container}\n`);
      },
      onOutput: (entry) => {
        if (!r.quiet) r.out({ stream: entry.line.toString('utf8') });
      },
      span: r.span,
    });
    say(` ---> Removed intermediate container ${container}\n`);
    await e.cache.put(key, image.id);
    say(` ---> ${shortId(image.id)}\n`);
    return advance(s, image);
  }
  // COPY and ADD: the sources from the context, or from a stage or image with --from.
  const from = ins.keyword === 'COPY' ? ins.flags.from : undefined;
  const fromImage = from === undefined ? undefined : await copyFromImage(e, r, a.built, from);
  return withRoot(e, fromImage, r.contextDir, async (root) => {
    const sources = resolveCopySources({ instruction: plan.instruction.keyword, root, fromImage: fromImage !== undefined, sources: plan.sources, dest: plan.dest });
    // As dockerd writes it: the destination as written (after substitution), not resolved.
    const createdBy = nop(s, `${plan.instruction.keyword} ${plan.chown ? `--chown=${plan.chown} ` : ''}${sources.checksum} in ${plan.dest} `);
    const key = cacheKey(r, s, createdBy, `${sources.checksum} ${plan.chown ?? ''} ${plan.chmod ?? ''}`);
    const hit = await cached(e, r, key, say);
    if (hit) return advance(s, hit);
    return runCopy(e, r, s, {
      key, config: s.config, createdBy, say,
      files: (out) => withRoot(e, s.image, undefined, (targetRoot) => writeCopyTar({
        plan: sources, dest: plan.dest, workdir: s.config.WorkingDir ?? '/', chown: plan.chown, chmod: plan.chmod, targetRoot, tmpRoot: e.tmpRoot, out, span: r.span,
      }).then(() => undefined), r.span),
    });
  }, r.span);
}
// #endregion instruction

/** The scope moves on to `image`: the next instruction starts there. */
function advance(s: BuildScope, image: Image): Image {
  s.image = image;
  s.config = structuredClone(image.config.config ?? {});
  return image;
}

function cacheKey(r: BuildRequest, s: BuildScope, createdBy: string, sources?: string): CacheKey {
  return { parent: s.image.id, createdBy, platform: platformString(r.platform), ...(sources !== undefined ? { sources } : {}) };
}

/** A cache hit prints ` ---> Using cache` and the image; a miss (or --no-cache) nothing. */
async function cached(e: BuilderEngine, r: BuildRequest, key: CacheKey, say: (s: string) => void): Promise<Image | undefined> {
  if (r.noCache) return undefined;
  const id = await e.cache.get(key);
  const image = id ? await imageIfThere(e.images, id) : undefined;
  r.span?.event('build.cache', { hit: image !== undefined, image: image?.id ?? null });
  if (!image) return undefined;
  say(' ---> Using cache\n');
  say(` ---> ${shortId(image.id)}\n`);
  return image;
}

/** A config-only step (cached like any other; `known`: a key already looked up and missed). */
async function commitConfig(e: BuilderEngine, r: BuildRequest, s: BuildScope, config: ContainerConfig, createdBy: string, say: (s: string) => void, known?: CacheKey): Promise<Image> {
  const key = known ?? cacheKey(r, s, `${createdBy}\n${JSON.stringify(config)}`);
  const hit = known ? undefined : await cached(e, r, key, say);
  if (hit) return advance(s, hit);
  const image = await metadataStep(e, { parent: s.image, config, createdBy, ...(s.author ? { author: s.author } : {}), span: r.span });
  await e.cache.put(key, image.id);
  say(` ---> ${shortId(image.id)}\n`);
  return advance(s, image);
}

/** A step that adds files (the tar `files` writes) into a container of the stage's image; recorded under `key`. */
async function runCopy(e: BuilderEngine, r: BuildRequest, s: BuildScope, a: { key: CacheKey; config: ContainerConfig; createdBy: string; files: (out: PassThrough) => Promise<void>; say: (s: string) => void }): Promise<Image> {
  const tar = new PassThrough();
  const writing = a.files(tar).then(() => tar.end(), (err: unknown) => {
    tar.destroy(err as Error);
    throw err;
  });
  // Both sides settle before the step ends: with Promise.all a failed writer ended the build
  // while copyStep was still writing into its container and had yet to remove it, so the client
  // saw the error before the store was back as it was (found on a full disk). The store's
  // error, when there is one, is the one to report: the writer's is only its echo.
  // A copy that fails before it has read everything destroys the tar, so the writer, blocked on
  // a full pipe, fails too instead of waiting forever.
  const copying = copyStep(e, { parent: s.image, files: tar, config: a.config, createdBy: a.createdBy, ...(s.author ? { author: s.author } : {}), span: r.span }).catch((err: unknown) => {
    tar.destroy(err as Error);
    throw err;
  });
  const [copied, written] = await Promise.allSettled([copying, writing]);
  if (copied.status === 'rejected') throw copied.reason;
  if (written.status === 'rejected') throw written.reason;
  const image = copied.value;
  await e.cache.put(a.key, image.id);
  a.say(` ---> ${shortId(image.id)}\n`);
  return advance(s, image);
}

/** `COPY --from=`: a stage by name or index, else an image (pulled if need be). */
async function copyFromImage(e: BuilderEngine, r: BuildRequest, built: Built[], from: string): Promise<Image> {
  const byName = built.find((b) => b.name !== undefined && b.name === from.toLowerCase());
  if (byName) return byName.image;
  if (/^\d+$/.test(from)) {
    const i = Number(from);
    if (i >= built.length) throw invalid('BUILD_STAGE_NOT_FOUND', `invalid from flag value ${from}: refers to current build stage`, { from });
    return built[i]!.image;
  }
  return (await imageIfThere(e.images, from)) ?? (await r.pull(from, r.out));
}

/** Runs `fn` with an image's merged root mounted read-only (or `fallback`, or an empty dir). */
async function withRoot<T>(e: BuilderEngine, image: Image | undefined, fallback: string | undefined, fn: (root: string) => Promise<T>, span?: Span): Promise<T> {
  if (!image) {
    if (fallback !== undefined) return fn(fallback);
    throw invalid('BUILD_INTERNAL', 'no root to read', {});
  }
  if (image.layers.length === 0) {
    const empty = await mkdtemp(join(e.tmpRoot, 'scratch-'));
    try {
      return await fn(empty);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }
  const top = await unpackImage({ image, content: e.content, snapshotter: e.snapshotter, span });
  const key = `build-view-${randomBytes(6).toString('hex')}`;
  const plan = await e.snapshotter.view(key, top, { span });
  try {
    return await withMounted({ plan, tmpRoot: e.tmpRoot }, fn);
  } finally {
    await e.snapshotter.remove(key, { span }).catch(() => {});
  }
}

/**
 * The directories of `path` — it and those above it — that the image lacks, outermost first
 * (`/tmp/a/b` with only /tmp there: `tmp/a`, `tmp/a/b`). WORKDIR makes these and no others: a
 * directory already there keeps its mode and owner (/tmp stays 1777), as dockerd's MkdirAll.
 */
async function missingDirs(e: BuilderEngine, image: Image, path: string): Promise<string[]> {
  const parts = path.split('/').filter(Boolean);
  const dirs = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  if (dirs.length === 0) return [];
  return withRoot(e, image, undefined, async (root) => {
    for (const [i, d] of dirs.entries()) {
      if (!(await lstat(join(root, d)).then(() => true, () => false))) return dirs.slice(i);
    }
    return [];
  });
}

/** A tar that makes `dirs` (relative to /, parents first), 0755, root-owned: WORKDIR's layer. */
async function directoryTar(out: PassThrough, dirs: string[]): Promise<void> {
  const p = pack();
  for (const d of dirs) p.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date() });
  p.finalize();
  await pipeline(p, out, { end: false });
}

/** `--label`: one more config step at the end, as dockerd adds it. */
async function labelStep(e: BuilderEngine, r: BuildRequest, image: Image): Promise<Image> {
  const config: ContainerConfig = { ...structuredClone(image.config.config ?? {}), Labels: { ...(image.config.config?.Labels ?? {}), ...r.labels } };
  const text = Object.entries(r.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
  return metadataStep(e, { parent: image, config, createdBy: `${DEFAULT_SHELL.join(' ')} #(nop)  LABEL ${text}`, span: r.span });
}
