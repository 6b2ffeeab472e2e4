// One download of a blob at a time, across every pull of one client (chapter 4). Two `docker
// pull`s of the same image at once, or of two images sharing a base layer, would otherwise each
// GET every blob the store does not have yet: both look before either has written. dockerd's
// download manager shares the transfer; here the second pull waits for the first one's download
// of that digest, looks again, and finds the blob stored ("Already exists" after all). Should the
// first download fail, the one waiting fetches it itself.
import type { Digest } from '../../layers/index.js';

export class BlobFetches {
  private readonly running = new Map<Digest, Promise<void>>();

  /**
   * `fetch()` the blob, unless another pull is fetching it: then wait for that, and when
   * `stored()` says it arrived, `found()` instead. No await between the look and the claim, so
   * two callers never both fetch.
   */
  async once<T>(digest: Digest, a: { stored: () => Promise<boolean>; fetch: () => Promise<T>; found: () => Promise<T> }): Promise<T> {
    for (let other = this.running.get(digest); other; other = this.running.get(digest)) {
      await other;
      if (await a.stored()) return a.found();
    }
    let done!: () => void;
    this.running.set(digest, new Promise<void>((r) => (done = r)));
    try {
      return await a.fetch();
    } finally {
      this.running.delete(digest);
      done();
    }
  }

  /** Digests being downloaded now (for tests and the trace). */
  get size(): number {
    return this.running.size;
  }
}
