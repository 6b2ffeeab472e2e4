// The registry's content-addressed store: every blob and every manifest, once, at
// blobs/sha256/<hex>, shared by all repositories (which only *link* to blobs; see
// repository-store.ts). The same shape as an OCI image layout's blobs/ folder.
//
// A blob appears whole or not at all: its bytes are written to a temporary file (an upload's
// data file, or a temp file beside the target), checked against the digest, fsynced, and then
// renamed into place. rename(2) is atomic, so a reader sees the old state or the new one. Two
// clients pushing the same layer at once both rename identical bytes to the same name: the
// second rename replaces a file with an identical one, and a reader that opened the first
// keeps reading the inode it opened.
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { sha256, type Digest } from '../../layers/index.js';
import { writeFileAtomic } from '../../base/index.js';
import type { Layout } from './layout.js';

const HEX_NAME = /^[a-f0-9]{64}$/;

export class BlobStore {
  constructor(private readonly layout: Layout) {}

  async init(): Promise<void> {
    await mkdir(this.layout.blobsDir, { recursive: true });
  }

  path(d: Digest): string {
    return this.layout.blob(d);
  }

  /** The blob's size, or null when this registry does not have it. */
  async size(d: Digest): Promise<number | null> {
    try {
      return (await stat(this.layout.blob(d))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Moves a file whose digest the caller has verified into the store: fsync (so the bytes are
   * on disk before the name is), then rename. The file must be on the same filesystem
   * (uploads/ is under the same data root).
   */
  async adopt(verifiedFile: string, d: Digest): Promise<void> {
    const fh = await open(verifiedFile, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(verifiedFile, this.layout.blob(d));
  }

  /** Stores small content held in memory (a manifest) and returns its digest. */
  async putBytes(data: Uint8Array): Promise<Digest> {
    const d = sha256(data);
    if ((await this.size(d)) === null) await writeFileAtomic(this.layout.blob(d), data);
    return d;
  }

  async readBytes(d: Digest): Promise<Buffer> {
    return readFile(this.layout.blob(d));
  }

  async remove(d: Digest): Promise<void> {
    await rm(this.layout.blob(d), { force: true });
  }

  /** Every stored digest (temp files left by a crash are not blobs and are not listed). */
  async list(): Promise<Digest[]> {
    const names = await readdir(this.layout.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => HEX_NAME.test(n)).map((n) => `sha256:${n}` as Digest);
  }

  /** Files in blobs/ that are not blobs: temp files of writes a crash interrupted. */
  async strays(): Promise<string[]> {
    const names = await readdir(this.layout.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => !HEX_NAME.test(n));
  }
}
