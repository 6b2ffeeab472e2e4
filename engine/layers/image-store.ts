// The image store: images (manifest + config + layers) and their names, on top of the content
// store. Chapter 1; `images`, `inspect`, `tag`, `rmi`, `history`. Names live in index.json as
// manifest descriptors annotated the way containerd and the OCI spec do (image-spec
// annotations.md: `org.opencontainers.image.ref.name`), so the store is a readable OCI layout.
// Over 300 lines because the store, the pure index.json planning it relies on, and the diffID
// tap its ingest uses are read together; each part is marked by a region.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline as pipelineCb } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyedMutex, conflict, invalid, notFound, writeFileAtomic } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import type { ContentStore } from './content-store.js';
import { ImageParents } from './image-parents.js';
import { DiffIDTap } from './diffid-tap.js';
import { hexOf, parseDigest, shortId } from './digest.js';
import { configMediaTypeFor, parseConfig, parseDocument, parseManifest, selectPlatform } from './manifest.js';
import { MediaType, layerCompression, layerMediaType, type Compression } from './media-types.js';
import { familiarName, fullName, parseReference, repositoryOf } from './reference.js';
import type { Descriptor, Digest, HistoryEntry, Image, ImageConfig, ImageIndex, LayerDigests, LayerInfo, Manifest, Reference } from './types.js';

/** The annotation containerd (and `docker save` since v25) puts the full image name in. */
export const NAME_ANNOTATION = 'io.containerd.image.name';
/** The OCI annotation `skopeo copy oci:<dir>:<tag>` and umoci look a tag up by. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface HistoryRow { id: string; created: number; createdBy: string; tags: string[]; size: number; comment: string }

/** One index.json entry, followed down to its manifest and config. */
interface Entry { desc: Descriptor; name?: string; manifestDigest: Digest; manifestMediaType: string; manifest: Manifest; configDigest: Digest }

/** A manifest given as bytes must name the config and the layers the store was given, in order. */
function checkSameImage(bytes: Buffer, built: Manifest): void {
  const given = parseManifest(bytes);
  const same = given.config.digest === built.config.digest && given.layers.length === built.layers.length &&
    given.layers.every((l, i) => l.digest === built.layers[i]!.digest);
  if (!same) throw invalid('MANIFEST_MISMATCH', `the manifest given does not describe config ${built.config.digest} and its ${built.layers.length} layers`, { config: built.config.digest });
}

export class ImageStore {
  private readonly content: ContentStore;
  /** Public so the operations built on the store (save, load, import) trace under the same tracer. */
  readonly tracer: Tracer;
  /** Serialises every change to names and blobs (tag, rmi, add) so a GC never races an add. */
  private readonly lock = new KeyedMutex();
  private usageCheck: (imageId: Digest) => Promise<string[]> = async () => [];

  /** What each built image was built on (image-parents.ts). */
  readonly parents: ImageParents;

  constructor(opts: { content: ContentStore; tracer: Tracer }) {
    this.content = opts.content;
    this.tracer = opts.tracer;
    this.parents = new ImageParents(opts.content.root);
  }

  setUsageCheck(fn: (imageId: Digest) => Promise<string[]>): void {
    this.usageCheck = fn;
  }

