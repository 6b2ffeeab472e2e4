// Chapter 1: reading a layer without writing it anywhere — every entry's name checked by the
// unpack's own rules (tar-safety.ts), its digests counted — for `docker import`, which stores a
// tar as a layer without unpacking it. Without the scan, random bytes became an image whose
// only layer failed at the first `run`; now they fail the import (issue 9).
import type { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import type { LayerDigests } from './types.js';
import type { Compression } from './media-types.js';
import { openLayerStream, tarError } from './layer-stream.js';
import { cleanEntryName } from './tar-safety.js';

export async function scanLayer(source: Readable): Promise<LayerDigests & { compression: Compression }> {
  const layer = await openLayerStream(source);
  const extract = tarExtract();
  layer.onFailure((err) => extract.destroy(err));
  layer.tar.pipe(extract);
  const seen = { entries: 0, bytes: 0 };
  layer.tar.on('data', (b: Buffer) => (seen.bytes += b.length));
  try {
    for await (const entry of extract) {
      seen.entries++;
      cleanEntryName(entry.header.name);
      entry.resume();
    }
  } catch (err) {
    throw layer.failure() ?? tarError(err, seen);
  } finally {
    layer.destroy();
  }
  if (layer.failure()) throw layer.failure();
  return { ...layer.digests(), compression: layer.compression };
}
