/**
 * The wait before the next list/watch attempt, per failure class, so unrelated faults do not
 * push each other's waits up:
 * - `throttled` (429): the server's Retry-After (capped at `maxRetryAfterMs`); without one, its
 *   own exponential backoff;
 * - `expired` (410): no wait the first time (re-list at once); when 410s repeat without a
 *   healthy cycle in between, its own exponential backoff;
 * - `failure` (5xx, resets, stalls, empty answers, …): exponential backoff with jitter.
 *
 * `reset()` after a healthy list+watch cycle starts every class over. The caps bound how long
 * a retry can still be pending when the server becomes healthy again: `backoff.maxMs`, or the
 * Retry-After the server gave.
 */
import { Backoff } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { RETRY_CLASSES } from './failure.js';
import type { RetryClass } from './failure.js';

export interface RetryPolicyOptions {
  /** The exponential curve of every class (each class keeps its own attempt counter). */
  backoff: BackoffOptions;
  /** Longest Retry-After honoured; longer ones are cut to this. */
  maxRetryAfterMs: number;
}

/** 500 ms doubling to 4 s: a retry pending when the server recovers leaves a second for the list and the watch to open. */
export const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 4_000 };
/** Retry-After is honoured up to 30 s. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

export class RetryPolicy {
  private readonly backoffs: Record<RetryClass, Backoff>;
  private readonly counts: Record<RetryClass, number> = { throttled: 0, expired: 0, failure: 0 };

  constructor(
    private readonly options: RetryPolicyOptions,
    random: () => number = Math.random,
  ) {
    this.backoffs = {
      throttled: new Backoff(options.backoff, random),
      expired: new Backoff(options.backoff, random),
      failure: new Backoff(options.backoff, random),
    };
  }

  /** Counts a failure of `cls` and returns the wait (ms) before the next attempt. */
  next(cls: RetryClass, retryAfterMs: number | null = null): number {
    const n = ++this.counts[cls];
    switch (cls) {
      case 'throttled':
        if (retryAfterMs !== null && retryAfterMs > 0) return Math.min(retryAfterMs, this.options.maxRetryAfterMs);
        return this.backoffs.throttled.next();
      case 'expired':
        return n === 1 ? 0 : this.backoffs.expired.next();
      case 'failure':
        return this.backoffs.failure.next();
    }
  }

  /** Failures of `cls` since the last reset. */
  attempts(cls: RetryClass): number {
    return this.counts[cls];
  }

  /** Failures of every class since the last reset. */
  get consecutive(): number {
    return this.counts.throttled + this.counts.expired + this.counts.failure;
  }

  /** A healthy list+watch cycle: every class starts over. */
  reset(): void {
    for (const cls of RETRY_CLASSES) {
      this.counts[cls] = 0;
      this.backoffs[cls].reset();
    }
  }
}
