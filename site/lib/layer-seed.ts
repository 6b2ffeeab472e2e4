// The layer stack's starting point in live mode (issue 7): the images the daemon already had
// when the page connected, as GET /state/images lists them (live-state.ts). A live trace starts
// mid-way, so these have no events; the stack draws them first and the events after the
// snapshot on top. In a replay there is no snapshot and this is never called.
import type { LiveState, StateImage } from './live-state.js';

export interface SeedLayer {
  diffID: string;
  size: number;
  createdBy: string;
}

export interface SeedImage {
  id: string;
  /** Full names, as the engine stores them (`docker.io/library/busybox:latest`). */
  names: string[];
  /** diffIDs, bottom-up. */
  layers: SeedLayer[];
}

/**
 * What made each layer, from GET /images/{id}/history: its rows are newest first, one per
 * history entry, and an entry that made no layer (ENV, CMD …) has Size 0 — a layer is a tar,
 * never 0 bytes. When the rows that have a size do not pair one to one with the layers (an
 * image with no history), the layers stay unlabelled rather than mislabelled.
 */
function labels(image: StateImage): string[] {
  const made = [...image.History].reverse().filter((h) => (h.Size ?? 0) > 0);
  if (made.length !== image.Layers.length) return image.Layers.map(() => '');
  return made.map((h) => h.CreatedBy ?? '');
}

export function seedImages(state: LiveState | null, normalize: (ref: string) => string): SeedImage[] {
  return (state?.images ?? []).map((image) => {
    const createdBy = labels(image);
    return {
      id: image.Id,
      names: (image.Inspect.RepoTags ?? []).map(normalize),
      layers: image.Layers.map((l, i) => ({ diffID: l.diffID, size: l.uncompressedSize ?? l.size, createdBy: createdBy[i] ?? '' })),
    };
  });
}
