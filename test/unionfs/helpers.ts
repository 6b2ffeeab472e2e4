// Helpers for chapter 2's tests: images built from small trees with packLayer, listings that
// compare two roots attribute by attribute, and the check that no test leaves a mount behind.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ContentStore, ImageStore, packLayer, unpackLayer, type Image, type ImageConfig, type LayerInfo } from '../../engine/layers/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import type { Snapshotter } from '../../engine/unionfs/index.js';

export const isRoot = process.getuid?.() === 0;
export const hasOverlay = (() => {
  try {
    return /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
})();

/** Whether to skip, printing why. */
export function skipUnless(reqs: { root?: boolean; overlay?: boolean }): boolean {
  const why: string[] = [];
  if (reqs.root && !isRoot) why.push('needs root (real mounts)');
  if (reqs.overlay && !hasOverlay) why.push('no overlay in /proc/filesystems');
  if (why.length) console.warn(`skipping: ${why.join(', ')}`);
  return why.length > 0;
}

/** A tree spec: a string is a file's content, null a directory, { link } a symlink. */
export type Tree = Record<string, string | null | { link: string }>;

export function writeTree(root: string, tree: Tree): void {
  mkdirSync(root, { recursive: true });
  for (const [path, v] of Object.entries(tree)) {
    const abs = join(root, path);
    mkdirSync(v === null ? abs : dirname(abs), { recursive: true });
    if (typeof v === 'string') writeFileSync(abs, v);
    else if (v !== null) symlinkSync(v.link, abs);
  }
}

/** A test environment: its own temp root, content and image stores, a tracer with a memory sink. */
export interface Env {
  root: string;
  content: ContentStore;
  images: ImageStore;
  tracer: Tracer;
  sink: MemorySink;
  /** Packs a tree (`.wh.` files in it become whiteouts) into a layer blob. */
  layer(tree: Tree): Promise<LayerInfo>;
  image(layers: LayerInfo[], name?: string): Promise<Image>;
  dir(name: string): string;
}

export async function makeEnv(): Promise<Env> {
  const root = await mkdtemp(join(tmpdir(), 'dockling-unionfs-'));
  const sink = new MemorySink();
  const tracer = new Tracer([sink]);
  const content = new ContentStore({ root: join(root, 'content'), tracer });
  await content.init();
  const images = new ImageStore({ content, tracer });
  let n = 0;
  const env: Env = {
    root, content, images, tracer, sink,
    dir: (name) => join(root, name),
    async layer(tree) {
      const src = join(root, `build-${n++}`);
      writeTree(src, tree);
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await packLayer({ root: src, out, compression: 'gzip', mtime: new Date(0) });
      await rm(src, { recursive: true });
      return images.ingestLayer(Readable.from([Buffer.concat(chunks)]));
    },
    async image(layers, name) {
      const config: ImageConfig = {
        architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
        history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i}` })),
      };
      return images.addImage({ config, layers, names: name ? [name] : [] });
    },
  };
  return env;
}

/** Every path under `root` with type, mode, owner, size and content hash (or link target); the root itself left out. */
export function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const p = dir === '' ? name : `${dir}/${name}`;
      const abs = join(root, p);
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.push(`${p}/ d ${mode} ${st.uid}:${st.gid}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.push(`${p} l -> ${readlinkSync(abs)}`);
      else if (st.isFile()) out.push(`${p} f ${mode} ${st.uid}:${st.gid} ${st.size} ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12)}`);
      else out.push(`${p} other ${st.mode.toString(8)} ${st.rdev}`);
    }
  };
  walk('');
  return out;
}

/** The reference: every layer of `image` applied in order onto a plain directory. */
export async function applyImage(env: Env, image: Image, target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  for (const l of image.layers) await unpackLayer({ source: env.content.createReadStream(l.digest), target, whiteouts: 'apply' });
}

/** Mount points under `root` still present; each is lazily unmounted before returning. */
export function leftoverMounts(root: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === root || m.startsWith(`${root}/`));
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      /* already gone */
    }
  }
  return mounts;
}

/** Checks for leftover mounts, then removes the root. Throws if something was left mounted. */
export async function cleanupEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  const left = leftoverMounts(env.root);
  await rm(env.root, { recursive: true, force: true });
  if (left.length) throw new Error(`mounts left behind: ${left.join(', ')}`);
}

export type SnapshotterFactory = (args: { root: string; tracer: Tracer }) => Promise<Snapshotter>;
