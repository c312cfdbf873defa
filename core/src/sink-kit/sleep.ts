/**
 * An abort-aware sleep, shared by the core (backoff, replay pacing, leader election) and sinks.
 *
 * Contract: `sleep(ms, signal)` RESOLVES (never rejects) after `ms`, or as soon as `signal`
 * aborts, whichever comes first; callers that must stop check `signal.aborted` (or call
 * `signal.throwIfAborted()`) afterwards. Invariants:
 * - no timer and no abort listener is left behind once the promise settles;
 * - an already aborted signal resolves at once, without a timer;
 * - `ms <= 0` (or NaN) still yields one turn of the event loop (`setImmediate`): a retry loop
 *   with a zero backoff must never starve I/O by resolving on the microtask queue;
 * - `ms` is capped at {@link MAX_SLEEP_MS}: Node fires longer timers after 1 ms instead.
 */

/** The longest delay a Node timer keeps (2^31 − 1 ms, about 24.8 days). */
export const MAX_SLEEP_MS = 2 ** 31 - 1;

/** Resolves after `ms` milliseconds, or early when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  if (!(ms > 0)) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(ms, MAX_SLEEP_MS));
    signal?.addEventListener('abort', done, { once: true });
  });
}
