// `dockling registry gc`: removes blobs nothing references, by mark and sweep — the collector
// every content-addressed store ends up with (git's `gc`, the CNCF registry's
// `garbage-collect`). It runs offline: it takes the data root's lock, so it refuses to run
// beside a registry that may be accepting a push whose manifest is not written yet.
//
//   mark   every manifest revision of every repository, and every tagged manifest, is a root;
//          a root marks itself, an image marks its config and layers, an index marks the
//          manifests it lists (and what they reference, recursively)
//   sweep  every blob not marked is removed, with the repository links that pointed at it
//
// A blob pushed but never referenced by a manifest (an abandoned push, a layer deleted from
// every manifest) is garbage; so are uploads nobody finished for a day, and temp files a crash
// left in blobs/.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../../layers/index.js';
import { silentTracer } from '../../trace/index.js';
import { BlobStore } from './blob-store.js';
import { lockDataRoot } from './data-root-lock.js';
import { Layout } from './layout.js';
import { RepositoryStore } from './repository-store.js';
import type { GcOptions, GcResult } from './types.js';

/** What a manifest or index points at: blobs (config, layers) and manifests (an index's entries). */
function referencesOf(bytes: Buffer): { blobs: Digest[]; manifests: Digest[] } {
  let doc: { config?: { digest?: unknown }; layers?: Array<{ digest?: unknown }>; manifests?: Array<{ digest?: unknown }> };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { blobs: [], manifests: [] };
  }
  const digests = (ds: Array<{ digest?: unknown } | undefined>) => ds.map((d) => d?.digest).filter(isDigest);
  return {
    blobs: digests([doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])]),
    manifests: digests(Array.isArray(doc.manifests) ? doc.manifests : []),
  };
}

// #region mark
async function mark(repos: RepositoryStore, blobs: BlobStore): Promise<Set<Digest>> {
  const marked = new Set<Digest>();
  // Only manifests are read and parsed; a layer is marked by name and never opened.
  const visitManifest = async (d: Digest): Promise<void> => {
    if (marked.has(d)) return;
    marked.add(d);
    const bytes = await blobs.readBytes(d).catch(() => null);
    if (!bytes) return;
    const refs = referencesOf(bytes);
    for (const b of refs.blobs) marked.add(b);
    for (const m of refs.manifests) await visitManifest(m);
  };
  for (const name of await repos.list()) {
    const roots = new Set<Digest>(await repos.manifests(name));
    for (const tag of await repos.tags(name)) {
      const d = await repos.tag(name, tag);
      if (d) roots.add(d);
    }
    for (const d of roots) await visitManifest(d);
  }
  return marked;
}
// #endregion mark

export async function registryGc(opts: GcOptions): Promise<GcResult> {
  const layout = new Layout(opts.dataRoot);
  const tracer = opts.tracer ?? silentTracer();
  const dryRun = opts.dryRun ?? false;
  const lock = await lockDataRoot(layout.lockFile, 'dockling registry gc');
  const span = tracer.start('registry', 'registry.gc', { dataRoot: layout.root, dryRun });
  try {
    const blobs = new BlobStore(layout);
    const repos = new RepositoryStore(layout);
    const marked = await mark(repos, blobs);
    const removed: Digest[] = [];
    let freedBytes = 0;
    for (const d of await blobs.list()) {
      if (marked.has(d)) continue;
      removed.push(d);
      freedBytes += (await blobs.size(d)) ?? 0;
      if (!dryRun) await blobs.remove(d);
    }
    if (!dryRun) await sweepLinks(repos, new Set(removed), blobs, layout);
    const uploadsRemoved = await sweepUploads(layout, opts.uploadMaxAgeMs ?? 24 * 3600 * 1000, dryRun);
    const result: GcResult = { marked: marked.size, removed, freedBytes, uploadsRemoved, dryRun };
    span.end({ marked: result.marked, removed: removed.length, freedBytes, uploadsRemoved });
    return result;
  } catch (err) {
    span.fail(err);
    throw err;
  } finally {
    await lock.release();
  }
}

/** Links to removed blobs go too, and temp files a crash left in blobs/. */
async function sweepLinks(repos: RepositoryStore, removed: Set<Digest>, blobs: BlobStore, layout: Layout): Promise<void> {
  for (const name of await repos.list()) {
    for (const d of await repos.blobLinks(name)) if (removed.has(d)) await repos.unlinkBlob(name, d);
  }
  for (const stray of await blobs.strays()) await rm(join(layout.blobsDir, stray), { force: true });
}

/** Upload sessions (and proxy downloads) untouched for `maxAgeMs`. */
async function sweepUploads(layout: Layout, maxAgeMs: number, dryRun: boolean): Promise<number> {
  let count = 0;
  for (const entry of await readdir(layout.uploadsDir).catch(() => [] as string[])) {
    const path = join(layout.uploadsDir, entry);
    // A session's age is its data file's: every chunk appended touches it.
    const st = await stat(join(path, 'data')).catch(() => stat(path).catch(() => null));
    if (!st || Date.now() - st.mtimeMs < maxAgeMs) continue;
    count++;
    if (!dryRun) await rm(path, { recursive: true, force: true });
  }
  return count;
}
