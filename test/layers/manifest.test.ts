// Manifests, indexes and configs: OCI and Docker schema 2 parse, schema 1 is refused by name,
// and an index is narrowed to the host's platform.
import { describe, expect, it } from 'vitest';
import { hostPlatform, parseConfig, parseDocument, parseIndex, parseManifest, selectPlatform } from '../../engine/layers/manifest.js';
import { chainID, chainIDs } from '../../engine/layers/chain-id.js';
import { sha256 } from '../../engine/layers/digest.js';
import { MediaType } from '../../engine/layers/media-types.js';
import type { ImageIndex } from '../../engine/layers/types.js';

const d = (s: string) => sha256(s);
const oci = {
  schemaVersion: 2, mediaType: MediaType.ociManifest,
  config: { mediaType: MediaType.ociConfig, digest: d('c'), size: 10 },
  layers: [{ mediaType: MediaType.ociLayerGzip, digest: d('l'), size: 20 }],
};
const docker = {
  schemaVersion: 2, mediaType: MediaType.dockerManifest,
  config: { mediaType: MediaType.dockerConfig, digest: d('c'), size: 10 },
  layers: [{ mediaType: MediaType.dockerLayerGzip, digest: d('l'), size: 20 }],
};
const entry = (arch: string, variant?: string, os = 'linux') => ({
  mediaType: MediaType.ociManifest, digest: d(arch + (variant ?? '') + os), size: 1,
  platform: { os, architecture: arch, ...(variant ? { variant } : {}) },
});

describe('manifests', () => {
  it('parses OCI and Docker schema 2, from bytes or objects', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(oci))).layers[0]!.digest).toBe(d('l'));
    expect(parseManifest(docker).config.mediaType).toBe(MediaType.dockerConfig);
    expect(parseDocument(JSON.stringify(oci)).kind).toBe('manifest');
    const { mediaType: _, ...bare } = oci;
    expect(parseDocument(bare).kind).toBe('manifest');
    expect(parseDocument({ schemaVersion: 2, manifests: [] }).kind).toBe('index');
  });

  it('refuses schema 1 by name', () => {
    const s1 = { schemaVersion: 1, name: 'library/busybox', tag: 'latest', fsLayers: [], history: [], signatures: [] };
    expect(() => parseDocument(s1)).toThrow(expect.objectContaining({ code: 'SCHEMA1_UNSUPPORTED' }));
    expect(() => parseManifest({ ...s1, mediaType: MediaType.dockerSchema1Signed })).toThrow(expect.objectContaining({ code: 'SCHEMA1_UNSUPPORTED' }));
  });

  it.each([
    ['not json', '{'],
    ['bad digest', { ...oci, config: { ...oci.config, digest: 'sha256:../x' } }],
    ['no layers', { ...oci, layers: undefined }],
    ['negative size', { ...oci, layers: [{ ...oci.layers[0], size: -1 }] }],
    ['schemaVersion 3', { ...oci, schemaVersion: 3 }],
  ])('refuses a manifest with %s', (_why, doc) => {
    expect(() => parseManifest(doc as object)).toThrow(expect.objectContaining({ code: 'INVALID_MANIFEST' }));
  });

  it('parses configs and refuses ones without rootfs', () => {
    const cfg = parseConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [d('a')] } });
    expect(cfg.rootfs.diff_ids).toEqual([d('a')]);
    expect(() => parseConfig({ architecture: 'amd64', os: 'linux' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => parseConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['x'] } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('platform selection', () => {
  const index: ImageIndex = parseIndex({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [entry('unknown', undefined, 'unknown'), entry('arm', 'v7'), entry('arm64', 'v8'), entry('amd64'), entry('s390x')],
  });

  it('maps Node\'s arch to OCI words', () => {
    const p = hostPlatform();
    if (process.arch === 'x64') expect(p).toEqual({ os: 'linux', architecture: 'amd64' });
    if (process.arch === 'arm64') expect(p).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('picks the host platform, and others on request', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).platform!.architecture).toBe('amd64');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).platform!.architecture).toBe('arm64');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).platform!.variant).toBe('v7');
    expect(selectPlatform(index).platform!.architecture).toBe(hostPlatform().architecture);
  });

  it('accepts an arm64 entry without a variant', () => {
    const noVariant = parseIndex({ schemaVersion: 2, manifests: [entry('arm64')] });
    expect(selectPlatform(noVariant, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBeDefined();
  });

  it('says what it has when nothing matches', () => {
    expect(() => selectPlatform(index, { os: 'windows', architecture: 'amd64' })).toThrow(expect.objectContaining({ code: 'NO_MATCHING_PLATFORM' }));
  });
});

describe('chain IDs', () => {
  it('follows image-spec config.md', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    expect(chainID([a])).toBe(a);
    const ab = sha256(`${a} ${b}`);
    expect(chainIDs([a, b, c])).toEqual([a, ab, sha256(`${ab} ${c}`)]);
  });
});
