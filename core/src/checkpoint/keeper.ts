/**
 * Saves the resume point as the delivery mode requires:
 *
 * - at-least-once: every `intervalMs`, when the acked prefix moved (and once at `finish`). A
 *   crash repeats at most what was acked since the last save.
 * - at-most-once: `beforeSend` commits the batch's newest chunk and saves, durably, before the
 *   dispatcher calls the sink; concurrent callers share one write. A crash loses at most what
 *   was committed and not yet sent.
 *
 * Saves never run concurrently, and a save equal to the last one is skipped.
 */
import { errorMessage } from '../errors.js';
import type { Delivery } from '../config/types.js';
import type { ItemReceipt } from '../dispatch/types.js';
import type { Logger } from '../util/logger.js';
import type { CheckpointLedger } from './checkpoints.js';
import { rvNumber } from './position.js';
import type { ResumePoint } from './position.js';
import { encodeState } from './state-doc.js';
import type { StateStore } from './state-store.js';

export interface ResumeKeeperOptions {
  store: StateStore;
  ledger: CheckpointLedger;
  delivery: Delivery;
  /** API server URL stamped into the state. */
  server: string;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

export interface ResumeKeeperStats {
  saves: number;
  saveErrors: number;
  /** The last saved resume point. */
  saved: ResumePoint | null;
}

export class ResumeKeeper {
  private readonly o: ResumeKeeperOptions;
  private lastKey: string | null = null;
  private lock: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  readonly stats: ResumeKeeperStats = { saves: 0, saveErrors: 0, saved: null };

  constructor(options: ResumeKeeperOptions) {
    this.o = options;
  }

  /** at-least-once: starts the periodic save. */
  start(): void {
    if (this.o.delivery !== 'at-least-once' || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.save(this.o.ledger.acked()).catch(() => undefined);
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** at-most-once: the dispatcher's hook; resolves once the batch's chunks are durably committed. */
  readonly beforeSend = async (items: readonly ItemReceipt[]): Promise<void> => {
    let seq = 0;
    let rv: bigint | undefined;
    for (const item of items) {
      if (item.checkpoint === undefined || item.checkpoint < seq) continue;
      const n = rvNumber(item.resourceVersion);
      if (item.checkpoint > seq) {
        seq = item.checkpoint;
        rv = n ?? undefined;
      } else if (rv !== undefined) {
        rv = n === null ? undefined : n > rv ? n : rv;
      }
    }
    if (seq === 0) return;
    const point = this.o.ledger.commitThrough(seq, rv);
    await this.save(point, true);
  };

  /** Stops the timer and saves the final point (after the sinks flushed). */
  async finish(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const point = this.o.delivery === 'at-most-once' ? this.o.ledger.committed() : this.o.ledger.acked();
    await this.save(point);
  }

  /** Saves `point` unless it equals the last save. `strict`: rethrow failures (at-most-once). */
  private save(point: ResumePoint, strict = false): Promise<void> {
    const run = this.lock.then(async () => {
      // A later caller may hold a newer point; saving the newest one we know is always right.
      const latest = this.o.delivery === 'at-most-once' ? this.o.ledger.committed() : point;
      const key = JSON.stringify(latest);
      if (key === this.lastKey || Object.keys(latest).length === 0) return;
      const text = encodeState({
        version: 1,
        server: this.o.server,
        delivery: this.o.delivery,
        watches: latest,
        savedAt: new Date((this.o.now ?? Date.now)()).toISOString(),
      });
      try {
        await this.o.store.save(text);
      } catch (err) {
        this.stats.saveErrors++;
        if (!this.failing) this.o.logger.warn('cannot save the resume point; retrying', { store: this.o.store.describe, error: errorMessage(err) });
        this.failing = true;
        throw err;
      }
      if (this.failing) this.o.logger.info('resume point saved again', { store: this.o.store.describe });
      this.failing = false;
      this.lastKey = key;
      this.stats.saves++;
      this.stats.saved = latest;
    });
    this.lock = run.catch(() => undefined);
    return strict ? run : run.catch(() => undefined);
  }
}
