// `docker save`: images into one tar, in both views Docker ≥25 writes at once. Chapter 1.
// The docker-archive view: manifest.json [{Config, RepoTags, Layers}] and `repositories`; the
// OCI view (image-spec image-layout.md): oci-layout, index.json and OCI manifests. Both point
// at the same files: blobs/sha256/<hex> for the config and each UNCOMPRESSED layer tar.
import { createGunzip } from 'node:zlib';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import { invalid } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { ContentStore } from './content-store.js';
import { hexOf, sha256 } from './digest.js';
import type { ImageStore } from './image-store.js';
import { NAME_ANNOTATION, REF_NAME_ANNOTATION } from './image-store.js';
import { MediaType, layerCompression } from './media-types.js';
import { familiarName, familiarRepository, fullName, parseReference, repositoryOf } from './reference.js';
import type { Descriptor, Digest, Image, LayerInfo, Manifest } from './types.js';

interface Saved { image: Image; names: string[] }

/**
 * Which images, under which names: a tagged name saves that tag, a bare repository name saves
 * every tag of the repository (as `docker save fedora` does), an ID saves the image with no names.
 */
async function choose(store: ImageStore, refs: string[]): Promise<Saved[]> {
  const all = await store.list();
  const chosen = new Map<Digest, Saved>();
  const add = (image: Image, name?: string) => {
    const s = chosen.get(image.id) ?? { image, names: [] };
    if (name && !s.names.includes(name)) s.names.push(name);
    chosen.set(image.id, s);
  };
  for (const ref of refs) {
    let bare: ReturnType<typeof parseReference> | undefined;
    try {
      bare = parseReference(ref, { defaultTag: false });
    } catch {
      bare = undefined;
    }
    const repo = bare && !bare.tag && !bare.digest ? repositoryOf(bare) : undefined;
    const tagged = repo ? all.flatMap((i) => i.names.filter((n) => repositoryOf(parseReference(n)) === repo).map((n) => ({ i, n }))) : [];
    if (tagged.length > 0) {
      for (const { i, n } of tagged) add(i, n);
      continue;
    }
    const image = await store.resolve(ref);
    const name = bare && bare.tag && !bare.digest ? fullName(bare) : undefined;
    add(image, name && image.names.includes(name) ? name : undefined);
  }
  return [...chosen.values()];
}

function entry(p: Pack, name: string, body: Buffer | Readable, size: number, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = { name, size, mode: 0o644, mtime, type: 'file' as const };
    if (Buffer.isBuffer(body)) {
      p.entry(header, body, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = p.entry(header, (err) => (err ? reject(err) : resolve()));
    pipeline(body, sink).catch(reject);
  });
}

/** The layer's uncompressed tar, read from the stored blob (gunzipped while it is written). */
function uncompressed(content: ContentStore, layer: LayerInfo): Readable {
  const c = layerCompression(layer.mediaType);
  if (c === 'zstd') throw invalid('LAYER_COMPRESSION_UNSUPPORTED', `cannot save zstd layer ${layer.digest}`, { digest: layer.digest });
  const raw = content.createReadStream(layer.digest);
  return c === 'gzip' ? raw.pipe(createGunzip()) : raw;
}

function ociManifest(image: Image, configSize: number): Manifest {
  return {
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: image.id, size: configSize },
    layers: image.layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.diffID, size: l.uncompressedSize })),
  };
}

// #region save
export async function saveImages(args: { store: ImageStore; content: ContentStore; refs: string[]; out: Writable; span?: Span }): Promise<void> {
  const { store, content } = args;
  await store.tracer.span({ chapter: 'layers', op: 'image.save', parent: args.span, data: { refs: args.refs } }, async (span) => {
    const saved = await choose(store, args.refs);
    const p = pack();
    const done = pipeline(p, args.out);
    const written = new Set<string>();
    const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
    const index: Descriptor[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const epoch = new Date(0);
    try {
      for (const dir of ['blobs/', 'blobs/sha256/']) p.entry({ name: dir, type: 'directory', mode: 0o755, mtime: epoch });
      for (const { image, names } of saved) {
        // 1. the config, byte for byte: its digest is the image ID
        const config = await content.readBytes(image.id);
        if (!written.has(image.id)) await entry(p, `blobs/sha256/${hexOf(image.id)}`, config, config.length, epoch);
        written.add(image.id);
        // 2. each layer as an uncompressed tar, named by its diffID, once per archive
        for (const layer of image.layers) {
          if (written.has(layer.diffID)) continue;
          await entry(p, `blobs/sha256/${hexOf(layer.diffID)}`, uncompressed(content, layer), layer.uncompressedSize, epoch);
          written.add(layer.diffID);
          span.event('layer.saved', { digest: layer.digest, diffID: layer.diffID, size: layer.uncompressedSize });
        }
        // 3. the OCI view's manifest for those files
        const manifest = Buffer.from(JSON.stringify(ociManifest(image, config.length)));
        const md = sha256(manifest);
        if (!written.has(md)) await entry(p, `blobs/sha256/${hexOf(md)}`, manifest, manifest.length, epoch);
        written.add(md);
        const desc: Descriptor = { mediaType: MediaType.ociManifest, digest: md, size: manifest.length };
        if (names.length === 0) index.push(desc);
        for (const name of names) {
          const ref = parseReference(name);
          index.push({ ...desc, annotations: { [NAME_ANNOTATION]: name, [REF_NAME_ANNOTATION]: ref.tag ?? '' } });
          (repositories[familiarRepository(ref)] ??= {})[ref.tag ?? 'latest'] = hexOf(image.layers.at(-1)?.diffID ?? image.id);
        }
        manifestJson.push({
          Config: `blobs/sha256/${hexOf(image.id)}`,
          RepoTags: names.length ? names.map((n) => familiarName(parseReference(n))) : null,
          Layers: image.layers.map((l) => `blobs/sha256/${hexOf(l.diffID)}`),
        });
        span.event('image.saved', { id: image.id, names, layers: image.layers.length });
      }
      // 4. the two tables of contents, and the layout marker
      const json = (v: unknown) => Buffer.from(JSON.stringify(v));
      const files: Array<[string, Buffer]> = [
        ['index.json', json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index })],
        ['manifest.json', json(manifestJson)],
        ['oci-layout', json({ imageLayoutVersion: '1.0.0' })],
      ];
      if (Object.keys(repositories).length) files.push(['repositories', json(repositories)]);
      for (const [name, body] of files) await entry(p, name, body, body.length, epoch);
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
      await done.catch(() => {});
      throw err;
    }
    await done;
    span.end({ images: saved.length, blobs: written.size });
  });
}
// #endregion save
