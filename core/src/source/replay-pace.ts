/**
 * Paces a stream at a fixed number of events per second with timers. Due times are computed
 * from the start (not from the previous chunk), so timer lateness does not accumulate; a
 * consumer that falls more than a second behind resets the schedule instead of causing a burst.
 */
import { sleep } from '../sink-kit/sleep.js';

/** Chunks per second the pacer aims for: small chunks keep the rate smooth. */
const TICKS_PER_SECOND = 20;
/** How far behind schedule the pacer may catch up by sending early; beyond it, it starts over. */
const MAX_CATCH_UP_MS = 1000;

export interface Pacer {
  /** Events per chunk the caller should hand to `wait` (≤ `maxChunk`). */
  readonly chunkSize: number;
  /**
   * Resolves when the next `n` events may go out: `true`, or `false` as soon as `signal`
   * aborts (the caller stops). Never rejects.
   */
  wait(n: number): Promise<boolean>;
}

/**
 * A pacer for `rate` events per second, or an unpaced one (only checks the signal) for null.
 * `now` is injectable for tests; timers use the global `setTimeout`.
 */
export function createPacer(rate: number | null, signal: AbortSignal, maxChunk: number, now: () => number = Date.now): Pacer {
  if (rate === null) {
    return { chunkSize: maxChunk, wait: () => Promise.resolve(!signal.aborted) };
  }
  const chunkSize = Math.max(1, Math.min(maxChunk, Math.ceil(rate / TICKS_PER_SECOND)));
  let start = -1;
  let sent = 0;
  return {
    chunkSize,
    async wait(n) {
      if (signal.aborted) return false;
      const t = now();
      if (start < 0) start = t;
      let due = start + (sent * 1000) / rate;
      if (t - due > MAX_CATCH_UP_MS) {
        start = t;
        sent = 0;
        due = t;
      }
      if (due > t) await sleep(due - t, signal);
      sent += n;
      return !signal.aborted;
    },
  };
}
