// Checking the content and image stores (chapter 1; `dockling system check`, issue 9). Read-only:
// it reports, it never repairs. What a crash may never leave visible, checked one rule at a time:
//   1. every file in blobs/sha256/ is named by 64 hex digits and hashes to its name
//      (a temp file renamed into blobs/ too early, or a torn write, fails here)
//   2. every index.json entry leads to a manifest whose config and layers are all stored
//   3. the config's rootfs.diff_ids are the layers' diffIDs, in order
// Files in ingest/ are not problems: they are invisible, and the next start removes them.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContentStore } from './content-store.js';
import { DiffIDTap } from './diffid-tap.js';
import { DigestStream } from './digest.js';
import { NAME_ANNOTATION, type ImageStore } from './image-store.js';
import { parseConfig, parseDocument } from './manifest.js';
import { layerCompression } from './media-types.js';
import type { Descriptor, Digest, Manifest } from './types.js';

/** One thing found wrong: the object (a blob, an image, a snapshot…) and what is wrong with it. */
export interface StoreProblem {
  object: string;
  problem: string;
}

export interface ContentCheck {
  blobs: number;
  images: number;
  problems: StoreProblem[];
}

// #region check-blobs
/** Rule 1: each blob's bytes hash to its name; any other file in blobs/ is a leftover in sight. */
export async function checkBlobs(content: ContentStore): Promise<{ blobs: Set<Digest>; problems: StoreProblem[] }> {
  const dir = join(content.root, 'blobs', 'sha256');
  const blobs = new Set<Digest>();
  const problems: StoreProblem[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (!/^[a-f0-9]{64}$/.test(name)) {
      problems.push({ object: `blob file ${join(dir, name)}`, problem: 'is not named by a sha256 digest (a temporary file left among the blobs)' });
      continue;
    }
    const d = `sha256:${name}` as Digest;
    const hasher = new DigestStream();
    await pipeline(content.createReadStream(d), hasher, async (chunks: AsyncIterable<Buffer>) => {
      for await (const _ of chunks); // drain: only the hash matters
    });
    if (hasher.digest() !== d) problems.push({ object: `blob ${d}`, problem: `its bytes hash to ${hasher.digest()} (${hasher.bytes} bytes): torn or corrupted` });
    else blobs.add(d);
  }
  return { blobs, problems };
}
// #endregion check-blobs

// #region check-images
/** Rules 1–3 over the whole store: the blobs, then every image the index names. */
export async function checkContentStore(args: { content: ContentStore; images: ImageStore }): Promise<ContentCheck> {
  const { blobs, problems } = await checkBlobs(args.content);
  const index = await args.content.readIndex();
  for (const desc of index.manifests) problems.push(...(await checkEntry({ ...args, blobs, desc })));
  return { blobs: blobs.size, images: index.manifests.length, problems };
}

/** Rules 2 and 3 for one index.json entry (a nested index: each manifest it lists). */
async function checkEntry(a: { content: ContentStore; images: ImageStore; blobs: Set<Digest>; desc: Descriptor }): Promise<StoreProblem[]> {
  const name = a.desc.annotations?.[NAME_ANNOTATION] ?? '<none>';
  const object = `image ${name} (manifest ${a.desc.digest})`;
  if (!a.blobs.has(a.desc.digest)) return [{ object, problem: 'its manifest blob is missing or bad' }];
  const doc = parseDocument(await a.content.readBytes(a.desc.digest));
  if (doc.kind === 'index') {
    const out: StoreProblem[] = [];
    for (const m of doc.index.manifests) {
      // A multi-platform index names manifests a pull never fetched: only those stored are checked.
      if (a.blobs.has(m.digest)) out.push(...(await checkEntry({ ...a, desc: { ...m, annotations: a.desc.annotations } })));
    }
    return out;
  }
  return checkManifest({ ...a, object, manifest: doc.manifest });
}

async function checkManifest(a: { content: ContentStore; images: ImageStore; blobs: Set<Digest>; object: string; manifest: Manifest }): Promise<StoreProblem[]> {
  const out: StoreProblem[] = [];
  const m = a.manifest;
  for (const l of m.layers) if (!a.blobs.has(l.digest)) out.push({ object: a.object, problem: `layer blob ${l.digest} is missing or bad` });
  if (!a.blobs.has(m.config.digest)) out.push({ object: a.object, problem: `config blob ${m.config.digest} is missing or bad` });
  if (out.length > 0) return out;
  const config = parseConfig(await a.content.readBytes(m.config.digest));
  const want = config.rootfs.diff_ids;
  if (want.length !== m.layers.length) return [{ object: a.object, problem: `its config lists ${want.length} diff_ids for ${m.layers.length} layers` }];
  for (const [i, l] of m.layers.entries()) {
    const diffID = await diffIDOf(a, l.digest, l.mediaType);
    if (diffID !== want[i]) out.push({ object: a.object, problem: `layer ${i} (${l.digest}) has diffID ${diffID}, its config says ${want[i]}` });
  }
  return out;
}
// #endregion check-images

/** The diffID the store recorded for a layer, or (no record) the one its bytes give — nothing written. */
async function diffIDOf(a: { content: ContentStore; images: ImageStore }, digest: Digest, mediaType: string): Promise<Digest | undefined> {
  const known = await a.images.knownLayerInfo(digest);
  if (known) return known.diffID;
  const tap = new DiffIDTap(layerCompression(mediaType));
  await pipeline(a.content.createReadStream(digest), tap, async (chunks: AsyncIterable<Buffer>) => {
    for await (const _ of chunks);
  });
  return tap.diffID;
}
