/**
 * The log lines of list/watch retries, so a stream that keeps failing never looks dead and a
 * storm never floods the log. Per retry class (throttled, expired, failure):
 * - the first failure of the class since the last healthy cycle is logged (INFO for throttled
 *   and expired, WARN otherwise);
 * - after that, a retry that waits at least `loudWaitMs` is logged at the same level, at most
 *   once per `intervalMs` per class, with how many retries were only logged at DEBUG since;
 * - every other retry is logged at DEBUG.
 * Each line names the reason, the wait, the next attempt time (ISO 8601) and the failures
 * since the last healthy cycle.
 */
import type { Logger } from '../util/logger.js';
import type { FailureReason, RetryClass } from './failure.js';

export interface RetryLogOptions {
  logger: Logger;
  now: () => number;
  /** At most one INFO/WARN line per class per this long. @default 30000 */
  intervalMs?: number;
  /** Retries waiting at least this long are worth an INFO/WARN line. @default 2000 */
  loudWaitMs?: number;
}

export interface RetryLine {
  cls: RetryClass;
  reason: FailureReason;
  /** `list` or `watch`. */
  what: string;
  target: string;
  error: string;
  waitMs: number;
  /** Failures since the last healthy cycle, this one included. */
  failures: number;
}

export class RetryLog {
  private readonly last = new Map<RetryClass, number>();
  private readonly quiet = new Map<RetryClass, number>();
  private readonly intervalMs: number;
  private readonly loudWaitMs: number;

  constructor(private readonly o: RetryLogOptions) {
    this.intervalMs = o.intervalMs ?? 30_000;
    this.loudWaitMs = o.loudWaitMs ?? 2_000;
  }

  retry(line: RetryLine): void {
    const now = this.o.now();
    const last = this.last.get(line.cls);
    const loud = last === undefined || (line.waitMs >= this.loudWaitMs && now - last >= this.intervalMs);
    const fields: Record<string, unknown> = {
      target: line.target,
      reason: line.reason,
      error: line.error,
      waitMs: line.waitMs,
      nextAttemptAt: new Date(now + line.waitMs).toISOString(),
      failures: line.failures,
    };
    const msg = message(line);
    if (!loud) {
      this.quiet.set(line.cls, (this.quiet.get(line.cls) ?? 0) + 1);
      this.o.logger.debug(msg, fields);
      return;
    }
    const quiet = this.quiet.get(line.cls) ?? 0;
    if (quiet > 0) fields['retriesLoggedAtDebug'] = quiet;
    this.last.set(line.cls, now);
    this.quiet.set(line.cls, 0);
    if (line.cls === 'failure') this.o.logger.warn(msg, fields);
    else this.o.logger.info(msg, fields);
  }

  /** A healthy cycle: the next failure of each class is logged again. */
  reset(): void {
    this.last.clear();
    this.quiet.clear();
  }
}

function message(line: RetryLine): string {
  if (line.cls === 'throttled') return `${line.what} throttled (429); retrying`;
  if (line.cls === 'expired')
    return line.waitMs > 0 ? `${line.what} resourceVersion expired (410 Gone) again; re-listing after a backoff` : `${line.what} resourceVersion expired (410 Gone); re-listing`;
  return `${line.what} failed; retrying`;
}
