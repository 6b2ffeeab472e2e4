// Where everything lives under the registry's data root (types.ts draws the tree). Only this
// file joins paths, and only from names that names.ts has checked and digests that
// parseDigest has checked, so no URL can point outside the data root.
//
// Why `_blobs`, `_tags` … with an underscore: a repository component must start with a letter
// or a digit, so `_tags` can never be the name of a nested repository (`workshop/app/_tags`
// is not a repository name; `workshop/app/tags` is, and lives beside it without colliding).
import { join } from 'node:path';
import { hexOf, type Digest } from '../../layers/index.js';

export class Layout {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  blob(d: Digest): string {
    return join(this.blobsDir, hexOf(d));
  }

  get repositoriesDir(): string {
    return join(this.root, 'repositories');
  }
  repository(name: string): string {
    return join(this.repositoriesDir, ...name.split('/'));
  }
  blobLinksDir(name: string): string {
    return join(this.repository(name), '_blobs');
  }
  blobLink(name: string, d: Digest): string {
    return join(this.blobLinksDir(name), hexOf(d));
  }
  manifestsDir(name: string): string {
    return join(this.repository(name), '_manifests');
  }
  manifest(name: string, d: Digest): string {
    return join(this.manifestsDir(name), hexOf(d));
  }
  tagsDir(name: string): string {
    return join(this.repository(name), '_tags');
  }
  tag(name: string, tag: string): string {
    return join(this.tagsDir(name), tag);
  }
  referrersDir(name: string, subject: Digest): string {
    return join(this.repository(name), '_referrers', hexOf(subject));
  }
  referrer(name: string, subject: Digest, d: Digest): string {
    return join(this.referrersDir(name, subject), hexOf(d));
  }

  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }
  upload(uuid: string): string {
    return join(this.uploadsDir, uuid);
  }

  get lockFile(): string {
    return join(this.root, 'registry.pid');
  }
}
