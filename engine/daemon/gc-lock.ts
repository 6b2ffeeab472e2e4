// The garbage collector's lock (issue 9): what `image prune`, `system prune` and `rmi` remove
// is decided from a picture of the store — which images exist, which blobs and snapshots they
// name — and that picture is wrong while a pull, load, build, commit or create is half done:
// their blobs are written before the image that names them, their snapshots are committed
// before the container that stands on them. containerd solves this with leases on each object;
// Dockling uses one shared/exclusive lock, which is coarser but easy to see whole:
//   - every request that writes new objects holds it *shared* (many at once);
//   - a collection holds it *exclusive*, so it starts only when no writer is half done, and
//     writers that arrive meanwhile wait for it (no writer can starve a prune, nor the reverse).
import type { Route } from './http/router.js';

export class GcLock {
  private writers = 0;
  private collecting = false;
  private readonly queue: Array<{ exclusive: boolean; wake: () => void }> = [];

  /** Runs `fn` beside other writers, never during a collection. */
  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold(false, fn);
  }

  /** Runs `fn` alone: no writer is half done while it runs. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold(true, fn);
  }

  private async hold<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    if (!this.canEnter(exclusive)) await new Promise<void>((wake) => this.queue.push({ exclusive, wake }));
    else this.enter(exclusive);
    try {
      return await fn();
    } finally {
      if (exclusive) this.collecting = false;
      else this.writers--;
      this.admit();
    }
  }

  // First come, first served: nobody enters past a waiter, so a waiting prune is not overtaken.
  private canEnter(exclusive: boolean): boolean {
    if (this.queue.length > 0 || this.collecting) return false;
    return !exclusive || this.writers === 0;
  }

  private enter(exclusive: boolean): void {
    if (exclusive) this.collecting = true;
    else this.writers++;
  }

  /** Lets in waiters from the front: a run of writers together, or one collection. */
  private admit(): void {
    while (this.queue.length > 0 && !this.collecting) {
      const next = this.queue[0]!;
      if (next.exclusive && this.writers > 0) return;
      this.queue.shift();
      this.enter(next.exclusive);
      next.wake();
    }
  }
}

/** The routes that write images, blobs or snapshots: each request holds the lock shared. */
const WRITERS: Array<[string, RegExp]> = [
  ['POST', /^\/images\/create$/], // pull and import
  ['POST', /^\/images\/load$/],
  ['POST', /^\/build$/],
  ['POST', /^\/commit$/],
  ['POST', /^\/containers\/create$/],
  ['GET', /^\/images\/get$/], // save and push read blobs a collection would otherwise delete under them
  ['GET', /^\/images\/(.+)\/get$/],
  ['POST', /^\/images\/(.+)\/push$/],
  ['POST', /^\/dockling\/base-image$/],
];

/**
 * Routes that remove images and layers, or containers in bulk: each request holds the lock
 * exclusive. Container prune is here because a build's step containers are stopped containers
 * too, made and committed while the build request runs: a prune meanwhile took them (found by
 * test/reliability/gc-concurrency.test.ts).
 */
const COLLECTORS: Array<[string, RegExp]> = [
  ['POST', /^\/images\/prune$/],
  ['POST', /^\/containers\/prune$/],
  ['DELETE', /^\/images\/(.+)$/],
];

const listed = (list: Array<[string, RegExp]>, r: { method: string | string[]; pattern: RegExp }) =>
  list.some(([m, p]) => p.source === r.pattern.source && (Array.isArray(r.method) ? r.method.includes(m) : r.method === m));

// A writer that failed half way may have stored whole blobs no image names (a pull's config and
// finished layers). It cannot delete them itself: while it holds the lock shared, another writer
// may be about to name the same blobs. So it hands a tidy-up to its request, which runs under
// the lock held exclusive once the request has let go of its shared hold — and before the
// failure is answered, so the client sees the store as it was.
const tidyUps = new WeakMap<object, Array<() => Promise<void>>>();

/** From inside a writer route: runs `fn` exclusive after the handler. False when `req` is not a guarded writer's. */
export function afterWriting(req: object, fn: () => Promise<void>): boolean {
  const list = tidyUps.get(req);
  if (!list) return false;
  list.push(fn);
  return true;
}

/** The route table with the writers and the collectors wrapped in the engine's lock. */
export function guardedByGc<E extends { gc: GcLock }>(routes: Route<E>[]): Route<E>[] {
  return routes.map((r) => {
    if (listed(COLLECTORS, r)) return { ...r, handler: (ctx) => ctx.engine.gc.exclusive(async () => r.handler(ctx)) };
    if (!listed(WRITERS, r)) return r;
    return {
      ...r,
      handler: async (ctx) => {
        const tidy: Array<() => Promise<void>> = [];
        tidyUps.set(ctx.req, tidy);
        try {
          await ctx.engine.gc.shared(async () => r.handler(ctx));
        } finally {
          tidyUps.delete(ctx.req);
          if (tidy.length) await ctx.engine.gc.exclusive(async () => { for (const fn of tidy) await fn(); });
        }
      },
    };
  });
}
