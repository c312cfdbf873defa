/**
 * Saves the resume point as the delivery mode requires:
 *
 * - at-least-once: as soon as the acked prefix moves (a delivery was acknowledged), and once at
 *   `finish`. Saves are coalesced: while one runs, acks only mark the point dirty, and the next
 *   save takes the newest acked prefix when it begins. `minIntervalMs` spaces the starts of two
 *   saves (0: back to back); a failed save is retried `retryMs` later. A crash repeats at most
 *   what was acked while the last save was running (or cooling down), plus what was sent and
 *   not yet acknowledged.
 * - at-most-once: `beforeSend` commits the batch's newest chunk and saves, durably, before the
 *   dispatcher calls the sink; concurrent callers share one write. A crash loses at most what
 *   was committed and not yet sent.
 *
 * Saves never run concurrently, each writes the newest point known when it begins, and a save
 * equal to the last one is skipped.
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

/** Wait after a failed at-least-once save before trying again. */
export const SAVE_RETRY_MS = 1000;

export interface ResumeKeeperOptions {
  store: StateStore;
  ledger: CheckpointLedger;
  delivery: Delivery;
  /** API server URL stamped into the state. */
  server: string;
  /** at-least-once: least time between the starts of two saves (0: a save may follow the last one at once). */
  minIntervalMs: number;
  /** at-least-once: wait after a failed save before the next attempt. @default SAVE_RETRY_MS */
  retryMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface ResumeKeeperStats {
  saves: number;
  saveErrors: number;
  /** The last saved resume point. */
  saved: ResumePoint | null;
}

/** A timer `cancel` ends early; unref'd, so it never keeps the process alive. */
interface Pause {
  done: Promise<void>;
  cancel: () => void;
}

function pause(ms: number): Pause {
  let end!: () => void;
  const done = new Promise<void>((r) => (end = r));
  const timer = setTimeout(end, ms);
  timer.unref();
  return {
    done,
    cancel: () => {
      clearTimeout(timer);
      end();
    },
  };
}

export class ResumeKeeper {
  private readonly o: ResumeKeeperOptions;
  private lastKey: string | null = null;
  private lock: Promise<void> = Promise.resolve();
  private failing = false;
  /** at-least-once: the acked prefix moved since the last save began. */
  private dirty = false;
  /** at-least-once: the save loop runs (a save, a cool-down or a retry wait). */
  private draining = false;
  private readonly pauses = new Set<Pause>();
  private unsubscribe: (() => void) | null = null;
  private finished = false;
  readonly stats: ResumeKeeperStats = { saves: 0, saveErrors: 0, saved: null };

  constructor(options: ResumeKeeperOptions) {
    this.o = options;
  }

  /** at-least-once: saves whenever the acked prefix moves from now on. */
  start(): void {
    if (this.o.delivery !== 'at-least-once' || this.unsubscribe !== null || this.finished) return;
    this.unsubscribe = this.o.ledger.onAdvance(() => this.kick());
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
    this.o.ledger.commitThrough(seq, rv);
    await this.save(true);
  };

  /** Stops saving on acks and saves the final point (after the sinks flushed). */
  async finish(): Promise<void> {
    this.abandon();
    await this.save();
  }

  /**
   * Stops saving for good without a final save (`finish` is this, then the final save): the
   * leader lease was lost, and the resume point is the next leader's now. A save already writing
   * may still end (the Lease write is fenced).
   */
  abandon(): void {
    this.finished = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const p of this.pauses) p.cancel();
  }

  /** The acked prefix moved: save it now, or right after the save (or wait) in progress. */
  private kick(): void {
    this.dirty = true;
    if (this.draining || this.finished) return;
    this.draining = true;
    void this.drain();
  }

  /** One save at a time until nothing new was acked; spaced by `minIntervalMs`, retried after failures. */
  private async drain(): Promise<void> {
    try {
      while (this.dirty && !this.finished) {
        this.dirty = false;
        const floor = this.o.minIntervalMs > 0 ? this.wait(this.o.minIntervalMs) : null;
        try {
          await this.save(true);
        } catch {
          this.dirty = true;
          await this.wait(this.o.retryMs ?? SAVE_RETRY_MS);
        }
        if (floor !== null) await floor;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Resolves after `ms`, or at once when `finish` is called. */
  private wait(ms: number): Promise<void> {
    if (this.finished) return Promise.resolve();
    const p = pause(ms);
    this.pauses.add(p);
    return p.done.then(() => void this.pauses.delete(p));
  }

  /**
   * Saves the newest point (acked, or at-most-once committed) unless it equals the last save.
   * `strict`: rethrow failures.
   */
  private save(strict = false): Promise<void> {
    const run = this.lock.then(async () => {
      const latest = this.o.delivery === 'at-most-once' ? this.o.ledger.committed() : this.o.ledger.acked();
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
