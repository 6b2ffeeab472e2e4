// What each repository knows, as small files beside the shared blob store (layout.ts): which
// blobs it may serve (links), which manifests it holds (revisions, with their media type),
// where its tags point, and which manifests name another as their subject (referrers).
//
// Why links: blobs are stored once for the whole registry, but a repository serves only what
// was pushed to it (or mounted into it). That is what makes a cross-repository mount a
// decision rather than an accident, and what a blob DELETE takes away. Every write here is a
// whole small file written by rename, so a crash leaves each link either there or not.
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Descriptor, type Digest } from '../../layers/index.js';
import { writeFileAtomic } from '../../base/index.js';
import type { Layout } from './layout.js';
import type { ManifestInfo } from './types.js';

const HEX_NAME = /^[a-f0-9]{64}$/;
/** writeFileAtomic's temp names (`<name>.tmp-<pid>-<8 hex>`), seen only mid-write or after a crash. */
const TEMP_NAME = /\.tmp-\d+-[0-9a-f]{8}$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The file names in a directory, [] when it does not exist. */
async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
}

async function removed(path: string): Promise<boolean> {
  if (!(await exists(path))) return false;
  await rm(path, { force: true });
  return true;
}

const digestsIn = async (dir: string): Promise<Digest[]> =>
  (await names(dir)).filter((n) => HEX_NAME.test(n)).map((n) => `sha256:${n}` as Digest);

export class RepositoryStore {
  constructor(private readonly layout: Layout) {}

  // --- blob links -------------------------------------------------------------------------

  async linkBlob(name: string, d: Digest): Promise<void> {
    await mkdir(this.layout.blobLinksDir(name), { recursive: true });
    await writeFile(this.layout.blobLink(name, d), '');
  }

  async hasBlob(name: string, d: Digest): Promise<boolean> {
    return exists(this.layout.blobLink(name, d));
  }

  async unlinkBlob(name: string, d: Digest): Promise<boolean> {
    return removed(this.layout.blobLink(name, d));
  }

  async blobLinks(name: string): Promise<Digest[]> {
    return digestsIn(this.layout.blobLinksDir(name));
  }

  // --- manifest revisions -----------------------------------------------------------------

  async putManifest(name: string, d: Digest, info: ManifestInfo): Promise<void> {
    await writeFileAtomic(this.layout.manifest(name, d), JSON.stringify(info));
  }

  async manifest(name: string, d: Digest): Promise<ManifestInfo | null> {
    const text = await readFile(this.layout.manifest(name, d), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as ManifestInfo);
  }

  async deleteManifest(name: string, d: Digest): Promise<boolean> {
    return removed(this.layout.manifest(name, d));
  }

  async manifests(name: string): Promise<Digest[]> {
    return digestsIn(this.layout.manifestsDir(name));
  }

  // --- tags -------------------------------------------------------------------------------

  async setTag(name: string, tag: string, d: Digest): Promise<void> {
    await writeFileAtomic(this.layout.tag(name, tag), d);
  }

  async tag(name: string, tag: string): Promise<Digest | null> {
    const text = await readFile(this.layout.tag(name, tag), 'utf8').catch(() => null);
    return text !== null && isDigest(text) ? text : null;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return removed(this.layout.tag(name, tag));
  }

  /** The repository's tags in lexical order (the order the spec's pagination walks). */
  async tags(name: string): Promise<string[]> {
    return (await names(this.layout.tagsDir(name))).filter((n) => !TEMP_NAME.test(n)).sort();
  }

  async tagsPointingAt(name: string, d: Digest): Promise<string[]> {
    const all = await this.tags(name);
    const targets = await Promise.all(all.map((t) => this.tag(name, t)));
    return all.filter((_, i) => targets[i] === d);
  }

  // --- referrers (OCI 1.1) ----------------------------------------------------------------

  async addReferrer(name: string, subject: Digest, descriptor: Descriptor): Promise<void> {
    await writeFileAtomic(this.layout.referrer(name, subject, descriptor.digest), JSON.stringify(descriptor));
  }

  async removeReferrer(name: string, subject: Digest, d: Digest): Promise<void> {
    await rm(this.layout.referrer(name, subject, d), { force: true });
  }

  async referrers(name: string, subject: Digest): Promise<Descriptor[]> {
    const dir = this.layout.referrersDir(name, subject);
    const files = (await names(dir)).filter((n) => HEX_NAME.test(n)).sort();
    const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').catch(() => null)));
    return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as Descriptor);
  }

  // --- repositories -----------------------------------------------------------------------

  /** A repository exists once something was pushed to it: a blob link or a manifest. */
  async exists(name: string): Promise<boolean> {
    const dir = this.layout.repository(name);
    return (await exists(join(dir, '_manifests'))) || (await exists(join(dir, '_blobs')));
  }

  /** Every repository name, in lexical order: the catalog. */
  async list(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.name === '_manifests' || e.name === '_blobs')) found.push(prefix);
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('_')) await walk(join(dir, e.name), prefix ? `${prefix}/${e.name}` : e.name);
      }
    };
    await walk(this.layout.repositoriesDir, '');
    return found.filter((n) => n !== '').sort();
  }
}
