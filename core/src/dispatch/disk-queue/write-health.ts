/**
 * Counts failed disk writes and logs streaks of them.
 *
 * Invariants: every failure counts in `errors` (each retry too); only the first failure of a
 * streak is logged (as an error naming the directory, the step and the errno), and the end of
 * the streak once (as info). Where a streak started matters: an append success ends any streak
 * (the disk takes data again), an ack-file write or background fsync success only its own.
 */
import type { Logger } from '../../util/logger.js';
import { errnoOf, failureText } from './disk-errors.js';

/** Where a streak of failures started: only the append path's success ends any streak. */
export type WriteSource = 'append' | 'ack' | 'sync';

export class WriteHealth {
  readonly #dir: string;
  readonly #log: Logger | undefined;
  #errors = 0;
  #streak: { source: WriteSource; since: number; failures: number } | null = null;

  constructor(dir: string, log: Logger | undefined) {
    this.#dir = dir;
    this.#log = log;
  }

  /** Disk writes or syncs that failed so far. */
  get errors(): number {
    return this.#errors;
  }

  /** True while a streak of failures has not ended. */
  get failing(): boolean {
    return this.#streak !== null;
  }

  /** Counts a failed disk write; the first one of a streak is logged. */
  failed(source: WriteSource, action: string, err: unknown): void {
    this.#errors++;
    if (this.#streak !== null) {
      this.#streak.failures++;
      return;
    }
    this.#streak = { source, since: Date.now(), failures: 1 };
    this.#log?.error('disk buffer write failed; retrying with backoff, new events wait in memory', {
      dir: this.#dir,
      action,
      errno: errnoOf(err) ?? null,
      error: failureText(err),
    });
  }

  /** Ends the failure streak (an append success ends any; others only their own). */
  ok(source: WriteSource): void {
    const streak = this.#streak;
    if (streak === null || (source !== 'append' && streak.source !== source)) return;
    this.#streak = null;
    this.#log?.info('disk buffer writes recovered', {
      dir: this.#dir,
      failures: streak.failures,
      failingMs: Date.now() - streak.since,
    });
  }
}
