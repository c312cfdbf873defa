/** Exponential backoff with jitter (the abortable sleep between attempts is sink-kit/sleep.ts). */

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Longest delay. */
  maxMs: number;
}

/**
 * Delays double from `initialMs` up to `maxMs`; each is drawn from [d/2, d] ("equal jitter")
 * so reconnecting clients spread out. `reset()` after a healthy stream starts over.
 */
export class Backoff {
  private n = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get attempts(): number {
    return this.n;
  }

  /** Counts a failure and returns the delay before the next attempt. */
  next(): number {
    this.n++;
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.n - 1, 30));
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(ceiling / 2 + (r * ceiling) / 2);
  }

  reset(): void {
    this.n = 0;
  }
}
