/**
 * One sink's delivery path: bounded queue → batcher → encoder → timeout/retry → `sink.send`
 * → ack. Sinks implement only `send`; everything else happens here, once.
 *
 * Flow and bounds:
 * - Every pushed item counts against `queue.maxEvents` / `queue.maxBytes` (`item.json.length`)
 *   until it is acked, dead-lettered or given up: the open batch, batches waiting, the batch
 *   being encoded and the one in flight are all inside the bound. When the queue is full,
 *   `push` returns a promise (backpressure) instead of growing; nothing is ever dropped.
 * - The open batch closes at `batch.maxEvents`, before an item that would take it past
 *   `batch.maxBytes` (UTF-8 bytes plus one separator per record; a single larger item goes
 *   alone), `batch.maxAgeMs` after its first item arrived, on `drain`/`close`, and when the
 *   queue is full and the open batch holds everything queued (nothing else could free room).
 * - One send in flight per sink; up to `encodeAhead` following batches are encoded meanwhile
 *   (compressed in parallel on the thread pool). Batches complete in push order, so items'
 *   `done` callbacks fire in push order.
 */
import type { Batch } from '../plugins/api.js';
import type { Logger } from '../util/logger.js';
import type {
  DeadLetterRecord,
  DispatchItem,
  DispatchStats,
  DispatcherOptions,
  SinkDispatcher,
} from './types.js';
import { K8streamError } from '../errors.js';
import { batchId } from './batch-id.js';
import { compressionLevelProblem, encodeBatch } from './encode.js';
import { createDiskBufferedDispatcher } from './disk-buffer.js';
import {
  type BackoffOptions,
  type SendFailure,
  canRetry,
  classifyFailure,
  failureMessage,
  retryDelay,
} from './retry.js';

/** Largest delay `setTimeout` honours; longer ones fire after 1 ms, so they are clamped. */
const MAX_TIMER_MS = 2_147_483_647;

/** A closed batch waiting for encoding. */
interface ClosedBatch {
  items: DispatchItem[];
  /** Sum of `item.json.length`, released from the queue bound when the batch completes. */
  queueBytes: number;
  closedAt: number;
}

/** A closed batch after encoding: `batch` is null when encoding failed (`error` says why). */
interface PreparedBatch extends ClosedBatch {
  batch: Batch<unknown> | null;
  error: SendFailure | null;
}

