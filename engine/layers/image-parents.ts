// Which image an image was built on (chapter 5 leans on chapter 1 here). The classic builder
// commits every step as an image of its own: step 3's image is step 2's plus one layer or one
// config change. OCI configs have no "parent" field, so the link is kept beside the content
// store, one small file per child:
//
//   <content>/dockling/parents/<child id hex>      holds the parent's ID
//
// Docker uses these links in three places, and so do we:
//   - `docker images` hides an untagged image that has children: a build's step images are
//     *intermediate*, not dangling (`-a` shows them);
//   - `docker rmi` of a built image also deletes its untagged parents, up the chain, until one
//     has a name, another child, or a container;
//   - `docker image inspect` shows `Parent`.
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/index.js';
import { hexOf, parseDigest } from './digest.js';
import type { Digest } from './types.js';

export class ImageParents {
  private readonly dir: string;

  constructor(contentRoot: string) {
    this.dir = join(contentRoot, 'dockling', 'parents');
  }

  async set(child: Digest, parent: Digest): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, hexOf(child)), `${parent}\n`);
  }

  async of(child: Digest): Promise<Digest | undefined> {
    try {
      const text = (await readFile(join(this.dir, hexOf(child)), 'utf8')).trim();
      return parseDigest(text, 'parent image ID');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every child → parent link (a build leaves one per step; a store holds hundreds at most). */
  async all(): Promise<Map<Digest, Digest>> {
    const links = new Map<Digest, Digest>();
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const hex of names.filter((n) => /^[a-f0-9]{64}$/.test(n))) {
      const parent = await this.of(`sha256:${hex}`);
      if (parent) links.set(`sha256:${hex}`, parent);
    }
    return links;
  }

  async children(parent: Digest): Promise<Digest[]> {
    return [...(await this.all())].filter(([, p]) => p === parent).map(([c]) => c);
  }

  /** The image is gone: it is nobody's child any more. */
  async forget(child: Digest): Promise<void> {
    await rm(join(this.dir, hexOf(child)), { force: true });
  }
}
