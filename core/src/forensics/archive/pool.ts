/** Bounded concurrency: `fn` over `items`, at most `limit` at a time, results in input order. */

/**
 * Runs `fn` over every item with at most `limit` calls in flight and returns the results in the
 * items' order. The first failure stops handing out new items and is thrown once the calls in
 * flight have settled (nothing keeps running after this returns).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results;
}
