// A few at a time (chapter 4): layers download and upload in parallel, but only `limit` at once,
// like dockerd's max-concurrent-downloads. When one fails no new one starts, and the call
// returns only once those already running have settled, so nothing goes on writing to the store
// after a failed pull has returned.

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** An AbortController that also aborts when `outer` does: one failure can stop its siblings. */
export function linkedAbort(outer?: AbortSignal): AbortController {
  const inner = new AbortController();
  if (outer?.aborted) inner.abort(outer.reason);
  else outer?.addEventListener('abort', () => inner.abort(outer.reason), { once: true });
  return inner;
}
