/**
 * Merges several pull-based batch producers (one list+watch per namespace) into one stream.
 * Each producer has at most one pull outstanding, so backpressure is kept: nothing is
 * prefetched beyond what each producer buffers itself.
 */

/** Pulls up to `max` items; null when the producer has ended. */
export type BatchPull<T> = (max: number) => Promise<T[] | null>;

type Settled<T> = { index: number; ok: true; value: T[] | null } | { index: number; ok: false; error: unknown };

/** Yields `{ index, items }` as producers deliver; ends when all have ended; throws the first error. */
export async function* mergeBatches<T>(pulls: readonly BatchPull<T>[], max: number): AsyncGenerator<{ index: number; items: T[] }> {
  const pending = new Map<number, Promise<Settled<T>>>();
  const pull = (index: number): void => {
    // Settled objects never reject, so an abandoned pull cannot become an unhandled rejection.
    pending.set(
      index,
      pulls[index]!(max).then(
        (value): Settled<T> => ({ index, ok: true, value }),
        (error: unknown): Settled<T> => ({ index, ok: false, error }),
      ),
    );
  };
  pulls.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const s = await Promise.race(pending.values());
    pending.delete(s.index);
    if (!s.ok) throw s.error;
    if (s.value === null) continue;
    yield { index: s.index, items: s.value };
    pull(s.index);
  }
}
