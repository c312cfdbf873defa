/**
 * The disk buffer's progress signal: whoever waits for the buffer to empty (`drain`, `close`)
 * sleeps on {@link Progress.next} and re-checks its condition when woken.
 *
 * Invariants:
 * - {@link Progress.notify} wakes every waiter registered before it, once; a waiter registered
 *   after it waits for the next one. It never throws and never waits.
 * - {@link Progress.waiting} is true while someone waits (the reader then flushes the open
 *   batch of the memory dispatcher instead of letting it age).
 */

export interface Progress {
  /** True while a {@link next} promise is pending. */
  readonly waiting: boolean;
  /** Resolves at the next {@link notify}. */
  next(): Promise<void>;
  /** Something moved (an append ended, an ack landed): wake the waiters. */
  notify: () => void;
}

export function createProgress(): Progress {
  let waiters: Array<() => void> = [];
  return {
    get waiting() {
      return waiters.length > 0;
    },
    next(): Promise<void> {
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    notify(): void {
      const waking = waiters;
      waiters = [];
      for (const wake of waking) wake();
    },
  };
}
