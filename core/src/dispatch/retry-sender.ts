/**
 * The retry sender: delivers one prepared batch by calling the timeout sender until the sink
 * acks it, it is given up, or shutdown is forced. The policy (classification, backoff) is in
 * `retry.ts`; this is the loop that applies it.
 *
 * Invariants:
 * - `beforeSend` (when set) resolves once before the first attempt; its rejections are retried
 *   with exponential backoff (no jitter), and the batch is never sent before it resolved.
 * - A permanent failure is given up at once; a transient one is retried after
 *   `retryDelay(...)`, until `retry.maxAttempts` when there is a dead letter (then it is given
 *   up as `SINK_RETRIES_EXHAUSTED`) and forever without one.
 * - On ack the batch completes (`done('acked')`, in item order) before `onSent` runs; hooks
 *   (`onSent`, `onSendFailed`) cannot break delivery: what they throw is ignored.
 * - `inFlight` is the batch's event count during an attempt, 0 otherwise; `retries` counts
 *   every attempt after the first.
 * - Once `stop.forced` the loop returns at its next step, leaving the batch uncompleted.
 */
import type { Logger } from '../util/logger.js';
import type { DispatcherOptions, ItemReceipt } from './types.js';
import type { PreparedBatch } from './encoder.js';
import type { GiveUp, SendCounters } from './give-up.js';
import type { MemoryQueue } from './queue.js';
import type { Stop } from './shutdown.js';
import type { Attempt } from './timeout.js';
import { type BackoffOptions, type SendFailure, canRetry, failureMessage, retryDelay } from './retry.js';
import { STOPPED, untilAborted } from './shutdown.js';
import { sleep } from '../sink-kit/sleep.js';

export interface RetrySenderOptions {
  /** The dispatcher's options, whose hooks are called as its methods (read at each call). */
  hooks: Pick<DispatcherOptions, 'beforeSend' | 'onSent' | 'onSendFailed'>;
  /** Attempts before giving up to the dead letter; null: forever. */
  maxAttempts: number | null;
  /** False for the dead-letter dispatcher: it retries transient failures forever. */
  hasDeadLetter: boolean;
  backoff: BackoffOptions;
  log: Logger;
}

/** Runs an instrumentation hook; what it throws never reaches the delivery path. */
function hook(fn: () => void): void {
  try {
    fn();
  } catch {
    // instrumentation only
  }
}

export function createRetrySender(
  options: RetrySenderOptions,
  stop: Stop,
  attempt: Attempt,
  giveUp: GiveUp,
  queue: Pick<MemoryQueue, 'complete'>,
  counters: SendCounters,
): (prepared: PreparedBatch) => Promise<void> {
  const { maxAttempts, hasDeadLetter, backoff, log, hooks } = options;

  /** Runs the `beforeSend` hook until it succeeds; false when a forced shutdown came first. */
  async function gate(items: readonly ItemReceipt[], batchId: string): Promise<boolean> {
    for (let n = 1; ; n++) {
      if (stop.forced) return false;
      try {
        const r = await untilAborted(hooks.beforeSend!(items), stop.signal);
        return r !== STOPPED;
      } catch (err) {
        const delayMs = Math.min(backoff.maxBackoffMs, backoff.initialBackoffMs * 2 ** Math.min(n - 1, 20));
        log.warn('not sending until the resume point is saved; retrying', { batchId, attempt: n, error: failureMessage(err), delayMs });
        await sleep(delayMs, stop.signal);
      }
    }
  }

  return async function deliver(prepared) {
    const batch = prepared.batch;
    const count = prepared.items.length;
    if (batch === null) {
      await giveUp(prepared, prepared.error as SendFailure, 0);
      return;
    }
    const batchLog = log.child({ batchId: batch.id, count });
    if (hooks.beforeSend !== undefined && !(await gate(prepared.items, batch.id))) return;
    let previousDelay = 0;
    for (let attemptNo = 1; ; attemptNo++) {
      if (stop.forced) return;
      if (attemptNo > 1) counters.retries++;
      counters.inFlight = count;
      const started = performance.now();
      const failure = await attempt(batch, attemptNo, batchLog);
      const durationMs = performance.now() - started;
      counters.inFlight = 0;
      if (stop.forced) return;
      if (failure === null) {
        const bytes = batch.body.byteLength;
        counters.batchesSent++;
        counters.eventsSent += count;
        counters.bytesSent += bytes;
        log.debug('batch sent', { batchId: batch.id, count, attempt: attemptNo, bytes });
        queue.complete(prepared.items, prepared.queueBytes, 'acked', batch.id);
        if (hooks.onSent !== undefined) {
          const info = { items: prepared.items, durationMs, attempts: attemptNo, bytes };
          hook(() => hooks.onSent!(info));
        }
        return;
      }
      if (hooks.onSendFailed !== undefined) {
        const info = { count, attempt: attemptNo, code: failure.code, permanent: failure.kind === 'permanent', durationMs };
        hook(() => hooks.onSendFailed!(info));
      }
      if (failure.kind === 'permanent') {
        await giveUp(prepared, failure, attemptNo);
        return;
      }
      if (hasDeadLetter && !canRetry(attemptNo, maxAttempts)) {
        const exhausted: SendFailure = {
          kind: failure.kind,
          code: 'SINK_RETRIES_EXHAUSTED',
          message: `${attemptNo} attempt${attemptNo === 1 ? '' : 's'} failed; last error [${failure.code}]: ${failure.message}`,
        };
        await giveUp(prepared, exhausted, attemptNo);
        return;
      }
      const delayMs = retryDelay(failure, attemptNo, previousDelay, backoff);
      previousDelay = delayMs;
      log.warn('send failed, retrying', { batchId: batch.id, count, attempt: attemptNo, code: failure.code, error: failure.message, delayMs });
      await sleep(delayMs, stop.signal);
    }
  };
}
