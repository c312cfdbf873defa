/**
 * The close path every dispatcher shares (the memory one and the disk-buffered one), and the
 * deadline helpers its stages use. One copy of: close once, wait for delivery within the grace
 * period, abandon what is left, release resources; timers that accept 0, huge or Infinity;
 * and the abort-aware wait between retries is the shared `sleep` (sink-kit).
 *
 * Invariants:
 * - `close(graceMs)` runs the {@link CloseSteps} once; later calls get the same promise, which
 *   never rejects (a throwing step is logged as `close failed` and yields `{ flushed: false }`).
 * - The steps run in this order: `stopAccepting` → wait for `settled()` up to `graceMs` →
 *   `abandon` (only when the grace period ran out or `settled()` rejected) → `release`.
 * - {@link timer} never fires for Infinity and clamps delays past setTimeout's maximum (which
 *   would otherwise fire after 1 ms). {@link within} never leaves a timer behind.
 */
import type { SinkInstance } from '../plugins/api.js';
import type { Logger } from '../util/logger.js';
import { K8streamError } from '../errors.js';
import { failureMessage } from './retry.js';
import { MAX_SLEEP_MS } from '../sink-kit/sleep.js';

/** setTimeout for a delay that may be 0, huge or Infinity; returns undefined when it never fires. */
export function timer(ms: number, fn: () => void): NodeJS.Timeout | undefined {
  if (!(ms < Infinity)) return undefined;
  return setTimeout(fn, Math.min(MAX_SLEEP_MS, Math.max(0, ms)));
}

/** What {@link within} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** The promise's outcome if it settles within `ms`, else {@link TIMED_OUT}. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const handle = timer(ms, () => resolve(TIMED_OUT));
    promise.then(
      (value) => {
        if (handle !== undefined) clearTimeout(handle);
        resolve(value);
      },
      (err: unknown) => {
        if (handle !== undefined) clearTimeout(handle);
        reject(err);
      },
    );
  });
}

/** What {@link untilAborted} resolves with when the signal aborted first. */
export const STOPPED: unique symbol = Symbol('stopped');

/** Resolves with the promise's value, or {@link STOPPED} as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof STOPPED> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(STOPPED);
  }
  return new Promise<T | typeof STOPPED>((resolve, reject) => {
    const onStop = () => resolve(STOPPED);
    signal.addEventListener('abort', onStop, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onStop);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}

/** The `SINK_CLOSED` error of sink `name`: "sink "x" is closed; <what>". */
export function closedError(name: string, what: string): K8streamError {
  return new K8streamError('SINK_CLOSED', `sink "${name}" is closed; ${what}`, { plugin: name });
}

/**
 * Shutdown state read by every sender: `closing` once `close` began (pushes are refused),
 * `forced` once the grace period ran out (in-flight work is abandoned, `signal` aborted).
 */
export interface Stop {
  closing: boolean;
  readonly forced: boolean;
  /** Aborts when {@link force} is called: in-flight sends, backoff waits, dead-letter waits. */
  readonly signal: AbortSignal;
  force(): void;
}

export function createStop(): Stop {
  const controller = new AbortController();
  const stop = {
    closing: false,
    forced: false,
    signal: controller.signal,
    force(): void {
      stop.forced = true;
      controller.abort();
    },
  };
  return stop;
}

/** The steps of one dispatcher's close, run in this order by {@link createCloser}. */
export interface CloseSteps {
  /** 1. Refuse new pushes and hand what is buffered on (no waiting here). */
  stopAccepting(): void;
  /** 2. Resolves once everything accepted has completed; null when it already has. Rejecting = not flushed. */
  settled(): Promise<unknown> | null;
  /** 3. Only when step 2 did not finish within the grace period: abandon in-flight work. */
  abandon(graceMs: number): void;
  /** 4. Release producers, the sink, files; `deadline` is when the grace period ends. Resolves the final `flushed`. */
  release(flushed: boolean, deadline: number): Promise<boolean>;
}

export interface Closer {
  /** Runs the steps once (see {@link CloseSteps}); never rejects. */
  close(graceMs: number): Promise<{ flushed: boolean }>;
  /** True once `close` was called. */
  readonly started: boolean;
}

/** Wraps a dispatcher's {@link CloseSteps} into its `close(graceMs)`. */
export function createCloser(log: Logger, steps: CloseSteps): Closer {
  let result: Promise<{ flushed: boolean }> | null = null;

  async function run(graceMs: number): Promise<{ flushed: boolean }> {
    const deadline = Date.now() + graceMs;
    steps.stopAccepting();
    const settling = steps.settled();
    const flushed =
      settling === null ||
      (await within(
        settling.then(
          () => true,
          () => false,
        ),
        graceMs,
      )) === true;
    if (!flushed) steps.abandon(graceMs);
    return { flushed: await steps.release(flushed, deadline) };
  }

  return {
    close(graceMs: number): Promise<{ flushed: boolean }> {
      result ??= run(graceMs).catch((err: unknown) => {
        log.error('close failed', { error: failureMessage(err) });
        return { flushed: false };
      });
      return result;
    },
    get started(): boolean {
      return result !== null;
    },
  };
}

/** Calls `sink.close()` (when it has one), waiting at most `timeoutMs`; logs and swallows failures. */
export async function closeSink(sink: SinkInstance, timeoutMs: number, log: Logger): Promise<void> {
  if (sink.close === undefined) return;
  try {
    const done = await within(Promise.resolve(sink.close.call(sink)), timeoutMs);
    if (done === TIMED_OUT) log.warn('sink close did not finish in time', { timeoutMs });
  } catch (err) {
    log.warn('sink close failed', { error: failureMessage(err) });
  }
}