interface DrainWaiter {
  /** Resolve once this many items have completed. */
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const STOPPED: unique symbol = Symbol('stopped');

function checkPositive(value: number, path: string, sink: string, integer: boolean): void {
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new K8streamError(
      'CONFIG_INVALID',
      `sink "${sink}": ${path} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
      { plugin: sink, path },
    );
  }
}

/** setTimeout for a delay that may be 0, huge or Infinity; returns undefined when it never fires. */
function timer(ms: number, fn: () => void): NodeJS.Timeout | undefined {
  if (!(ms < Infinity)) return undefined;
  return setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
}

/** Runs an instrumentation hook; what it throws never reaches the delivery path. */
function hook(fn: () => void): void {
  try {
    fn();
  } catch {
    // instrumentation only
  }
}

/** Earliest and latest parseable timestamp strings among the items. */
function timestampRange(items: readonly DispatchItem[]): { min: string | null; max: string | null } {
  let min: string | null = null;
  let max: string | null = null;
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const item of items) {
    const ts = item.timestamp;
    if (ts === null) continue;
    const ms = Date.parse(ts);
    if (Number.isNaN(ms)) continue;
    if (ms < minMs) {
      minMs = ms;
      min = ts;
    }
    if (ms > maxMs) {
      maxMs = ms;
      max = ts;
    }
  }
  return { min, max };
}

/** Stats of a dispatcher that never received anything. */
export function emptyDispatchStats(): DispatchStats {
  return { queuedEvents: 0, queuedBytes: 0, batchesSent: 0, eventsSent: 0, bytesSent: 0, retries: 0, permanentFailures: 0, deadLettered: 0, failedEvents: 0, inFlight: 0 };
}

/**
 * Creates the dispatcher of one sink. See {@link SinkDispatcher} for the contract and
 * {@link DispatcherOptions} for the settings. Throws `CONFIG_INVALID` on non-positive limits.
 *
 * Shutdown: `close(graceMs)` flushes the open batch and waits up to `graceMs`; past that it
 * aborts the in-flight send (signal reason `SINK_CLOSED`), stops retrying, rejects pending
 * `drain()` calls with `SINK_CLOSED`, leaves undelivered items without `done` (they were never
 * acked, so at-least-once replays them), and resolves `{ flushed: false }`. Then it calls
 * `sink.close()` (bounded by `timeoutMs`). Close the dead-letter dispatcher last.
 *
 * A sink that ignores the abort signal cannot hold the dispatcher: the attempt counts as timed
 * out at `timeoutMs` and the dispatcher moves on (the abandoned promise is ignored).
 *
 * With `buffer: { type: 'disk' }` records wait in a per-sink disk queue in front of this path
 * (see `disk-buffer.ts`): `queue` then bounds only what is held in memory, and what is not
 * delivered at `close` stays on disk for the next start.
 */
export function createDispatcher(options: DispatcherOptions): SinkDispatcher {
  const buffer = options.buffer;
  if (buffer !== undefined && buffer.type === 'disk') {
    return createDiskBufferedDispatcher(options, buffer, createMemoryDispatcher);
  }
  return createMemoryDispatcher(options);
}

/** The in-memory delivery path: everything above except the disk buffer. */
function createMemoryDispatcher(options: DispatcherOptions): SinkDispatcher {
  const { name, cluster, sink, encoding, timeoutMs, deadLetter } = options;
  const limits = options.batch;
  const queue = options.queue;
  const maxAttempts = options.retry.maxAttempts;
  checkPositive(limits.maxEvents, 'batch.maxEvents', name, true);
  checkPositive(limits.maxBytes, 'batch.maxBytes', name, false);
  checkPositive(limits.maxAgeMs, 'batch.maxAgeMs', name, false);
  checkPositive(queue.maxEvents, 'queue.maxEvents', name, true);
  checkPositive(queue.maxBytes, 'queue.maxBytes', name, false);
  if (maxAttempts !== null) checkPositive(maxAttempts, 'retry.maxAttempts', name, true);
  const levelProblem = compressionLevelProblem(encoding.compression, encoding.level);
  if (levelProblem !== null) {
    throw new K8streamError('CONFIG_INVALID', `sink "${name}": encoding.level ${levelProblem}`, { path: 'encoding.level', plugin: name });
  }

  const log: Logger = options.logger.child({ sink: name });
  const backoff: BackoffOptions = {
    initialBackoffMs: options.retry.initialBackoffMs,
    maxBackoffMs: options.retry.maxBackoffMs,
    jitter: options.jitter ?? 'full',
    random: options.random ?? Math.random,
  };

  // Counters. Items complete in push order, so `completed` says exactly which ones are done.
  let pushed = 0;
  let completed = 0;
  let queuedBytes = 0;
  let inFlight = 0;
  const counters = {
    batchesSent: 0,
    eventsSent: 0,
    bytesSent: 0,
    retries: 0,
    permanentFailures: 0,
    deadLettered: 0,
    failedEvents: 0,
  };

  // The open batch.
  let open: DispatchItem[] = [];
  let openBytes = 0;
  let openQueueBytes = 0;
  let ageTimer: NodeJS.Timeout | undefined;

  // Closed batches, the ones being encoded ahead, and the delivery loop.
  const closedBatches: ClosedBatch[] = [];
  /** Batches being encoded (or encoded) ahead of the one in flight, oldest first. */
  const ahead: Promise<PreparedBatch>[] = [];
  const encodeAhead = Math.max(1, Math.floor(options.encodeAhead ?? 2));
  let running = false;

  // Backpressure: one shared promise per "queue full" episode.
  let room: Promise<void> | null = null;
  let releaseRoom: (() => void) | null = null;

  const waiters: DrainWaiter[] = [];

  // Shutdown.
  let closing = false;
  let forced = false;
  const stop = new AbortController();
  let closeResult: Promise<{ flushed: boolean }> | null = null;

  const closedError = (what: string) =>
    new K8streamError('SINK_CLOSED', `sink "${name}" is closed; ${what}`, { plugin: name });

  function isFull(): boolean {
    return pushed - completed >= queue.maxEvents || queuedBytes >= queue.maxBytes;
  }

  function onAge(): void {
    ageTimer = undefined;
    closeOpen();
  }

  function closeOpen(): void {
    if (open.length === 0) return;
    if (ageTimer !== undefined) {
      clearTimeout(ageTimer);
      ageTimer = undefined;
    }
    closedBatches.push({ items: open, queueBytes: openQueueBytes, closedAt: Date.now() });
    open = [];
    openBytes = 0;
    openQueueBytes = 0;
    startPrepare();
    if (!running && !forced) void run();
  }

  function startPrepare(): void {
    if (forced) return;
    while (ahead.length < encodeAhead) {
      const next = closedBatches.shift();
      if (next === undefined) return;
      ahead.push(prepare(next));
    }
  }

  /** Encodes a closed batch. Never rejects: an encoding failure becomes a permanent failure. */
  async function prepare(closed: ClosedBatch): Promise<PreparedBatch> {
    const items = closed.items;
    const lines = new Array<string>(items.length);
    const records = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as DispatchItem;
      lines[i] = item.json;
      records[i] = item.record;
    }
    const range = timestampRange(items);
    const first = items[0] as DispatchItem;
    const last = items[items.length - 1] as DispatchItem;
    const id = batchId({ firstId: first.id, lastId: last.id, count: items.length, minTimestamp: range.min });
    try {
      const encoded = await encodeBatch(lines, encoding);
      const batch: Batch<unknown> = {
        id,
        sink: name,
        cluster,
        records,
        body: encoded.body,
        rawBytes: encoded.rawBytes,
        encoding: { format: encoding.format, compression: encoding.compression, ...(encoding.level !== undefined ? { level: encoding.level } : {}) },
        contentType: encoded.contentType,
        contentEncoding: encoded.contentEncoding,
        extension: encoded.extension,
        createdAt: closed.closedAt,
        minTimestamp: range.min,
        maxTimestamp: range.max,
      };
      return { ...closed, batch, error: null };
    } catch (err) {
      log.error('batch encoding failed', { batchId: id, count: items.length, attempt: 0, error: failureMessage(err) });
      const error: SendFailure = { kind: 'permanent', code: 'INTERNAL', message: `encoding failed: ${failureMessage(err)}` };
      return { ...closed, batch: null, error };
    }
  }

  /** Delivery loop: one batch at a time, in order; keeps the next ones encoding meanwhile. */
  async function run(): Promise<void> {
    running = true;
    try {
      while (!forced) {
        startPrepare();
        const next = ahead.shift();
        if (next === undefined) break;
        const batch = await next;
        if (forced) break;
        startPrepare();
        await deliver(batch);
      }
    } catch (err) {
      log.error('internal dispatch error', { error: failureMessage(err) });
    } finally {
      running = false;
    }
  }

  /** Resolves with the promise's value, or STOPPED as soon as a forced shutdown begins. */
  function untilStopped<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    if (stop.signal.aborted) {
      promise.catch(() => undefined);
      return Promise.resolve(STOPPED);
    }
    return new Promise<T | typeof STOPPED>((resolve, reject) => {
      const onStop = () => resolve(STOPPED);
      stop.signal.addEventListener('abort', onStop, { once: true });
      promise.then(
        (value) => {
          stop.signal.removeEventListener('abort', onStop);
          resolve(value);
        },
        (err: unknown) => {
          stop.signal.removeEventListener('abort', onStop);
          reject(err);
        },
      );
    });
  }

  /** Waits `ms`, or less if a forced shutdown begins. */
  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      const finish = () => {
        if (handle !== undefined) clearTimeout(handle);
        stop.signal.removeEventListener('abort', finish);
        resolve();
      };
      const handle = timer(ms, finish);
      stop.signal.addEventListener('abort', finish, { once: true });
    });
  }

  /** One call to `sink.send` under the per-send deadline. Resolves null on ack, else the failure. */
  async function attempt(batch: Batch<unknown>, attemptNo: number, batchLog: Logger): Promise<SendFailure | null> {
    const controller = new AbortController();
    let timedOut = false;
    const onStop = () => controller.abort(closedError(`send of batch ${batch.id} aborted at shutdown`));
    stop.signal.addEventListener('abort', onStop, { once: true });
    const deadline = timer(timeoutMs, () => {
      timedOut = true;
      controller.abort(
        new K8streamError('SINK_TIMEOUT', `sink "${name}" did not answer within ${timeoutMs} ms`, { plugin: name }),
      );
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
  }

  /** Sends one prepared batch until it is acked, dead-lettered, or shutdown is forced. */
  async function deliver(prepared: PreparedBatch): Promise<void> {
    const batch = prepared.batch;
    const count = prepared.items.length;
    if (batch === null) {
      await giveUp(prepared, prepared.error as SendFailure, 0);
      return;
    }
    const batchLog = log.child({ batchId: batch.id, count });
    if (options.beforeSend !== undefined && !(await beforeSend(prepared.items, batch.id))) return;
    let previousDelay = 0;
    for (let attemptNo = 1; ; attemptNo++) {
      if (forced) return;
      if (attemptNo > 1) counters.retries++;
      inFlight = count;
      const started = performance.now();
      const failure = await attempt(batch, attemptNo, batchLog);
      const durationMs = performance.now() - started;
      inFlight = 0;
      if (forced) return;
      if (failure === null) {
        counters.batchesSent++;
        counters.eventsSent += count;
        counters.bytesSent += batch.body.byteLength;
        log.debug('batch sent', { batchId: batch.id, count, attempt: attemptNo, bytes: batch.body.byteLength });
        complete(prepared, 'acked');
        if (options.onSent !== undefined) {
          const info = { items: prepared.items, durationMs, attempts: attemptNo, bytes: batch.body.byteLength };
          hook(() => options.onSent!(info));
        }
        return;
      }
      if (options.onSendFailed !== undefined) {
        const info = { count, attempt: attemptNo, code: failure.code, permanent: failure.kind === 'permanent', durationMs };
        hook(() => options.onSendFailed!(info));
      }
      if (failure.kind === 'permanent') {
        await giveUp(prepared, failure, attemptNo);
        return;
      }
      if (deadLetter !== null && !canRetry(attemptNo, maxAttempts)) {
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
      log.warn('send failed, retrying', {
        batchId: batch.id,
        count,
        attempt: attemptNo,
        code: failure.code,
        error: failure.message,
        delayMs,
      });
      await sleep(delayMs);
    }
  }

  /** Runs the `beforeSend` hook until it succeeds; false when a forced shutdown came first. */
  async function beforeSend(items: readonly DispatchItem[], batchId: string): Promise<boolean> {
    for (let n = 1; ; n++) {
      if (forced) return false;
      try {
        const r = await untilStopped(options.beforeSend!(items));
        return r !== STOPPED;
      } catch (err) {
        const delayMs = Math.min(backoff.maxBackoffMs, backoff.initialBackoffMs * 2 ** Math.min(n - 1, 20));
        log.warn('not sending until the resume point is saved; retrying', { batchId, attempt: n, error: failureMessage(err), delayMs });
        await sleep(delayMs);
      }
    }
  }

  /** Permanent failure or retries exhausted: hand the records to the dead letter (or give up). */
  async function giveUp(prepared: PreparedBatch, failure: SendFailure, attemptNo: number): Promise<void> {
    const items = prepared.items;
    const count = items.length;
    const batchIdValue = prepared.batch?.id ?? null;
    if (failure.kind === 'permanent') counters.permanentFailures++;
    const fields = { batchId: batchIdValue, count, attempt: attemptNo, code: failure.code, error: failure.message };
    if (deadLetter === null) {
      log.error('batch rejected by the dead-letter sink; events given up', fields);
      counters.failedEvents += count;
      complete(prepared, 'deadlettered');
      return;
    }
    const time = new Date().toISOString();
    const records = new Array<DeadLetterRecord>(count);
    for (let i = 0; i < count; i++) {
      const item = items[i] as DispatchItem;
      records[i] = {
        schema: 'k8stream.deadletter/v1',
        id: item.id,
        time,
        stage: 'sink',
        component: name,
        error: { code: failure.code, message: failure.message },
        record: item.record,
      };
    }
    log.error('batch dead-lettered', fields);
    try {
      const result = await untilStopped(deadLetter.write(records));
      if (result === STOPPED) return;
      counters.deadLettered += count;
    } catch (err) {
      if (forced) return;
      log.error('dead-letter write failed; events given up', { ...fields, deadLetterError: failureMessage(err) });
      counters.failedEvents += count;
    }
    complete(prepared, 'deadlettered');
  }

  /** Calls every item's `done` in order and releases its room in the queue. */
  function complete(prepared: PreparedBatch, outcome: 'acked' | 'deadlettered'): void {
    let callbackErrors = 0;
    for (const item of prepared.items) {
      if (item.done === undefined) continue;
      try {
        item.done(outcome);
      } catch {
        callbackErrors++;
      }
    }
    if (callbackErrors > 0) {
      log.error('done callbacks threw', { batchId: prepared.batch?.id ?? null, count: prepared.items.length, errors: callbackErrors });
    }
    completed += prepared.items.length;
    queuedBytes -= prepared.queueBytes;
    while (waiters.length > 0 && (waiters[0] as DrainWaiter).target <= completed) {
      (waiters.shift() as DrainWaiter).resolve();
    }
    if (releaseRoom !== null && !isFull()) {
      const release = releaseRoom;
      room = null;
      releaseRoom = null;
      release();
    }
  }

  function push(item: DispatchItem): Promise<void> | undefined {
    if (closing) throw closedError(`cannot accept record ${item.id}`);
    const size = (item.bytes ?? Buffer.byteLength(item.json, 'utf8')) + 1;
    if (open.length > 0 && openBytes + size > limits.maxBytes) closeOpen();
    open.push(item);
    openBytes += size;
    openQueueBytes += item.json.length;
    pushed++;
    queuedBytes += item.json.length;
    if (open.length === 1) {
      ageTimer = timer(limits.maxAgeMs, onAge);
      ageTimer?.unref();
    }
    if (open.length >= limits.maxEvents || openBytes >= limits.maxBytes) closeOpen();
    if (!isFull()) return undefined;
    // Only completing batches frees room: if the open batch holds everything, send it now.
    if (open.length === pushed - completed) closeOpen();
    room ??= new Promise<void>((resolve) => {
      releaseRoom = resolve;
    });
    return room;
  }

  function drain(): Promise<void> {
    closeOpen();
    const target = pushed;
    if (completed >= target) return Promise.resolve();
    if (forced) return Promise.reject(closedError(`${target - completed} events were not delivered`));
    return new Promise<void>((resolve, reject) => waiters.push({ target, resolve, reject }));
  }

  async function closeSink(): Promise<void> {
    if (sink.close === undefined) return;
    let handle: NodeJS.Timeout | undefined;
    try {
      const done = await Promise.race([
        Promise.resolve(sink.close.call(sink)).then(() => true),
        new Promise<boolean>((resolve) => {
          handle = timer(timeoutMs, () => resolve(false));
        }),
      ]);
      if (!done) log.warn('sink close did not finish in time', { timeoutMs });
    } catch (err) {
      log.warn('sink close failed', { error: failureMessage(err) });
    } finally {
      if (handle !== undefined) clearTimeout(handle);
    }
  }

  async function shutdown(graceMs: number): Promise<{ flushed: boolean }> {
    closing = true;
    closeOpen();
    const target = pushed;
    let flushed = completed >= target;
    if (!flushed) {
      flushed = await new Promise<boolean>((resolve) => {
        const handle = timer(graceMs, () => resolve(false));
        const settle = (value: boolean) => {
          if (handle !== undefined) clearTimeout(handle);
          resolve(value);
        };
        waiters.push({ target, resolve: () => settle(true), reject: () => settle(false) });
      });
    }
    if (!flushed) {
      forced = true;
      log.warn('grace period over; undelivered events stay unacknowledged', {
        graceMs,
        queuedEvents: pushed - completed,
      });
      stop.abort();
      if (ageTimer !== undefined) clearTimeout(ageTimer);
      const error = closedError(`${pushed - completed} events were not delivered within ${graceMs} ms`);
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    }
    // Producers blocked on backpressure wake up; their next push throws SINK_CLOSED.
    if (releaseRoom !== null) {
      const release = releaseRoom;
      room = null;
      releaseRoom = null;
      release();
    }
    await closeSink();
    return { flushed };
  }

  return {
    name,
    push,
    drain,
    close(graceMs: number): Promise<{ flushed: boolean }> {
      closeResult ??= shutdown(graceMs).catch((err: unknown) => {
        log.error('close failed', { error: failureMessage(err) });
        return { flushed: false };
      });
      return closeResult;
    },
    stats(): DispatchStats {
      return {
        queuedEvents: pushed - completed,
        queuedBytes,
        ...counters,
        inFlight,
      };
    },
    opened: () => Promise.resolve(),
  };
}
