/**
 * Merges chunk streams into one source stream (the events plus the Services' change records,
 * see `runtime/kubernetes-stack.ts`), keeping each stream's own backpressure.
 */
import type { SourceContext, SourceItem } from './types.js';

/**
 * Interleaves chunk streams as they produce. One pull outstanding per stream, so each keeps its
 * own backpressure. Ends when the first stream (the events) ends; throws its errors.
 */
export async function* mergeStreams(streams: readonly AsyncIterable<readonly SourceItem[]>[], ctx: SourceContext): AsyncGenerator<readonly SourceItem[]> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  type Next = { index: number; result: IteratorResult<readonly SourceItem[]> };
  const pending = new Map<number, Promise<Next>>();
  const pull = (index: number) =>
    pending.set(
      index,
      iterators[index]!.next().then((result) => ({ index, result })),
    );
  iterators.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0 && !ctx.signal.aborted) {
      const { index, result } = await Promise.race(pending.values());
      pending.delete(index);
      if (result.done) {
        if (index === 0) return;
        continue;
      }
      yield result.value;
      pull(index);
    }
  } finally {
    // Not awaited: a generator with a pull outstanding only returns once that pull settles.
    for (const it of iterators) void it.return?.()?.catch(() => {});
  }
}
