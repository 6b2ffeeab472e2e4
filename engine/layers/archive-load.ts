// `docker load`: a docker-archive (manifest.json) or an OCI image layout tar (index.json), gzip
// or not, into the store. Chapter 1. The archive is untrusted: it is unpacked to a temp dir under
// flat numbered names (so no entry can land outside it), every blob and every layer's diffID is
// checked, and only when all of it verified does anything reach the store.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { invalid, storageFailure, tempDir } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { ContentStore } from './content-store.js';
import { DigestStream, isDigest } from './digest.js';
import { DiffIDTap } from './diffid-tap.js';
import { NAME_ANNOTATION, REF_NAME_ANNOTATION, type ImageStore } from './image-store.js';
import { parseConfig, parseDocument, selectPlatform } from './manifest.js';
import { sniffCompression } from './media-types.js';
import { familiarName, fullName, parseReference } from './reference.js';
import type { Descriptor, Digest, Image } from './types.js';

interface ArchiveFile { file: string; digest: Digest; size: number }
/** What the archive holds: regular files by normalised path, and links (never made on disk). */
interface Archive { files: Map<string, ArchiveFile>; links: Map<string, string> }
interface PlannedLayer { file: string; digest: Digest; diffID: Digest; mediaType?: string }
interface PlannedImage { config: Buffer; configDigest: Digest; layers: PlannedLayer[]; names: string[] }

const bad = (why: string, data: Record<string, unknown>) => invalid('ARCHIVE_BAD_ENTRY', `bad archive entry: ${why}`, data);

/** An archive path made canonical; `..` out of the archive or an absolute path is refused. */
function clean(name: string, from?: string): string {
  const joined = from ? posix.join(posix.dirname(from), name) : name;
  const n = posix.normalize(joined).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (posix.isAbsolute(name) || n === '..' || n.startsWith('../') || n === '' || n === '.') {
    throw bad(`${JSON.stringify(name)} points outside the archive`, { name });
  }
  return n;
}

async function gunzipIfNeeded(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  const stream = Readable.from(all(), { objectMode: false });
  return sniffCompression(head) === 'gzip' ? stream.pipe(createGunzip()) : stream;
}

// #region extract
/** Unpacks the tar to `dir` as 0, 1, 2 …, hashing each file as it lands. */
async function unpackArchive(input: Readable, dir: string, span: Span): Promise<Archive> {
  const archive: Archive = { files: new Map(), links: new Map() };
  const tar = extract();
  const source = await gunzipIfNeeded(input);
  const feeding = pipeline(source, tar);
  // A refused entry ends the loop below early; the pipeline then fails with "premature close",
  // which says nothing new: the refusal is the error to report.
  feeding.catch(() => {});
  for await (const e of tar) {
    const h = e.header;
    if (h.type === 'directory' && ['.', './', ''].includes(h.name)) {
      e.resume(); // `tar -C layout -cf x.tar .` starts with the layout's own directory
      continue;
    }
    const name = clean(h.name);
    if (h.type === 'file' || h.type === 'contiguous-file') {
      const file = join(dir, String(archive.files.size));
      const hasher = new DigestStream();
      await pipeline(e, hasher, createWriteStream(file, { flags: 'wx' })).catch((err: unknown) => {
        throw storageFailure(err, { path: file, code: 'ARCHIVE_SPOOL' });
      });
      archive.files.set(name, { file, digest: hasher.digest(), size: hasher.bytes });
    } else if (h.type === 'symlink' || h.type === 'link') {
      // skopeo writes legacy `<id>/layer.tar` as a symlink to `../<diffID>.tar`: allowed inside the archive only
      const target = h.type === 'symlink' ? clean(h.linkname ?? '', name) : clean(h.linkname ?? '');
      archive.links.set(name, target);
      e.resume();
    } else if (h.type === 'directory') {
      e.resume();
    } else {
      throw bad(`${JSON.stringify(h.name)} is a ${h.type}; only files, directories and links belong in an image archive`, { name: h.name, type: h.type });
    }
  }
  await feeding;
  span.event('archive.unpacked', { files: archive.files.size, links: archive.links.size });
  return archive;
}
// #endregion extract

