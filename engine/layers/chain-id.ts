// Chain IDs: a name for "this layer on top of exactly these layers below it" (image-spec
// config.md, "Layer ChainID"). Chapter 1; chapter 2 names unpacked layer snapshots by it, so
// two images sharing their bottom layers share those snapshots too.
//   ChainID(L0)      = DiffID(L0)
//   ChainID(L0..Ln)  = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))
import { parseDigest, sha256 } from './digest.js';
import type { Digest } from './types.js';

/** The chain ID of the whole stack (the top layer with everything below it). */
export function chainID(diffIDs: Digest[]): Digest {
  const ids = chainIDs(diffIDs);
  if (ids.length === 0) throw new RangeError('chainID of an empty layer list');
  return ids[ids.length - 1]!;
}

/** The chain ID of every prefix of the stack, bottom first. */
export function chainIDs(diffIDs: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIDs) {
    parseDigest(d, 'diffID');
    const below = out[out.length - 1];
    out.push(below === undefined ? d : sha256(`${below} ${d}`));
  }
  return out;
}
