// What the store remembers about registries (chapter 4), beside the content store's blobs:
//   - each blob's origins: the repositories it was pulled from or pushed to. A push to
//     another repository of the same registry can then ask the registry to *mount* the blob
//     (POST …/blobs/uploads/?mount=<digest>&from=<repository>) instead of uploading it again;
//   - each image's repo digests (`localhost:5000/app@sha256:…`): the manifest digest a registry
//     knows it by, which `docker images --digests` and `inspect`'s RepoDigests show.
// Both are hints, kept as small JSON files under <content root>/dockling/registry/; losing one
// costs an upload, never correctness.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../base/index.js';
import { hexOf, parseDigest, type ContentStore, type Digest } from '../../layers/index.js';

export interface BlobOrigin {
  /** The registry as references name it: `localhost:5000`, `docker.io`. */
  registry: string;
  /** The repository path: `library/busybox`. */
  repository: string;
}

/** Origins kept per blob, most recent first. */
const KEEP = 5;

function file(content: ContentStore, kind: 'origins' | 'repo-digests', d: Digest): string {
  return join(content.root, 'dockling', 'registry', kind, `${hexOf(parseDigest(d))}.json`);
}

async function readList<T>(path: string): Promise<T[]> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return []; // missing or damaged: a hint lost, nothing more
  }
}

/** The repositories a blob is known to be in, most recent first. */
export async function originsOf(content: ContentStore, digest: Digest): Promise<BlobOrigin[]> {
  return readList<BlobOrigin>(file(content, 'origins', digest));
}

export async function recordOrigin(content: ContentStore, digests: Digest[], origin: BlobOrigin): Promise<void> {
  for (const d of new Set(digests)) {
    const path = file(content, 'origins', d);
    const others = (await readList<BlobOrigin>(path)).filter((o) => o.registry !== origin.registry || o.repository !== origin.repository);
    await writeFileAtomic(path, JSON.stringify([origin, ...others].slice(0, KEEP)) + '\n');
  }
}

/** `repository@digest` names an image is known by in registries. */
export async function repoDigestsOf(content: ContentStore, imageId: Digest): Promise<string[]> {
  return readList<string>(file(content, 'repo-digests', imageId));
}

export async function recordRepoDigest(content: ContentStore, imageId: Digest, repoDigest: string): Promise<void> {
  const path = file(content, 'repo-digests', imageId);
  const repository = repoDigest.slice(0, repoDigest.indexOf('@'));
  // One digest per repository, like Docker: a newer pull or push replaces the older one.
  const others = (await readList<string>(path)).filter((r) => !r.startsWith(`${repository}@`));
  await writeFileAtomic(path, JSON.stringify([...others, repoDigest]) + '\n');
}
