/**
 * A client-side token bucket (QPS with a burst), shared by every enrichment lookup so a burst
 * of events cannot flood the API server. Callers wait for a token; they are never refused.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link createTokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. `Infinity` disables the limit. */
  qps: number;
  /** Bucket size: how many requests may go at once after a quiet period. At least 1. */
  burst: number;
  /** Clock in ms. @default performance.now */
  now?: () => number;
  /** Waits `ms`; rejects when `signal` aborts. @default node:timers/promises setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Counters of a bucket. */
export interface TokenBucketStats {
  /** Tokens handed out. */
  taken: number;
  /** Of `taken`, how many had to wait. */
  waited: number;
  /** Total time callers were told to wait, in ms. */
  waitedMs: number;
}

/** A token bucket. */
export interface TokenBucket {
  /**
   * Resolves when the caller may make one request. Waiters are served in call order (each
   * call reserves the next token). Rejects only when `signal` aborts (the token is given back).
   */
  take(signal?: AbortSignal): Promise<void>;
  stats(): TokenBucketStats;
}

/** Creates a {@link TokenBucket}; it starts full. */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const qps = options.qps;
  const burst = Math.max(1, options.burst);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, signal ? { signal } : {}));
  const unlimited = !(qps < Infinity);
  if (!(qps > 0)) throw new RangeError(`qps must be > 0, got ${qps}`);

  let tokens = burst;
  let last = now();
  const counters: TokenBucketStats = { taken: 0, waited: 0, waitedMs: 0 };

  return {
    async take(signal) {
      signal?.throwIfAborted();
      if (unlimited) {
        counters.taken++;
        return;
      }
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) * qps) / 1000);
      last = t;
      tokens -= 1;
      if (tokens >= 0) {
        counters.taken++;
        return;
      }
      // A reservation: the token this caller took is paid back by the time it waits.
      const waitMs = Math.ceil((-tokens * 1000) / qps);
      try {
        await sleep(waitMs, signal);
      } catch (err) {
        tokens += 1;
        throw err;
      }
      counters.taken++;
      counters.waited++;
      counters.waitedMs += waitMs;
    },
    stats() {
      return { ...counters };
    },
  };
}
