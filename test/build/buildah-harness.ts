// The yardstick of chapter 5's tests: a real builder, buildah (Debian's 1.28), building the same
// Dockerfile and context as Dockling, so a test can say "the same image as a real builder makes".
//
//   const reason = buildahAvailable();           // null, or why buildah cannot run here
//   const theirs = await buildahBuild({ dockerfile: 'FROM busybox\nRUN echo hi > /x\n', files: {} });
//   const ours = await readImageArchive(<`dockling save` of our build>, <empty dir>);
//   expect(compareImages(ours, theirs)).toEqual([]);
//
// Each build gets storage of its own (buildah-store.ts: private --root/--runroot, its own
// containers.conf, runc state, TMPDIR), the busybox base both builders share imported into it as
// localhost/busybox:latest (busybox-base.ts; Dockling imports baseRootfsTar() with BASE_CHANGES),
// then `buildah build --layers --format docker`, the image exported with `buildah push
// docker-archive:` and read back with our own layer applier (image-listing.ts), and the storage
// removed — containers, images, mounts, directory. compare-images.ts says what is compared and
// which differences between the builders are legitimate.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { baseRootfsTar } from './busybox-base.js';
import { BuildahStore, mountsUnder } from './buildah-store.js';
import { readImageArchive, type BuiltImage } from './image-listing.js';

export { BASE_CHANGES, BASE_CMD, BASE_ENV, BASE_NAME, baseRootfsTar } from './busybox-base.js';
export { BuildahFailed } from './buildah-store.js';
export { compareImages, CONFIG_FIELDS, RUNTIME_MOUNT_POINTS } from './compare-images.js';
export { listFiles, readImageArchive } from './image-listing.js';
export type { BuiltImage, FileRow, FileType } from './image-listing.js';

/** One path of a build context: file content, or a file with a mode, a symlink, a directory. */
export type ContextFile = string | Buffer | { mode?: number; content?: string | Buffer; symlink?: string; dir?: true };

export interface BuildahBuildArgs {
  /** The Dockerfile's text, written as `Dockerfile` at the top of the context. */
  dockerfile: string;
  /** The rest of the context, by path relative to it (`.dockerignore` too). */
  files: Record<string, ContextFile>;
  buildArgs?: Record<string, string>;
  target?: string;
  /** 'busybox' (the default): the shared base is there for `FROM busybox`; 'none': no image at all. */
  base?: 'busybox' | 'none';
  /** Where the build's own temp directory is made (the system temp dir unless told). */
  tmpRoot?: string;
}

/** The tag the built image gets inside the private storage. */
const TAG = 'localhost/dockling-harness:latest';
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

let availability: string | null | undefined;

/** null when buildah can build here, else the reason it cannot (tests print it and skip). */
export function buildahAvailable(): string | null {
  if (availability !== undefined) return availability;
  const version = spawnSync('buildah', ['--version'], { encoding: 'utf8' });
  if (process.getuid?.() !== 0) availability = `buildah builds need root here, and this is uid ${process.getuid?.()}`;
  else if (version.error || version.status !== 0) availability = `buildah is not installed (apt-get install buildah): ${version.error?.message ?? version.stderr.trim()}`;
  else if (!BUSYBOX.some((p) => existsSync(p))) availability = 'no static busybox for the base image (apt-get install busybox-static)';
  else availability = null;
  return availability;
}

/**
 * Writes a build context: `Dockerfile`, then each of `files`; directories not given a mode are
 * 0755 and files 0644 whatever the umask, so both builders read exactly the same tree.
 */
export function writeContext(dir: string, a: { dockerfile: string; files: Record<string, ContextFile> }): void {
  if ('Dockerfile' in a.files) throw new Error('the Dockerfile is given as `dockerfile`, not in `files`');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), a.dockerfile);
  chmodSync(join(dir, 'Dockerfile'), 0o644);
  const dirModes = new Map<string, number>();
  for (const [name, spec] of Object.entries(a.files)) {
    const path = resolve(dir, name);
    if (relative(dir, path).startsWith('..') || path === dir) throw new Error(`context path ${JSON.stringify(name)} is outside the context`);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) {
      writeFileSync(path, spec);
      chmodSync(path, 0o644);
    } else if (spec.dir) {
      mkdirSync(path, { recursive: true });
      dirModes.set(path, spec.mode ?? 0o755);
    } else if (spec.symlink !== undefined) {
      symlinkSync(spec.symlink, path);
    } else {
      writeFileSync(path, spec.content ?? '');
      chmodSync(path, spec.mode ?? 0o644);
    }
  }
  // Directories last, deepest first: a read-only one must not stop the writes below it.
  const dirs: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) { walk(p); dirs.push(p); }
    }
  };
  walk(dir);
  for (const d of dirs) chmodSync(d, dirModes.get(d) ?? 0o755);
  chmodSync(dir, 0o755);
}

/** Builds `a` with buildah in storage of its own, and returns the image's config and merged filesystem. */
export async function buildahBuild(a: BuildahBuildArgs): Promise<BuiltImage> {
  const reason = buildahAvailable();
  if (reason) throw new Error(`buildah cannot run here: ${reason}`);
  const baseTar = a.base === 'none' ? undefined : await baseRootfsTar();
  const dir = await mkdtemp(join(a.tmpRoot ?? tmpdir(), 'dkl-buildah-'));
  try {
    const store = BuildahStore.create({ dir: join(dir, 'store'), network: 'none' });
    try {
      // 1. the context, and the base in the private storage
      const context = join(dir, 'context');
      writeContext(context, a);
      if (baseTar) await store.importBase(baseTar);
      // 2. the build
      const args = [...Object.entries(a.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), ...(a.target ? ['--target', a.target] : [])];
      await store.build([...args, '-f', join(context, 'Dockerfile'), '-t', TAG], context);
      // 3. the image out as a docker-archive, read back with our own layer applier
      const archive = join(dir, 'image.tar');
      await store.run(['push', '-q', TAG, `docker-archive:${archive}:${TAG}`]);
      return await readImageArchive(archive, join(dir, 'read'));
    } finally {
      await store.remove(); // 4. containers, images, mounts
    }
  } finally {
    // Never through a mount: what remove() could not unmount stays, and its error says where.
    if (mountsUnder(dir).length === 0) await rm(dir, { recursive: true, force: true });
  }
}
