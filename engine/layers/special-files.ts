// Device nodes and FIFOs in layers (chapter 1). A tar entry for /dev/null carries a type
// (character or block device) and a major/minor pair; a FIFO carries only its type. Node's fs
// has no mknod(2), so they are made with the `mknod` and `mkfifo` commands a reader could type,
// each traced. Making a device node needs CAP_MKNOD (root); FIFOs do not.
import { run } from '../base/index.js';
import type { Span } from '../trace/index.js';

export type SpecialKind = 'character-device' | 'block-device' | 'fifo';

/**
 * Splits a Linux dev_t (stat's `rdev`) into major and minor, the way glibc's gnu_dev_major /
 * gnu_dev_minor do: the low 8 bits of the minor, then 12 bits of major, then the rest of each.
 */
export function splitDev(rdev: number | bigint): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = ((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn);
  const minor = (r & 0xffn) | ((r >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}

/** Creates a device node or FIFO at `path` (which must not exist), mode as given (umask aside). */
export async function makeSpecialFile(args: {
  path: string;
  kind: SpecialKind;
  mode: number;
  major?: number;
  minor?: number;
  span?: Span;
}): Promise<void> {
  const mode = (args.mode & 0o7777).toString(8);
  const argv =
    args.kind === 'fifo'
      ? ['mkfifo', '-m', mode, '--', args.path]
      : ['mknod', '-m', mode, '--', args.path, args.kind === 'block-device' ? 'b' : 'c', String(args.major ?? 0), String(args.minor ?? 0)];
  await run(argv, { span: args.span });
}
