// What a build produced, in a form two builders' results can be compared in (chapter 5 tests):
// the image config JSON and the merged filesystem of the final image, one row per path. Both
// builders' images are read the same way — from a `docker save` style archive (manifest.json,
// the config, one tar per layer), which `buildah push IMAGE docker-archive:FILE` and
// `dockling save -o FILE IMAGE` both write — with the project's own layer applier (chapter 1's
// unpackLayer, whiteouts applied) unpacking the layers in order into one directory, which is
// then walked. One reader for both sides: nothing in the reading can make them differ.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { unpackLayer, type ImageConfig } from '../../engine/layers/index.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One path of an image's merged filesystem. Times are left out: no two builds share them. */
export interface FileRow {
  /** Absolute, as seen in a container: `/app/a.txt`. The root itself is not listed. */
  path: string;
  type: FileType;
  /** Permission bits, setuid, setgid and sticky included (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file (or a hardlink's file); 0 for everything else. */
  size: number;
  /** Hex sha256 of a regular file's (or hardlink's) content. */
  sha256?: string;
  /** A symlink's target as written; for a hardlink, the path listed first with the same inode. */
  target?: string;
}

export interface BuiltImage {
  /** The image config JSON: architecture, os, config {Env, Cmd, …}, history, rootfs. */
  config: ImageConfig;
  /** The merged filesystem, sorted by path. */
  files: FileRow[];
}

/** Every path under `root`, sorted; paths of an inode seen before are hardlinks to its first path. */
export function listFiles(root: string): FileRow[] {
  const rows: FileRow[] = [];
  const inodes = new Map<string, string>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = `${prefix}/${name}`;
      const st = lstatSync(abs);
      const base = { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0 };
      if (st.isDirectory()) {
        rows.push({ ...base, type: 'dir' });
        walk(abs, path);
      } else if (st.isSymbolicLink()) {
        rows.push({ ...base, type: 'symlink', target: readlinkSync(abs) });
      } else if (st.isFile()) {
        const sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (st.nlink > 1 && !first) inodes.set(key, path);
        rows.push({ ...base, type: first ? 'hardlink' : 'file', size: st.size, sha256, ...(first ? { target: first } : {}) });
      } else {
        rows.push({ ...base, type: 'other' });
      }
    }
  };
  walk(root, '');
  return rows;
}

interface ArchiveManifest { Config: string; Layers: string[] }

/**
 * Reads the first image of a docker-archive tar: its config, and its layers applied in order
 * under `work/rootfs` then listed. `work` must be an empty directory the caller removes.
 */
export async function readImageArchive(archive: string, work: string): Promise<BuiltImage> {
  const unpacked = join(work, 'archive');
  const rootfs = join(work, 'rootfs');
  mkdirSync(unpacked, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  const tar = spawnSync('tar', ['-xf', archive, '-C', unpacked], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar -xf ${archive}: ${tar.stderr.trim()}`);
  const [manifest] = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as ArchiveManifest[];
  if (!manifest) throw new Error(`${archive}: manifest.json lists no image`);
  const config = JSON.parse(readFileSync(join(unpacked, manifest.Config), 'utf8')) as ImageConfig;
  for (const layer of manifest.Layers) {
    await unpackLayer({ source: createReadStream(join(unpacked, layer)), target: rootfs, whiteouts: 'apply' });
  }
  return { config, files: listFiles(rootfs) };
}
