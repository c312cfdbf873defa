/**
 * The timeout sender: one call of `sink.send` under the per-send deadline and the shutdown
 * signal. It never retries and never throws: it resolves null on ack, else the classified
 * failure (see `retry.ts`).
 *
 * Invariants:
 * - Every attempt gets its own AbortSignal, aborted with `SINK_TIMEOUT` at `timeoutMs` (the
 *   failure is then kind `timeout`, retried like a transient one) or with `SINK_CLOSED` when
 *   shutdown is forced.
 * - The attempt settles at the deadline even when the sink ignores the signal: the abandoned
 *   promise is ignored, so a hung sink cannot hold the dispatcher.
 * - A `send` that throws synchronously counts as a failed attempt like a rejection.
 * - No timer and no listener outlives the attempt.
 */
import type { Batch, SinkInstance } from '../plugins/api.js';
import type { Logger } from '../util/logger.js';
import type { Stop } from './shutdown.js';
import { K8streamError } from '../errors.js';
import { type SendFailure, classifyFailure } from './retry.js';
import { closedError, timer } from './shutdown.js';

export interface TimeoutSenderOptions {
  /** Sink name, for error messages. */
  name: string;
  sink: SinkInstance;
  /** Deadline of one `send` call. */
  timeoutMs: number;
}

/** One attempt: resolves null on ack, else why it failed. */
export type Attempt = (batch: Batch<unknown>, attemptNo: number, batchLog: Logger) => Promise<SendFailure | null>;

export function createTimeoutSender(options: TimeoutSenderOptions, stop: Stop): Attempt {
  const { name, sink, timeoutMs } = options;

  return async function attempt(batch, attemptNo, batchLog) {
    const controller = new AbortController();
    let timedOut = false;
    const onStop = () => controller.abort(closedError(name, `send of batch ${batch.id} aborted at shutdown`));
    stop.signal.addEventListener('abort', onStop, { once: true });
    const deadline = timer(timeoutMs, () => {
      timedOut = true;
      controller.abort(new K8streamError('SINK_TIMEOUT', `sink "${name}" did not answer within ${timeoutMs} ms`, { plugin: name }));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
        const ctx = { signal: controller.signal, attempt: attemptNo, logger: batchLog.child({ attempt: attemptNo }) };
        let sent: Promise<void>;
        try {
          sent = sink.send(batch, ctx);
        } catch (err) {
          reject(err);
          return;
        }
        Promise.resolve(sent).then(resolve, reject);
      });
      return null;
    } catch (err) {
      return classifyFailure(err, timedOut);
    } finally {
      if (deadline !== undefined) clearTimeout(deadline);
      stop.signal.removeEventListener('abort', onStop);
    }
  };
}
