// The build cache (chapter 5). A step's result depends on exactly three things: the image it
// starts from, what the step says, and — for COPY and ADD — the bytes it copies. So the cache is
// a map from those to the image the step made:
//
//   key = sha256("dockling build cache v1", parent image ID, the step's history line, platform,
//                the sources' checksum)
//   <content>/dockling/build-cache/<key hex>  holds the resulting image's ID
//
// The history line is what the step records in the image anyway (`/bin/sh -c apt-get update`,
// `|1 VERSION=2 /bin/sh -c make`, `/bin/sh -c #(nop)  ENV A=1`), so two steps that would write the
// same line on the same parent are the same step; build arguments a RUN sees are in that line,
// as dockerd writes them. A hit whose image has since been removed is a miss.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/index.js';
import { hexOf, isDigest, sha256, type Digest } from '../layers/index.js';

export interface CacheKey {
  parent: Digest;
  createdBy: string;
  platform: string;
  /** COPY/ADD: the checksum of what is copied (copy-sources.ts). */
  sources?: string;
}

export class BuildCache {
  private readonly dir: string;

  constructor(contentRoot: string) {
    this.dir = join(contentRoot, 'dockling', 'build-cache');
  }

  // #region cache-key
  private path(key: CacheKey): string {
    const text = JSON.stringify(['dockling build cache v1', key.parent, key.createdBy, key.platform, key.sources ?? '']);
    return join(this.dir, hexOf(sha256(text)));
  }

  /** The image this step made before, if it is recorded (the caller checks it still exists). */
  async get(key: CacheKey): Promise<Digest | undefined> {
    const text = (await readFile(this.path(key), 'utf8').catch(() => '')).trim();
    return isDigest(text) ? text : undefined;
  }

  async put(key: CacheKey, image: Digest): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.path(key), `${image}\n`);
  }
  // #endregion cache-key
}