function lookup(archive: Archive, path: string): ArchiveFile {
  let p = clean(path);
  for (let hops = 0; hops < 16; hops++) {
    const f = archive.files.get(p);
    if (f) return f;
    const next = archive.links.get(p);
    if (!next) break;
    p = next;
  }
  throw invalid('ARCHIVE_MISSING_FILE', `the archive has no file ${JSON.stringify(path)}`, { path });
}

// #region named-digest
/** Files named after a digest (blobs/sha256/<hex>, <hex>.tar, <hex>.json) must hash to it. */
function checkNamedDigest(path: string, f: ArchiveFile): void {
  const m = /(?:^|\/)(?:sha256\/)?([a-f0-9]{64})(?:\.tar|\.json)?$/.exec(path);
  if (m && `sha256:${m[1]}` !== f.digest) {
    throw invalid('DIGEST_MISMATCH', `archive file ${path} should have digest sha256:${m[1]}, has ${f.digest}`, { path, expected: `sha256:${m[1]}`, digest: f.digest });
  }
}
// #endregion named-digest

async function diffIDOf(f: ArchiveFile): Promise<Digest> {
  const tap = new DiffIDTap();
  await pipeline(createReadStream(f.file), tap, async (chunks: AsyncIterable<Buffer>) => { for await (const _ of chunks) void _; });
  return tap.diffID!;
}

async function planLayers(configBytes: Buffer, files: Array<{ path: string; f: ArchiveFile; mediaType?: string }>): Promise<PlannedLayer[]> {
  const config = parseConfig(configBytes);
  const want = config.rootfs.diff_ids;
  if (want.length !== files.length) {
    throw invalid('DIFFID_MISMATCH', `config lists ${want.length} layers but the archive gives ${files.length}`, { expected: want.length, got: files.length });
  }
  const layers: PlannedLayer[] = [];
  for (const [i, { path, f, mediaType }] of files.entries()) {
    const diffID = await diffIDOf(f);
    if (diffID !== want[i]) {
      throw invalid('DIFFID_MISMATCH', `layer ${i} (${path}) has diffID ${diffID}, the config says ${want[i]}`, { path, expected: want[i], diffID });
    }
    layers.push({ file: f.file, digest: f.digest, diffID, ...(mediaType ? { mediaType } : {}) });
  }
  return layers;
}

function checkedNames(names: string[]): string[] {
  return names.map((n) => {
    const ref = parseReference(n);
    if (ref.digest || !ref.tag) throw invalid('INVALID_REFERENCE', `archive names ${JSON.stringify(n)}, which is not a tagged name`, { value: n });
    return fullName(ref);
  });
}

/** docker-archive: manifest.json lists Config, RepoTags and Layers by path. */
async function planDockerArchive(archive: Archive, manifestFile: ArchiveFile): Promise<PlannedImage[]> {
  let items: Array<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }>;
  try {
    items = JSON.parse(await readFile(manifestFile.file, 'utf8'));
  } catch (err) {
    throw invalid('INVALID_ARCHIVE', `manifest.json is not valid JSON: ${(err as Error).message}`, {}, err);
  }
  if (!Array.isArray(items)) throw invalid('INVALID_ARCHIVE', 'manifest.json must be an array', {});
  const plans: PlannedImage[] = [];
  for (const item of items) {
    if (typeof item?.Config !== 'string' || !Array.isArray(item.Layers) || item.Layers.some((l) => typeof l !== 'string')) {
      throw invalid('INVALID_ARCHIVE', 'manifest.json entry needs Config (string) and Layers (strings)', {});
    }
    const cf = lookup(archive, item.Config);
    checkNamedDigest(item.Config, cf);
    const config = await readFile(cf.file);
    const layers = await planLayers(config, (item.Layers as string[]).map((path) => {
      const f = lookup(archive, path);
      checkNamedDigest(path, f);
      return { path, f };
    }));
    const tags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    plans.push({ config, configDigest: cf.digest, layers, names: checkedNames(tags) });
  }
  return plans;
}

function blob(archive: Archive, d: Descriptor): ArchiveFile {
  if (!isDigest(d.digest)) throw invalid('INVALID_DIGEST', `bad digest ${JSON.stringify(d.digest)} in the archive's index`, { digest: d.digest });
  const path = `blobs/sha256/${d.digest.slice(7)}`;
  const f = lookup(archive, path);
  if (f.digest !== d.digest) throw invalid('DIGEST_MISMATCH', `blob ${path} has digest ${f.digest}, expected ${d.digest}`, { path, expected: d.digest, digest: f.digest });
  if (f.size !== d.size) throw invalid('SIZE_MISMATCH', `blob ${path} has ${f.size} bytes, expected ${d.size}`, { path, expectedSize: d.size, size: f.size });
  return f;
}

