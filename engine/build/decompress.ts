// Compressed tars in a build (chapter 5): a context may come gzipped (`docker build
// --compress`), and `ADD app.tar.xz /srv/` unpacks a local archive in any of the compressions
// Docker recognises. Compression is told from the first bytes, never from a file name:
//
//   gzip 1f 8b 08    bzip2 "BZh"    xz fd "7zXZ" 00    zstd 28 b5 2f fd
//
// Node's zlib does gzip in-process. bzip2, xz and zstd are done by the host's own tools
// (Debian's bzip2, xz-utils and zstd), run as the command a reader would type —
// `xz -dc a.tar.xz > /tmp/…/a.tar` — through base's run(), so they are traced.
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalid, run } from '../base/index.js';
import type { Span } from '../trace/index.js';

export type ArchiveCompression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** The compression the first bytes announce (moby's compression.Detect). */
export function sniffArchive(head: Uint8Array): ArchiveCompression {
  const starts = (...magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0x1f, 0x8b, 0x08)) return 'gzip';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  // A zstd stream may also open with a skippable frame: magic 0x184D2A5? little-endian.
  if (head.length >= 8 && (head[0]! & 0xf0) === 0x50 && starts(head[0]!, 0x2a, 0x4d, 0x18)) return 'zstd';
  return 'none';
}

/**
 * A stream's tar bytes: the first bytes are read to sniff the compression, then handed on with
 * the rest; gzip is undone here, any other compression is reported for the caller to refuse.
 */
export async function openTarStream(input: Readable): Promise<{ tar: Readable; compression: ArchiveCompression }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 8 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else {
      head.push(r.value);
      len += r.value.length;
    }
  }
  const first = Buffer.concat(head);
  const all = Readable.from(
    (async function* () {
      if (first.length) yield first;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })(),
    { objectMode: false },
  );
  const compression = sniffArchive(first);
  if (compression !== 'gzip') return { tar: all, compression };
  const gunzip = createGunzip();
  all.on('error', (err) => gunzip.destroy(err));
  return { tar: all.pipe(gunzip), compression };
}

/** The first `n` bytes of a file. */
export function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

const TOOLS: Record<'bzip2' | 'xz' | 'zstd', string> = { bzip2: 'bzip2 -dc', xz: 'xz -dc', zstd: 'zstd -dcq' };

/**
 * A compressed file undone with the host's tool into a file under `tmpRoot` (bzip2, xz, zstd).
 * Returns null when the tool fails: the bytes were not that compression after all, and ADD then
 * copies the file as it is (as Docker does when decompressing fails).
 */
export async function decompressWithTool(args: { path: string; compression: 'bzip2' | 'xz' | 'zstd'; tmpRoot: string; span?: Span }): Promise<string | null> {
  const out = join(args.tmpRoot, `add-${randomBytes(6).toString('hex')}.tar`);
  const r = await run(['sh', '-c', `${TOOLS[args.compression]} -- "$1" > "$2"`, 'sh', args.path, out], { span: args.span, allowFailure: true });
  if (r.status === 0) return out;
  rmSync(out, { force: true });
  if (r.status === 127) throw invalid('ADD_DECOMPRESS_UNAVAILABLE', `ADD of a ${args.compression} archive needs the ${TOOLS[args.compression].split(' ')[0]} command on the host`, { path: args.path });
  return null;
}