  private layerInfoPath(d: Digest): string {
    return join(this.content.root, 'dockling', 'layers', `${hexOf(parseDigest(d))}.json`);
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * What a manifest and a config say never changes — their names are their digests — so each is
   * read from disk once and remembered: listing the images then reads index.json and nothing else.
   */
  private readonly followed = new Map<Digest, Promise<Omit<Entry, 'desc' | 'name'>>>();
  private readonly configs = new Map<Digest, Promise<ImageConfig>>();

  /** Follows an index.json entry to a manifest (through a nested index by platform) and its config digest. */
  private follow(desc: Descriptor): Promise<Omit<Entry, 'desc' | 'name'>> {
    let known = this.followed.get(desc.digest);
    if (!known) {
      known = this.followUncached(desc);
      this.followed.set(desc.digest, known);
      known.catch(() => this.followed.delete(desc.digest)); // a blob missing now may be stored later
    }
    return known;
  }

  private configOf(id: Digest): Promise<ImageConfig> {
    let known = this.configs.get(id);
    if (!known) {
      known = this.content.readBytes(id).then(parseConfig);
      this.configs.set(id, known);
      known.catch(() => this.configs.delete(id));
    }
    return known;
  }

  private async followUncached(desc: Descriptor): Promise<Omit<Entry, 'desc' | 'name'>> {
    const doc = parseDocument(await this.content.readBytes(desc.digest));
    if (doc.kind === 'index') return this.follow(selectPlatform(doc.index));
    const m = doc.manifest;
    return { manifestDigest: desc.digest, manifestMediaType: m.mediaType ?? desc.mediaType, manifest: m, configDigest: m.config.digest };
  }

  private async entries(index?: ImageIndex): Promise<Entry[]> {
    const idx = index ?? (await this.content.readIndex());
    const out: Entry[] = [];
    for (const desc of idx.manifests) {
      try {
        const name = desc.annotations?.[NAME_ANNOTATION];
        out.push({ desc, ...(name ? { name } : {}), ...(await this.follow(desc)) });
      } catch (err) {
        // A broken entry (blob removed by hand) must not hide every other image.
        this.tracer.start('layers', 'image.entry.broken', { digest: desc.digest, error: String((err as Error).message) }).end();
      }
    }
    return out;
  }

  private async build(id: Digest, group: Entry[]): Promise<Image> {
    const first = group[0]!;
    const config = structuredClone(await this.configOf(id));
    const layers = await Promise.all(first.manifest.layers.map((l) => this.layerInfo(l.digest, l.mediaType)));
    const names = [...new Set(group.map((e) => e.name).filter((n): n is string => !!n))];
    const parent = await this.parents.of(id);
    return {
      id, manifestDigest: first.manifestDigest, manifestMediaType: first.manifestMediaType, names, repoDigests: [],
      config, manifest: first.manifest, layers, size: layers.reduce((s, l) => s + l.uncompressedSize, 0),
      ...(parent ? { parent } : {}),
    };
  }

  private group(entries: Entry[]): Map<Digest, Entry[]> {
    const byId = new Map<Digest, Entry[]>();
    for (const e of entries) byId.set(e.configDigest, [...(byId.get(e.configDigest) ?? []), e]);
    return byId;
  }

  async list(): Promise<Image[]> {
    const images: Image[] = [];
    for (const [id, group] of this.group(await this.entries())) images.push(await this.build(id, group));
    return images;
  }

  // #region resolve
  /**
   * Finds an image the ways `docker` accepts: a name (normalised, `busybox` = …/library/busybox:latest),
   * name@digest, a full ID with or without `sha256:`, or a unique prefix of an ID.
   * Reports whether it matched by name, which `rmi` needs.
   */
  private async find(refOrId: string): Promise<{ image: Image; byName?: string }> {
    const byId = this.group(await this.entries());
    const missing = () => notFound('IMAGE_NOT_FOUND', `No such image: ${refOrId}`, { ref: refOrId });
    const hex = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    const idLike = /^[a-f0-9]{1,64}$/.test(hex);
    if (!refOrId.startsWith('sha256:') || !idLike) {
      let ref: Reference | undefined;
      try {
        ref = parseReference(refOrId);
      } catch (err) {
        if (!idLike) throw err;
      }
      if (ref) {
        const name = fullName(ref);
        for (const [id, group] of byId) {
          if (ref.digest && group.some((e) => e.manifestDigest === ref.digest || e.configDigest === ref.digest)) return { image: await this.build(id, group) };
          if (!ref.digest && group.some((e) => e.name === name)) return { image: await this.build(id, group), byName: name };
        }
      }
    }
    if (!idLike) throw missing();
    const matches = [...byId.keys()].filter((id) => hexOf(id).startsWith(hex));
    if (matches.length === 0) throw missing();
    if (matches.length > 1) {
      throw invalid('AMBIGUOUS_IMAGE_ID', `multiple IDs found with provided prefix: ${refOrId}`, { ref: refOrId, matches });
    }
    return { image: await this.build(matches[0]!, byId.get(matches[0]!)!) };
  }
  // #endregion resolve

  async resolve(refOrId: string): Promise<Image> {
    return (await this.find(refOrId)).image;
  }

  async history(refOrId: string): Promise<HistoryRow[]> {
    const image = await this.resolve(refOrId);
    const steps: HistoryEntry[] = image.config.history?.length
      ? image.config.history
      : image.layers.map(() => ({ created: image.config.created, created_by: '', comment: '' }));
    let layer = 0;
    const rows = steps.map((h) => {
      const size = h.empty_layer ? 0 : image.layers[layer++]?.uncompressedSize ?? 0;
      const created = h.created ? Math.floor(Date.parse(h.created) / 1000) : 0;
      return { id: '<missing>', created: Number.isFinite(created) ? created : 0, createdBy: h.created_by ?? '', tags: [] as string[], size, comment: h.comment ?? '' };
    });
    // Each image on the parent chain (a build's steps, a commit's base) names the row its own
    // history ends on; rows of images this store never had stay <missing>, as in Docker.
    for (let img: Image | undefined = image; img; ) {
      const row = rows[(img.config.history?.length ?? img.layers.length) - 1];
      if (row && row.id === '<missing>') {
        row.id = img.id;
        row.tags = img.names.map((n) => familiarName(parseReference(n)));
      }
      img = img.parent ? await this.find(img.parent).then((f) => f.image, () => undefined) : undefined;
    }
    rows.reverse();
    return rows;
  }

  // ---- layers -------------------------------------------------------------------------------

  // #region ingest
  /**
   * Stores a layer blob as given (gzip or plain tar) and learns both its names in one pass:
   * the digest of the bytes stored, and the diffID of the tar inside (gunzipped on the fly).
   * `unpacked`: the same bytes are being unpacked as they pass (a pull, chapter 4), which learns
   * and checks the diffID itself — so no second gunzip here, and the blob is stored only once
   * that unpack has succeeded.
   */
  async ingestLayer(source: Readable, opts: { expectedDigest?: Digest; expectedDiffID?: Digest; mediaType?: string; unpacked?: Promise<LayerDigests & { compression: Compression }>; span?: Span } = {}): Promise<LayerInfo> {
    return this.tracer.span({ chapter: 'layers', op: 'layer.ingest', parent: opts.span, data: { expectedDigest: opts.expectedDigest ?? null } }, async (span) => {
      if (opts.unpacked) {
        const { digest, size } = await this.content.write(source, { expected: opts.expectedDigest, gate: opts.unpacked, span });
        const u = await opts.unpacked;
        const info: LayerInfo = { digest, diffID: u.diffID, size, uncompressedSize: u.uncompressedSize, mediaType: opts.mediaType ?? layerMediaType(u.compression) };
        await this.saveLayerInfo(info);
        span.event('layer.stored', { ...info, unpacked: true });
        return info;
      }
      const tap = new DiffIDTap(opts.mediaType ? layerCompression(opts.mediaType) : undefined, opts.expectedDiffID);
      const tapped = pipelineCb(source, tap, () => {});
      const { digest, size } = await this.content.write(tapped, { expected: opts.expectedDigest, span });
      const compression = tap.compression!;
      const info: LayerInfo = { digest, diffID: tap.diffID!, size, uncompressedSize: tap.uncompressedSize, mediaType: opts.mediaType ?? layerMediaType(compression) };
      await this.saveLayerInfo(info);
      span.event('layer.stored', { ...info });
      return info;
    });
  }
  // #endregion ingest

  private async saveLayerInfo(info: LayerInfo): Promise<void> {
    await mkdir(join(this.content.root, 'dockling', 'layers'), { recursive: true });
    await writeFileAtomic(this.layerInfoPath(info.digest), JSON.stringify(info) + '\n');
  }

  /** The sidecar alone, read-only: null when it was never written (`system check` must not write). */
  async knownLayerInfo(digest: Digest): Promise<LayerInfo | null> {
    return readFile(this.layerInfoPath(digest), 'utf8').then((t) => JSON.parse(t) as LayerInfo, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
  }

  /** What the store knows about a layer blob; learned again from the blob if the sidecar is missing. */
  async layerInfo(digest: Digest, mediaType?: string): Promise<LayerInfo> {
    try {
      return JSON.parse(await readFile(this.layerInfoPath(digest), 'utf8')) as LayerInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const tap = new DiffIDTap(mediaType ? layerCompression(mediaType) : undefined);
    let size = 0;
    await pipeline(this.content.createReadStream(digest), tap, async (chunks: AsyncIterable<Buffer>) => {
      for await (const c of chunks) size += c.length;
    });
    const info: LayerInfo = { digest, diffID: tap.diffID!, size, uncompressedSize: tap.uncompressedSize, mediaType: mediaType ?? layerMediaType(tap.compression!) };
    await this.saveLayerInfo(info);
    return info;
  }

  // ---- changing -----------------------------------------------------------------------------

  /** Writes config and manifest, then names the image in index.json. */
  /**
   * Stores an image: its config, a manifest over `layers`, and its names. `manifest`: the exact
   * bytes a registry served (a pull), kept as they are so that the image's manifest digest is the
   * registry's — they must describe this config and these layers, in this order.
   */
  async addImage(args: { config: ImageConfig | Buffer; layers: LayerInfo[]; names?: string[]; manifestMediaType?: string; manifest?: Buffer; parent?: Digest; span?: Span }): Promise<Image> {
    const names = (args.names ?? []).map((n) => taggedName(n));
    return this.tracer.span({ chapter: 'layers', op: 'image.add', parent: args.span, data: { names, layers: args.layers.length } }, async (span) => {
      const configBytes = Buffer.isBuffer(args.config) ? args.config : Buffer.from(JSON.stringify(args.config));
      const config = parseConfig(configBytes);
      checkDiffIDs(config, args.layers);
      const mediaType = args.manifestMediaType ?? MediaType.ociManifest;
      const family = mediaType === MediaType.dockerManifest ? 'docker' : 'oci';
      return this.lock.run('images', async () => {
        for (const l of args.layers) {
          if (!(await this.content.has(l.digest))) throw notFound('BLOB_NOT_FOUND', `layer blob not found: ${l.digest}`, { digest: l.digest });
        }
        const configDesc = await this.content.write(configBytes, { span });
        const manifest: Manifest = {
          schemaVersion: 2, mediaType,
          config: { mediaType: configMediaTypeFor(mediaType), digest: configDesc.digest, size: configDesc.size },
          layers: args.layers.map((l) => ({ mediaType: familyMediaType(l.mediaType, family), digest: l.digest, size: l.size })),
        };
        if (args.manifest) checkSameImage(args.manifest, manifest);
        const m = await this.content.write(args.manifest ?? Buffer.from(JSON.stringify(manifest)), { span });
        const desc: Descriptor = { mediaType, digest: m.digest, size: m.size };
        if (args.parent && args.parent !== configDesc.digest) await this.parents.set(configDesc.digest, args.parent);
        await this.rename(span, (entries) => placeNames(entries, { desc, id: configDesc.digest, names }));
        span.event('image.added', { id: configDesc.digest, manifest: m.digest, names, parent: args.parent ?? null });
        return this.resolve(configDesc.digest);
      });
    });
  }

  async tag(source: string, target: string, span?: Span): Promise<void> {
    const name = taggedName(target);
    await this.tracer.span({ chapter: 'layers', op: 'image.tag', parent: span, data: { source, target: name } }, async (s) => {
      await this.lock.run('images', async () => {
        const image = await this.resolve(source);
        const entries = await this.entries();
        const own = entries.find((e) => e.configDigest === image.id)!;
        await this.rename(s, (all) => placeNames(all, { desc: stripNames(own.desc), id: image.id, names: [name] }));
        s.event('image.tagged', { id: image.id, name });
      });
    });
  }

  // #region remove
  /** `docker rmi`: untag by name; delete the image (and its now-unused blobs) with its last name. */
  async remove(refOrId: string, opts: { force?: boolean; span?: Span } = {}): Promise<Array<{ Untagged?: string; Deleted?: string }>> {
    return this.tracer.span({ chapter: 'layers', op: 'image.remove', parent: opts.span, data: { ref: refOrId, force: !!opts.force } }, (span) =>
      this.lock.run('images', async () => {
        const { image, byName } = await this.find(refOrId);
        const users = await this.usageCheck(image.id);
        const short = shortId(image.id);
        const out: Array<{ Untagged?: string; Deleted?: string }> = [];
        const untag = async (names: string[]) => {
          await this.rename(span, (all) => all.filter((e) => !(e.configDigest === image.id && e.name && names.includes(e.name))));
          for (const n of names) out.push({ Untagged: familiarName(parseReference(n)) });
        };
        if (byName && image.names.length > 1) {
          await untag([byName]);
          return out;
        }
        if (!byName && !opts.force && new Set(image.names.map((n) => repositoryOf(parseReference(n)))).size > 1) {
          throw conflict('IMAGE_REFERENCED_MULTIPLE', `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`, { id: image.id, names: image.names });
        }
        if (users.length > 0 && !opts.force) {
          const message = byName
            ? `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(users[0]!)} is using its referenced image ${short}`
            : `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortId(users[0]!)}`;
          throw conflict('IMAGE_IN_USE', message, { id: image.id, containers: users });
        }
        await untag(image.names);
        // A container still uses it (forced): keep the image, now dangling, so its container
        // can still be inspected and committed; `rmi` of the container's image later frees it.
        if (users.length > 0) return out;
        await this.deleteImage(image, span);
        out.push({ Deleted: image.id });
        // A built image's untagged parents go with it, up the chain, as far as nothing else
        // needs them: no name, no other child, no container.
        for (let p = image.parent; p; ) {
          const parent = await this.find(p).then((f) => f.image, () => undefined);
          if (!parent || parent.names.length > 0 || (await this.parents.children(p)).length > 0 || (await this.usageCheck(p)).length > 0) break;
          await this.deleteImage(parent, span);
          out.push({ Deleted: p });
          p = parent.parent;
        }
        return out;
      }),
    );
  }
  // #endregion remove

  // #region sweep
  /**
   * `image prune`'s last step: deletes every blob no index.json entry leads to — left by a pull
   * or load that failed half way, or by an image removed by hand. The caller must make sure no
   * pull, load, build or commit is half done (the daemon's GcLock): their blobs are written
   * before the entry that names them. Returns the digests deleted and the bytes they held.
   */
  async removeUnreferencedBlobs(span?: Span): Promise<{ deleted: Digest[]; bytes: number }> {
    return this.tracer.span({ chapter: 'layers', op: 'blob.sweep', parent: span, data: {} }, (s) =>
      this.lock.run('images', async () => {
        const index = await this.content.readIndex();
        const keep = new Set<Digest>(index.manifests.map((d) => d.digest));
        for (const e of await this.entries(index)) {
          [e.desc.digest, e.manifestDigest, e.configDigest, ...e.manifest.layers.map((l) => l.digest)].forEach((d) => keep.add(d));
        }
        const deleted: Digest[] = [];
        let bytes = 0;
        for (const d of await this.content.list()) {
          if (keep.has(d)) continue;
          bytes += await this.content.size(d).catch(() => 0);
          await this.content.delete(d, s);
          await rm(this.layerInfoPath(d), { force: true });
          deleted.push(d);
        }
        s.event('blob.swept', { deleted: deleted.length, bytes });
        return { deleted, bytes };
      }),
    );
  }
  // #endregion sweep

  /** Drops every index entry of the image, then each of its blobs no remaining image uses. */
  private async deleteImage(image: Image, span: Span): Promise<void> {
    const mine = (await this.entries()).filter((e) => e.configDigest === image.id);
    await this.content.updateIndex((index) => ({ ...index, manifests: index.manifests.filter((d) => !mine.some((e) => e.desc.digest === d.digest)) }));
    const keep = new Set<Digest>();
    for (const e of await this.entries()) {
      [e.desc.digest, e.manifestDigest, e.configDigest, ...e.manifest.layers.map((l) => l.digest)].forEach((d) => keep.add(d));
    }
    await this.parents.forget(image.id);
    const candidates = new Set<Digest>([...mine.flatMap((e) => [e.desc.digest, e.manifestDigest]), image.id, ...image.layers.map((l) => l.digest)]);
    for (const d of candidates) {
      if (keep.has(d)) {
        span.event('blob.kept', { digest: d, reason: 'used by another image' });
        continue;
      }
      await this.content.delete(d, span);
      await rm(this.layerInfoPath(d), { force: true });
      span.event('blob.deleted', { digest: d });
    }
  }

  /** Rewrites index.json from the list of entries `fn` returns; images left with no entry become dangling. */
  private async rename(span: Span, fn: (entries: Entry[]) => Entry[]): Promise<void> {
    await this.content.updateIndex(async (index) => {
      const before = await this.entries(index);
      const after = keepDangling(before, fn(before));
      span.event('index.update', { before: before.length, after: after.length });
      const others = index.manifests.filter((d) => !before.some((e) => e.desc === d));
      return { ...index, manifests: [...others, ...after.map((e) => e.desc)] };
    });
  }
}

// ---- index.json planning: pure functions over entries ---------------------------------------

function withName(desc: Descriptor, name: string | undefined): Descriptor {
  const plain = stripNames(desc);
  if (!name) return plain;
  const ref = parseReference(name);
  const annotations: Record<string, string> = { ...(plain.annotations ?? {}), [NAME_ANNOTATION]: name };
  if (ref.tag) annotations[REF_NAME_ANNOTATION] = ref.tag;
  return { ...plain, annotations };
}

function stripNames(desc: Descriptor): Descriptor {
  const { annotations, ...rest } = desc;
  const kept = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k !== NAME_ANNOTATION && k !== REF_NAME_ANNOTATION));
  return Object.keys(kept).length ? { ...rest, annotations: kept } : rest;
}

/** Moves each name onto the image (off any other), or records it as dangling when it has none. */
function placeNames(entries: Entry[], what: { desc: Descriptor; id: Digest; names: string[] }): Entry[] {
  const kept = entries.filter((e) => !(e.name && what.names.includes(e.name)));
  const base = { manifestDigest: what.desc.digest, manifestMediaType: what.desc.mediaType, configDigest: what.id, manifest: null as unknown as Manifest };
  const added: Entry[] = what.names.map((name) => ({ ...base, desc: withName(what.desc, name), name }));
  if (added.length === 0 && !kept.some((e) => e.configDigest === what.id)) added.push({ ...base, desc: stripNames(what.desc) });
  return [...kept, ...added];
}

/** Every image that had an entry keeps one: a nameless (dangling) entry when its last name went. */
function keepDangling(before: Entry[], after: Entry[]): Entry[] {
  const out = after.filter((e) => e.name || !after.some((o) => o.name && o.configDigest === e.configDigest));
  for (const e of before) {
    if (!out.some((o) => o.configDigest === e.configDigest)) out.push({ ...e, desc: stripNames(e.desc), name: undefined });
  }
  return out.filter((e, i) => e.name || out.findIndex((o) => !o.name && o.configDigest === e.configDigest) === i);
}

function taggedName(s: string): string {
  const ref = parseReference(s);
  if (ref.digest) throw invalid('INVALID_REFERENCE', `refusing to create a tag with a digest reference: ${s}`, { value: s });
  return fullName(ref);
}

function familyMediaType(mt: string, family: 'oci' | 'docker'): string {
  const c = layerCompression(mt);
  return c === undefined || mt.includes('foreign') || mt.includes('nondistributable') ? mt : layerMediaType(c, family);
}

function checkDiffIDs(config: ImageConfig, layers: LayerInfo[]): void {
  const want = config.rootfs.diff_ids;
  if (want.length !== layers.length || want.some((d, i) => d !== layers[i]!.diffID)) {
    const i = want.findIndex((d, j) => d !== layers[j]?.diffID);
    throw invalid('DIFFID_MISMATCH', `config lists ${want.length} layers, got ${layers.length}; first difference at layer ${i}: config ${want[i] ?? 'none'}, layer ${layers[i]?.diffID ?? 'none'}`, {
      expected: want, got: layers.map((l) => l.diffID),
    });
  }
}
