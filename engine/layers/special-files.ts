// Device nodes and FIFOs in layers (chapter 1). A tar entry for /dev/null carries a type
// (character or block device) and a major/minor pair; a FIFO carries only its type. Node's fs
// has no mknod(2), so they are made with the `mknod` and `mkfifo` commands a reader could type,
// each traced. Making a device node needs CAP_MKNOD (root); FIFOs do not.
import { run } from '../base/index.js';
import type { Span } from '../trace/index.js';

export { splitDev } from '../base/index.js';

export type SpecialKind = 'character-device' | 'block-device' | 'fifo';

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