/** The name an OCI layout entry carries: containerd's annotation, or ref.name when it is a full reference. */
function ociName(d: Descriptor): string[] {
  const full = d.annotations?.[NAME_ANNOTATION];
  if (full) return [full];
  const ref = d.annotations?.[REF_NAME_ANNOTATION];
  if (ref && /[/:]/.test(ref)) {
    try {
      if (parseReference(ref).tag) return [ref];
    } catch {
      return [];
    }
  }
  return [];
}

/** OCI layout: index.json → (index →) manifest → config and layers, each blob checked. */
async function planOCILayout(archive: Archive, indexFile: ArchiveFile): Promise<PlannedImage[]> {
  const top = parseDocument(await readFile(indexFile.file));
  if (top.kind !== 'index') throw invalid('INVALID_ARCHIVE', 'index.json is not an image index', {});
  const plans: PlannedImage[] = [];
  for (const desc of top.index.manifests) {
    let doc = parseDocument(await readFile(blob(archive, desc).file));
    if (doc.kind === 'index') doc = parseDocument(await readFile(blob(archive, selectPlatform(doc.index)).file));
    if (doc.kind !== 'manifest') throw invalid('INVALID_ARCHIVE', 'nested indexes are not supported', {});
    const m = doc.manifest;
    const cf = blob(archive, m.config);
    const config = await readFile(cf.file);
    const layers = await planLayers(config, m.layers.map((l) => ({ path: l.digest, f: blob(archive, l), mediaType: l.mediaType })));
    const names = checkedNames(ociName(desc));
    const same = plans.find((p) => p.configDigest === cf.digest);
    if (same) same.names.push(...names.filter((n) => !same.names.includes(n)));
    else plans.push({ config, configDigest: cf.digest, layers, names });
  }
  return plans;
}

// #region load
export async function loadArchive(args: { store: ImageStore; content: ContentStore; input: Readable; tmpRoot: string; span?: Span }): Promise<{ images: Image[]; messages: string[] }> {
  const { store } = args;
  return store.tracer.span({ chapter: 'layers', op: 'image.load', parent: args.span }, async (span) => {
    const tmp = await tempDir(args.tmpRoot, 'load-');
    try {
      // 1. unpack to flat files, hashing as they land
      const archive = await unpackArchive(args.input, tmp.path, span);
      // 2. check everything, touching nothing in the store
      const manifestJson = archive.files.get('manifest.json');
      const indexJson = archive.files.get('index.json');
      let plans: PlannedImage[];
      if (manifestJson) plans = await planDockerArchive(archive, manifestJson);
      else if (indexJson && archive.files.has('oci-layout')) plans = await planOCILayout(archive, indexJson);
      else throw invalid('INVALID_ARCHIVE', 'not an image archive: neither manifest.json (docker save) nor oci-layout + index.json (OCI layout)', {});
      if (plans.length === 0) throw invalid('INVALID_ARCHIVE', 'the archive holds no images', {});
      span.event('archive.verified', { format: manifestJson ? 'docker-archive' : 'oci-layout', images: plans.length });
      // 3. only now: layers, configs, manifests and names into the store
      const images: Image[] = [];
      const messages: string[] = [];
      for (const plan of plans) {
        const layers = [];
        for (const l of plan.layers) {
          layers.push(await store.ingestLayer(createReadStream(l.file), { expectedDigest: l.digest, expectedDiffID: l.diffID, mediaType: l.mediaType, span }));
        }
        const image = await store.addImage({ config: plan.config, layers, names: plan.names, span });
        images.push(image);
        if (plan.names.length === 0) messages.push(`Loaded image ID: ${image.id}`);
        for (const n of plan.names) messages.push(`Loaded image: ${familiarName(parseReference(n))}`);
      }
      span.event('image.loaded', { ids: images.map((i) => i.id), messages });
      return { images, messages };
    } finally {
      await tmp.remove();
    }
  });
}
// #endregion load
