// Chapter 1, layers: the public surface other chapters import. Content-addressed blobs in an
// OCI image layout, layer tarballs packed and unpacked with both digests, whiteouts, images
// (manifest + config + layers) with names, and the archive formats that move them.
export type {
  Digest, Platform, Descriptor, ContainerConfig, HistoryEntry, ImageConfig, Manifest, ImageIndex,
  Reference, LayerInfo, Image, LayerDigests,
} from './types.js';
export { isDigest, parseDigest, sha256, hexOf, shortId, DigestStream } from './digest.js';
export { MediaType, isManifest, isIndex, isSchema1, layerCompression, layerMediaType, sniffCompression } from './media-types.js';
export type { Compression } from './media-types.js';
export { ContentStore } from './content-store.js';
export { parseReference, fullName, familiarName, familiarRepository, repositoryOf } from './reference.js';
export { parseDocument, parseManifest, parseIndex, parseConfig, hostPlatform, selectPlatform, platformString } from './manifest.js';
export { chainID, chainIDs } from './chain-id.js';
export { ImageStore, NAME_ANNOTATION, REF_NAME_ANNOTATION } from './image-store.js';
export type { HistoryRow } from './image-store.js';
export { packLayer } from './pack.js';
export type { Change, PackOptions, PackResult } from './pack.js';
export { unpackLayer } from './unpack.js';
export type { UnpackOptions, UnpackResult } from './unpack.js';
export { OPAQUE_MARKER, WHITEOUT_PREFIX, OVERLAY_OPAQUE_XATTR, classifyWhiteout, whiteoutEntryName, opaqueEntryName, isOverlayWhiteout, isOverlayOpaque } from './whiteouts.js';
export type { WriteOptions } from './content-store.js';
export { configMediaTypeFor } from './manifest.js';
export type { ParsedDocument } from './manifest.js';
export { DiffIDTap } from './diffid-tap.js';
// `dockling system check`: the content and image stores, read-only (issue 9).
export { checkBlobs, checkContentStore } from './store-check.js';
export type { ContentCheck, StoreProblem } from './store-check.js';
export { saveImages } from './archive-save.js';
export { loadArchive } from './archive-load.js';
export { importImage, applyChange, splitWords } from './import.js';
export { makeBaseImage, isStaticElf, busyboxTree, hostShellTree, parseLdd } from './base-image.js';
export type { TreeEntry } from './base-image.js';
export { cleanEntryName, cleanHardlinkTarget, checkSymlinkTarget } from './tar-safety.js';
