/**
 * A circuit breaker per transform. A module that keeps failing — above all one that never
 * returns, whose every call costs its deadline plus a worker replacement — would otherwise slow
 * the whole stream to the pace of its timeouts. After `failures` consecutive failed calls
 * (errors, traps, invalid outputs, timeouts) the breaker **opens**: the stage stops calling the
 * module and gives each event the transform's `onError` policy at once. After a cool-down
 * (`coolDownMs`, doubled on each failed probe up to `maxCoolDownMs`, back to `coolDownMs` once
 * the breaker closes) it goes **half-open**: exactly one event (the probe) is sent to the module;
 * the others keep taking the `onError` path while it runs. A successful probe **closes** the
 * breaker; a failed one re-opens it with the doubled cool-down.
 *
 * Results of calls admitted before the breaker opened may still arrive while it is open or
 * half-open: they never change its state (only the probe's outcome does).
 */

/** A breaker's settings, as configured (`breaker:` of a transform). */
export interface BreakerSettings {
  /** Consecutive failed calls that open the breaker. */
  failures: number;
  /** First cool-down, in ms. */
  coolDownMs: number;
  /** Longest cool-down, in ms. */
  maxCoolDownMs: number;
}

/** Used when a transform does not configure its breaker. */
export const DEFAULT_BREAKER: Readonly<BreakerSettings> = Object.freeze({ failures: 5, coolDownMs: 1000, maxCoolDownMs: 60_000 });

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What opened the breaker (told to `onOpen`). */
export interface BreakerOpening {
  /** Consecutive failures that opened it (1 when a probe failed). */
  failures: number;
  /** How long it stays open before the next probe, in ms. */
  coolDownMs: number;
  /** Whether a failed probe re-opened it. */
  probe: boolean;
  /** The last failure's error code and message. */
  code: string;
  message: string;
}

export interface BreakerHooks {
  /** A monotonic clock in ms. @default performance.now */
  now?: () => number;
  /** Called once each time the breaker opens (or re-opens after a failed probe). */
  onOpen?: (opening: BreakerOpening) => void;
  /** Called once each time the cool-down ended and the probe is admitted (half-open). */
  onProbe?: () => void;
  /** Called once each time a successful probe closes it, with how long it was not closed. */
  onClose?: (info: { openMs: number }) => void;
}

/** How many of the next records may be sent to the module (see {@link CircuitBreaker.admit}). */
export interface Admission {
  /** Records that may be sent, from the first: all of them, 1 (a probe) or 0. */
  count: number;
  /** The one record admitted is the half-open probe: report its outcome with `probe: true`. */
  probe: boolean;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private coolDown: number;
  private openedAt = 0;
  private retryAt = 0;
  private tripCount = 0;
  private last: { code: string; message: string } = { code: 'TRANSFORM_ERROR', message: '' };
  private readonly now: () => number;

  constructor(
    readonly settings: Readonly<BreakerSettings>,
    private readonly hooks: BreakerHooks = {},
  ) {
    if (!(settings.failures >= 1)) throw new RangeError('breaker failures must be at least 1');
    this.coolDown = settings.coolDownMs;
    this.now = hooks.now ?? (() => performance.now());
  }

  /** Closed, open, or half-open (a probe in flight). An open breaker whose cool-down ended is still `open` until the next {@link admit}. */
  get state(): BreakerState {
    return this.current;
  }

  /** Times the breaker opened (a failed probe re-opening it included). */
  get trips(): number {
    return this.tripCount;
  }

  /** Consecutive failures counted while closed. */
  get failures(): number {
    return this.consecutive;
  }

  /** The failure that last opened the breaker (the error short-circuited records carry). */
  get lastFailure(): { code: string; message: string } {
    return this.last;
  }

  /**
   * How many of the next `n` records may go to the module: all of them when closed; when open
   * and the cool-down is over, one — the probe — and the breaker goes half-open; else none.
   */
  admit(n: number): Admission {
    if (n <= 0) return { count: 0, probe: false };
    if (this.current === 'closed') return { count: n, probe: false };
    if (this.current === 'open' && this.now() >= this.retryAt) {
      this.current = 'half-open';
      this.hooks.onProbe?.();
      return { count: 1, probe: true };
    }
    return { count: 0, probe: false };
  }

  /**
   * Whether `more` further consecutive failures (on top of those counted) would open the breaker,
   * or it is not closed: a caller in the middle of a run of expensive failures can stop early.
   */
  wouldOpen(more: number): boolean {
    return this.current !== 'closed' || this.consecutive + more >= this.settings.failures;
  }

  /** A call succeeded (`probe`: it was the half-open probe). */
  success(probe = false): void {
    if (probe) {
      if (this.current !== 'half-open') return;
      const openMs = this.now() - this.openedAt;
      this.current = 'closed';
      this.consecutive = 0;
      this.coolDown = this.settings.coolDownMs;
      this.hooks.onClose?.({ openMs });
      return;
    }
    if (this.current === 'closed') this.consecutive = 0;
  }

  /** A call failed (`probe`: it was the half-open probe). */
  failure(code: string, message: string, probe = false): void {
    if (probe) {
      if (this.current !== 'half-open') return;
      this.coolDown = Math.min(this.settings.maxCoolDownMs, this.coolDown * 2);
      this.open(1, code, message, true);
      return;
    }
    if (this.current !== 'closed') return;
    this.consecutive++;
    if (this.consecutive >= this.settings.failures) this.open(this.consecutive, code, message, false);
  }

  private open(failures: number, code: string, message: string, probe: boolean): void {
    const now = this.now();
    if (!probe) this.openedAt = now;
    this.current = 'open';
    this.consecutive = 0;
    this.retryAt = now + this.coolDown;
    this.tripCount++;
    this.last = { code, message };
    this.hooks.onOpen?.({ failures, coolDownMs: this.coolDown, probe, code, message });
  }
}
