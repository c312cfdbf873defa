import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch, SendContext, SinkInstance } from '../plugins/api.js';
import type { DeadLetter, DeadLetterRecord, DispatchItem, DispatcherOptions, SinkDispatcher } from './types.js';
import { K8streamError, PermanentError, RetryAfterError } from '../errors.js';
import { createLogger, silentLogger, type Logger } from '../util/logger.js';
import { batchId } from './batch-id.js';
import { createDispatcher } from './dispatcher.js';
import { decodeBody } from './encode.js';

interface TestRecord {
  id: string;
  n: number;
  pad?: string;
}

interface SendCall {
  batch: Batch<unknown>;
  ctx: SendContext;
  ids: string[];
}

type Behaviour = (call: SendCall, callNumber: number) => Promise<void> | void;

/** A sink recording every send; `behaviour` decides how each call ends (default: ack). */
function fakeSink(behaviour?: Behaviour) {
  const calls: SendCall[] = [];
  const callWaiters: { n: number; resolve: () => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const state = { closed: 0 };
  const sink: SinkInstance = {
    async send(batch, ctx) {
      const call = { batch, ctx, ids: batch.records.map((r) => (r as TestRecord).id) };
      calls.push(call);
      for (const w of callWaiters.splice(0)) {
        if (calls.length >= w.n) w.resolve();
        else callWaiters.push(w);
      }
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        if (behaviour) await behaviour(call, calls.length);
      } finally {
        active--;
      }
    },
    async close() {
      state.closed++;
    },
  };
  return {
    sink,
    calls,
    state,
    maxActive: () => maxActive,
    /** Resolves once `send` has been called `n` times. */
    waitForCalls(n: number): Promise<void> {
      if (calls.length >= n) return Promise.resolve();
      return new Promise((resolve) => callWaiters.push({ n, resolve }));
    },
  };
}

/** Items `e<start>`…; every `done` outcome is appended to `outcomes` as `id:outcome`. */
function makeItems(count: number, outcomes: string[] = [], start = 0, pad = ''): DispatchItem[] {
  return Array.from({ length: count }, (_, k) => {
    const n = start + k;
    const record: TestRecord = pad ? { id: `e${n}`, n, pad } : { id: `e${n}`, n };
    return {
      id: record.id,
      json: JSON.stringify(record),
      timestamp: null,
      done: (outcome) => void outcomes.push(`${record.id}:${outcome}`),
    };
  });
}

/** A JSON logger that keeps its lines and lets a test await a message. */
function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; count: number; resolve: (line: Record<string, unknown>) => void }[] = [];
  const logger: Logger = createLogger({
    level: 'debug',
    format: 'json',
    write: (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (lines.filter((l) => l.msg === w.msg).length >= w.count) w.resolve(line);
        else waiters.push(w);
      }
    },
  });
  return {
    logger,
    lines,
    withMsg: (msg: string) => lines.filter((l) => l.msg === msg),
    /** Resolves once `msg` has been logged `count` times in total. */
    waitFor(msg: string, count = 1): Promise<void> {
      if (lines.filter((l) => l.msg === msg).length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ msg, count, resolve: () => resolve() }));
    },
  };
}

function memoryDeadLetter(): DeadLetter & { records: DeadLetterRecord[]; writes: number } {
  const dl = {
    records: [] as DeadLetterRecord[],
    writes: 0,
    async write(records: DeadLetterRecord[]) {
      dl.writes++;
      dl.records.push(...records);
    },
  };
  return dl;
}

function options(sink: SinkInstance, over: Partial<DispatcherOptions> = {}): DispatcherOptions {
  return {
    name: 'archive',
    cluster: 'c1',
    sink,
    batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000 },
    encoding: { format: 'ndjson', compression: 'none' },
    timeoutMs: 30_000,
    retry: { maxAttempts: 5, initialBackoffMs: 0, maxBackoffMs: 0 },
    queue: { maxEvents: 100_000, maxBytes: 1e9 },
    logger: silentLogger,
    deadLetter: memoryDeadLetter(),
    random: () => 0,
    ...over,
  };
}

function pushAll(d: SinkDispatcher, items: DispatchItem[]): void {
  for (const item of items) void d.push(item);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** One macrotask turn (real setImmediate): lets pending promise chains settle before a negative assertion. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const useFakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

afterEach(() => {
  vi.useRealTimers();
});

describe('batching', () => {
  it('closes a batch at maxEvents', async () => {
    const s = fakeSink();
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 10, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    pushAll(d, makeItems(25, outcomes));
    await s.waitForCalls(2);
    await flush();
    expect(s.calls.map((c) => c.ids.length)).toEqual([10, 10]);
    expect(d.stats().queuedEvents).toBe(5);
    await d.drain();
    expect(s.calls.map((c) => c.ids.length)).toEqual([10, 10, 5]);
    expect(s.calls.flatMap((c) => c.ids)).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
    expect(outcomes).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}:acked`));
    expect(d.stats()).toMatchObject({ batchesSent: 3, eventsSent: 25, queuedEvents: 0, queuedBytes: 0, retries: 0 });
  });

  it('closes a batch before an item that would exceed maxBytes', async () => {
    const s = fakeSink();
    const items = makeItems(5, [], 0, 'x'.repeat(30));
    const size = Buffer.byteLength(items[0]!.json) + 1;
    expect(items.every((i) => Buffer.byteLength(i.json) + 1 === size)).toBe(true);
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes: 2 * size + 10, maxAgeMs: 3_600_000 } }));
    pushAll(d, items);
    await s.waitForCalls(2);
    await flush();
    expect(s.calls.map((c) => c.ids)).toEqual([
      ['e0', 'e1'],
      ['e2', 'e3'],
    ]);
    expect(s.calls[0]!.batch.rawBytes).toBe(2 * size);
    await d.drain();
    expect(s.calls.map((c) => c.ids)).toEqual([['e0', 'e1'], ['e2', 'e3'], ['e4']]);
  });

  it('closes as soon as a batch reaches maxBytes exactly', async () => {
    const s = fakeSink();
    const items = makeItems(3);
    const size = Buffer.byteLength(items[0]!.json) + 1;
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes: 2 * size, maxAgeMs: 3_600_000 } }));
    pushAll(d, items.slice(0, 2));
    await s.waitForCalls(1);
    expect(s.calls[0]!.ids).toEqual(['e0', 'e1']);
    expect(s.calls[0]!.batch.rawBytes).toBe(2 * size);
    await d.close(1000);
  });

  it('sends an item larger than maxBytes alone', async () => {
    const s = fakeSink();
    const small = makeItems(1, [], 0);
    const big = makeItems(1, [], 1, 'y'.repeat(500));
    const small2 = makeItems(1, [], 2);
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes: 100, maxAgeMs: 3_600_000 } }));
    pushAll(d, [...small, ...big, ...small2]);
    await d.drain();
    expect(s.calls.map((c) => c.ids)).toEqual([['e0'], ['e1'], ['e2']]);
  });

  it('counts batch bytes in UTF-8, not UTF-16 code units', async () => {
    const s = fakeSink();
    const items = makeItems(3, [], 0, 'ü'.repeat(40));
    const chars = items[0]!.json.length + 1;
    const bytes = Buffer.byteLength(items[0]!.json) + 1;
    const maxBytes = Math.max(3 * chars, 2 * bytes); // three items by length, only two by bytes
    expect(2 * bytes).toBeLessThanOrEqual(maxBytes);
    expect(3 * bytes).toBeGreaterThan(maxBytes);
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes, maxAgeMs: 3_600_000 } }));
    pushAll(d, items);
    await d.drain();
    expect(s.calls.map((c) => c.ids)).toEqual([['e0', 'e1'], ['e2']]);
  });

  it('closes a batch maxAgeMs after its first item arrived', async () => {
    useFakeTime();
    const s = fakeSink();
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 1000 } }));
    const items = makeItems(4);
    void d.push(items[0]!);
    await vi.advanceTimersByTimeAsync(500);
    void d.push(items[1]!);
    await vi.advanceTimersByTimeAsync(499);
    await flush();
    expect(s.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await s.waitForCalls(1);
    expect(s.calls[0]!.ids).toEqual(['e0', 'e1']);

    // The next batch's age starts with its own first item.
    await vi.advanceTimersByTimeAsync(300);
    void d.push(items[2]!);
    await vi.advanceTimersByTimeAsync(999);
    void d.push(items[3]!);
    await flush();
    expect(s.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await s.waitForCalls(2);
    expect(s.calls[1]!.ids).toEqual(['e2', 'e3']);
    expect(d.stats()).toMatchObject({ batchesSent: 2, eventsSent: 4, queuedEvents: 0 });
  });

  it('flush() closes the open batch at once; later items batch as usual', async () => {
    const s = fakeSink();
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    const items = makeItems(3);
    void d.push(items[0]!);
    void d.push(items[1]!);
    d.flush();
    await s.waitForCalls(1);
    expect(s.calls[0]!.ids).toEqual(['e0', 'e1']);
    void d.push(items[2]!);
    await flush();
    expect(s.calls).toHaveLength(1); // waits for its own age or size
    d.flush();
    d.flush(); // nothing open: no empty batch
    await s.waitForCalls(2);
    await flush();
    expect(s.calls.map((c) => c.ids)).toEqual([['e0', 'e1'], ['e2']]);
  });

  it('builds the batch: deterministic id, metadata, encoded body', async () => {
    useFakeTime();
    vi.setSystemTime(new Date('2026-11-05T12:00:00Z'));
    const s = fakeSink();
    const d = createDispatcher(options(s.sink, { encoding: { format: 'ndjson', compression: 'gzip' } }));
    const items = makeItems(3);
    items[0]!.timestamp = '2026-11-05T10:00:05Z';
    items[1]!.timestamp = '2026-11-05T10:00:01.250Z';
    items[2]!.timestamp = '2026-11-05T10:00:09Z';
    pushAll(d, items);
    await d.drain();
    const batch = s.calls[0]!.batch;
    expect(batch.id).toBe(batchId({ sink: 'archive', firstId: 'e0', lastId: 'e2', count: 3, minTimestamp: '2026-11-05T10:00:01.250Z' }));
    expect(batch.id.startsWith('20261105T100001250Z-')).toBe(true);
    expect(batch).toMatchObject({
      sink: 'archive',
      cluster: 'c1',
      encoding: { format: 'ndjson', compression: 'gzip' },
      contentType: 'application/x-ndjson',
      contentEncoding: 'gzip',
      extension: '.ndjson.gz',
      createdAt: Date.parse('2026-11-05T12:00:00Z'),
      minTimestamp: '2026-11-05T10:00:01.250Z',
      maxTimestamp: '2026-11-05T10:00:09Z',
      rawBytes: items.reduce((sum, i) => sum + Buffer.byteLength(i.json) + 1, 0),
    });
    expect(batch.records).toEqual(items.map((i) => JSON.parse(i.json) as unknown));
    expect(await decodeBody(batch.body, batch.encoding)).toEqual(items.map((i) => JSON.parse(i.json) as unknown));
    expect(d.stats().bytesSent).toBe(batch.body.byteLength);
  });

  it('keeps one send in flight at a time', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const s = fakeSink((_, n) => gates[n - 1]!.promise);
    const d = createDispatcher(options(s.sink, { batch: { maxEvents: 2, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    pushAll(d, makeItems(6));
    await s.waitForCalls(1);
    await flush();
    expect(s.calls).toHaveLength(1);
    expect(d.stats().inFlight).toBe(2);
    gates[0]!.resolve();
    await s.waitForCalls(2);
    await flush();
    expect(s.calls).toHaveLength(2);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await d.drain();
    expect(s.maxActive()).toBe(1);
    expect(d.stats().inFlight).toBe(0);
  });
});

describe('failures and retries', () => {
  it('dead-letters permanently rejected batches with exact counts, without retrying', async () => {
    const dl = memoryDeadLetter();
    const s = fakeSink(() => {
      throw new PermanentError('access denied to bucket my-bucket');
    });
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink, { deadLetter: dl, batch: { maxEvents: 4, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    const items = makeItems(10, outcomes);
    pushAll(d, items);
    await d.drain();
    expect(s.calls).toHaveLength(3);
    expect(dl.writes).toBe(3);
    expect(dl.records).toHaveLength(10);
    expect(dl.records[0]).toEqual({
      schema: 'k8stream.deadletter/v1',
      id: 'e0',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      stage: 'sink',
      component: 'archive',
      error: { code: 'SINK_PERMANENT', message: 'access denied to bucket my-bucket' },
      record: { id: 'e0', n: 0 },
    });
    expect(dl.records.map((r) => r.id)).toEqual(items.map((i) => i.id));
    expect(outcomes).toEqual(items.map((i) => `${i.id}:deadlettered`));
    expect(d.stats()).toMatchObject({
      permanentFailures: 3,
      deadLettered: 10,
      failedEvents: 0,
      eventsSent: 0,
      batchesSent: 0,
      retries: 0,
      queuedEvents: 0,
    });
  });

  it('retries transient failures with exponential backoff, then acks once', async () => {
    useFakeTime();
    const log = captureLogger();
    const s = fakeSink((_, n) => {
      if (n <= 2) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    const outcomes: string[] = [];
    const d = createDispatcher(
      options(s.sink, {
        logger: log.logger,
        random: () => 0.5,
        retry: { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 10_000 },
      }),
    );
    pushAll(d, makeItems(3, outcomes));
    const drained = d.drain();
    await log.waitFor('send failed, retrying', 1);
    await vi.advanceTimersByTimeAsync(49);
    expect(s.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await s.waitForCalls(2);
    await log.waitFor('send failed, retrying', 2);
    await vi.advanceTimersByTimeAsync(99);
    expect(s.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await drained;
    expect(s.calls).toHaveLength(3);
    expect(s.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3]);
    expect(new Set(s.calls.map((c) => c.batch)).size).toBe(1);
    expect(outcomes).toEqual(['e0:acked', 'e1:acked', 'e2:acked']);
    expect(d.stats()).toMatchObject({ retries: 2, batchesSent: 1, eventsSent: 3, deadLettered: 0 });
    const warns = log.withMsg('send failed, retrying');
    expect(warns.map((w) => [w.attempt, w.delayMs, w.code, w.error])).toEqual([
      [1, 50, 'ECONNRESET', 'socket hang up'],
      [2, 100, 'ECONNRESET', 'socket hang up'],
    ]);
    for (const w of warns) {
      expect(w).toMatchObject({ level: 'warn', sink: 'archive', batchId: s.calls[0]!.batch.id, count: 3 });
    }
    const sent = log.withMsg('batch sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ sink: 'archive', batchId: s.calls[0]!.batch.id, count: 3, attempt: 3 });
  });

  it('waits at least retryAfterMs after a retry-after failure', async () => {
    useFakeTime();
    const log = captureLogger();
    const s = fakeSink((_, n) => {
      if (n === 1) throw new RetryAfterError('SlowDown', 5000);
    });
    const d = createDispatcher(
      options(s.sink, {
        logger: log.logger,
        random: () => 0.5,
        retry: { maxAttempts: 2, initialBackoffMs: 100, maxBackoffMs: 1000 },
      }),
    );
    pushAll(d, makeItems(1));
    const drained = d.drain();
    await log.waitFor('send failed, retrying');
    await vi.advanceTimersByTimeAsync(4999);
    expect(s.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await drained;
    expect(s.calls).toHaveLength(2);
    expect(log.withMsg('send failed, retrying')[0]).toMatchObject({ code: 'SINK_RETRY_AFTER', delayMs: 5000 });
  });

  it('dead-letters after maxAttempts transient failures', async () => {
    const dl = memoryDeadLetter();
    const s = fakeSink(() => {
      throw new Error('boom');
    });
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink, { deadLetter: dl, retry: { maxAttempts: 3, initialBackoffMs: 0, maxBackoffMs: 0 } }));
    pushAll(d, makeItems(2, outcomes));
    await d.drain();
    expect(s.calls).toHaveLength(3);
    expect(dl.records.map((r) => [r.id, r.error])).toEqual([
      ['e0', { code: 'SINK_RETRIES_EXHAUSTED', message: '3 attempts failed; last error [SINK_TRANSIENT]: boom' }],
      ['e1', { code: 'SINK_RETRIES_EXHAUSTED', message: '3 attempts failed; last error [SINK_TRANSIENT]: boom' }],
    ]);
    expect(outcomes).toEqual(['e0:deadlettered', 'e1:deadlettered']);
    expect(d.stats()).toMatchObject({ retries: 2, deadLettered: 2, permanentFailures: 0, failedEvents: 0 });
  });

  it('aborts the send signal at timeoutMs and retries (timeout is transient)', async () => {
    useFakeTime();
    const log = captureLogger();
    const signals: AbortSignal[] = [];
    const s = fakeSink((call, n) => {
      signals.push(call.ctx.signal);
      if (n === 1) {
        return new Promise<void>((_, reject) => {
          call.ctx.signal.addEventListener('abort', () => reject(call.ctx.signal.reason as Error));
        });
      }
      return undefined;
    });
    const d = createDispatcher(
      options(s.sink, {
        logger: log.logger,
        timeoutMs: 1000,
        random: () => 0.5,
        retry: { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 100 },
      }),
    );
    pushAll(d, makeItems(2));
    const drained = d.drain();
    await s.waitForCalls(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toMatchObject({ code: 'SINK_TIMEOUT', message: 'sink "archive" did not answer within 1000 ms' });
    await log.waitFor('send failed, retrying');
    await vi.advanceTimersByTimeAsync(50);
    await drained;
    expect(s.calls).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
    expect(log.withMsg('send failed, retrying')[0]).toMatchObject({ code: 'SINK_TIMEOUT', attempt: 1, count: 2, delayMs: 50 });
    expect(d.stats()).toMatchObject({ retries: 1, eventsSent: 2 });
  });

  it('moves on at timeoutMs even when the sink ignores the signal', async () => {
    useFakeTime();
    const s = fakeSink((_, n) => (n === 1 ? new Promise<void>(() => undefined) : undefined));
    const log = captureLogger();
    const d = createDispatcher(
      options(s.sink, {
        logger: log.logger,
        timeoutMs: 1000,
        random: () => 0.5,
        retry: { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 100 },
      }),
    );
    pushAll(d, makeItems(1));
    const drained = d.drain();
    await s.waitForCalls(1);
    await vi.advanceTimersByTimeAsync(1000);
    await log.waitFor('send failed, retrying');
    await vi.advanceTimersByTimeAsync(50);
    await drained;
    expect(s.calls).toHaveLength(2);
    expect(d.stats()).toMatchObject({ retries: 1, eventsSent: 1 });
  });

  it('classifies errors of a foreign core copy by code, not instanceof', async () => {
    useFakeTime();
    class ForeignPermanent extends Error {
      readonly code = 'SINK_PERMANENT';
    }
    const dl = memoryDeadLetter();
    const log = captureLogger();
    const s = fakeSink((call) => {
      if (call.ids[0] === 'e0') throw new ForeignPermanent('schema mismatch');
      if (s.calls.length === 2) throw { code: 'SINK_RETRY_AFTER', retryAfterMs: 300, message: 'throttled' };
      return undefined;
    });
    const d = createDispatcher(options(s.sink, { deadLetter: dl, logger: log.logger, batch: { maxEvents: 1, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    pushAll(d, makeItems(2));
    const drained = d.drain();
    await log.waitFor('send failed, retrying');
    await vi.advanceTimersByTimeAsync(299);
    expect(s.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await drained;
    expect(s.calls.map((c) => c.ids)).toEqual([['e0'], ['e1'], ['e1']]);
    expect(dl.records.map((r) => [r.id, r.error.code, r.error.message])).toEqual([['e0', 'SINK_PERMANENT', 'schema mismatch']]);
    expect(d.stats()).toMatchObject({ permanentFailures: 1, deadLettered: 1, eventsSent: 1, retries: 1 });
  });

  it('without a dead letter: retries forever, and gives up permanent failures with an error log', async () => {
    const log = captureLogger();
    const outcomes: string[] = [];
    const s = fakeSink((call, n) => {
      if (call.ids[0] === 'e0' && n <= 3) throw new Error('unavailable');
      if (call.ids[0] === 'e1') throw new PermanentError('invalid object key');
      return undefined;
    });
    const d = createDispatcher(
      options(s.sink, {
        deadLetter: null,
        logger: log.logger,
        retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
        batch: { maxEvents: 1, maxBytes: 1e9, maxAgeMs: 3_600_000 },
      }),
    );
    pushAll(d, makeItems(2, outcomes));
    await d.drain();
    expect(s.calls.map((c) => c.ids[0])).toEqual(['e0', 'e0', 'e0', 'e0', 'e1']);
    expect(outcomes).toEqual(['e0:acked', 'e1:deadlettered']);
    expect(d.stats()).toMatchObject({ retries: 3, eventsSent: 1, permanentFailures: 1, failedEvents: 1, deadLettered: 0 });
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'batch rejected by the dead-letter sink; events given up',
      sink: 'archive',
      batchId: s.calls[4]!.batch.id,
      count: 1,
      attempt: 1,
      code: 'SINK_PERMANENT',
      error: 'invalid object key',
    });
  });

  it('counts events whose dead-letter write failed as failed, and completes them', async () => {
    const outcomes: string[] = [];
    const s = fakeSink(() => {
      throw new PermanentError('nope');
    });
    const deadLetter: DeadLetter = {
      write: () => Promise.reject(new K8streamError('SINK_CLOSED', 'dead-letter closed')),
    };
    const d = createDispatcher(options(s.sink, { deadLetter }));
    pushAll(d, makeItems(3, outcomes));
    await d.drain();
    expect(outcomes).toEqual(['e0:deadlettered', 'e1:deadlettered', 'e2:deadlettered']);
    expect(d.stats()).toMatchObject({ permanentFailures: 1, deadLettered: 0, failedEvents: 3, queuedEvents: 0 });
  });

  it('survives a sink whose send throws synchronously and a done callback that throws', async () => {
    let first = true;
    const sink: SinkInstance = {
      send: () => {
        if (first) {
          first = false;
          throw new Error('sync throw');
        }
        return Promise.resolve();
      },
    };
    const d = createDispatcher(options(sink));
    const items = makeItems(2);
    items[0]!.done = () => {
      throw new Error('callback bug');
    };
    const outcomes: string[] = [];
    items[1]!.done = (o) => void outcomes.push(o);
    pushAll(d, items);
    await d.drain();
    expect(outcomes).toEqual(['acked']);
    expect(d.stats()).toMatchObject({ retries: 1, eventsSent: 2, queuedEvents: 0 });
  });
});

describe('backpressure', () => {
  it('bounds the queue under a slow sink and delivers everything exactly once, in order', async () => {
    const N = 10_000;
    let maxQueued = 0;
    // eslint-disable-next-line prefer-const -- assigned below; the sink's callback, created first, reads it
    let d!: SinkDispatcher;
    const s = fakeSink(async () => {
      maxQueued = Math.max(maxQueued, d.stats().queuedEvents);
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    const outcomes: string[] = [];
    d = createDispatcher(
      options(s.sink, {
        batch: { maxEvents: 30, maxBytes: 1e9, maxAgeMs: 3_600_000 },
        queue: { maxEvents: 100, maxBytes: 1e9 },
      }),
    );
    let waits = 0;
    for (const item of makeItems(N, outcomes)) {
      const room = d.push(item);
      maxQueued = Math.max(maxQueued, d.stats().queuedEvents);
      if (room) {
        waits++;
        await room;
      }
    }
    await d.drain();
    expect(maxQueued).toBe(100);
    expect(waits).toBeGreaterThan(0);
    const delivered = s.calls.flatMap((c) => c.ids);
    expect(delivered).toHaveLength(N);
    expect(delivered).toEqual(Array.from({ length: N }, (_, i) => `e${i}`));
    expect(outcomes).toEqual(Array.from({ length: N }, (_, i) => `e${i}:acked`));
    expect(s.maxActive()).toBe(1);
    expect(d.stats()).toMatchObject({ eventsSent: N, queuedEvents: 0, queuedBytes: 0 });
  });

  it('bounds queued bytes (soft by at most one item)', async () => {
    const items = makeItems(2000, [], 0, 'z'.repeat(40));
    const len = Math.max(...items.map((i) => i.json.length));
    let maxBytes = 0;
    // eslint-disable-next-line prefer-const -- assigned below; the sink's callback, created first, reads it
    let d!: SinkDispatcher;
    const s = fakeSink(async () => {
      maxBytes = Math.max(maxBytes, d.stats().queuedBytes);
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    d = createDispatcher(
      options(s.sink, {
        batch: { maxEvents: 5, maxBytes: 1e9, maxAgeMs: 3_600_000 },
        queue: { maxEvents: 100_000, maxBytes: 1000 },
      }),
    );
    for (const item of items) {
      const room = d.push(item);
      maxBytes = Math.max(maxBytes, d.stats().queuedBytes);
      if (room) await room;
    }
    await d.drain();
    expect(maxBytes).toBeGreaterThanOrEqual(1000);
    expect(maxBytes).toBeLessThan(1000 + len);
    expect(s.calls.flatMap((c) => c.ids)).toHaveLength(2000);
    expect(d.stats().queuedBytes).toBe(0);
  });

  it('returns undefined below the limit and one shared promise at it', async () => {
    const gate = deferred();
    const s = fakeSink(() => gate.promise);
    const d = createDispatcher(options(s.sink, { queue: { maxEvents: 3, maxBytes: 1e9 } }));
    const items = makeItems(4);
    expect(d.push(items[0]!)).toBeUndefined();
    expect(d.push(items[1]!)).toBeUndefined();
    const room = d.push(items[2]!);
    expect(room).toBeInstanceOf(Promise);
    expect(d.push(items[3]!)).toBe(room);
    let released = false;
    void room!.then(() => {
      released = true;
    });
    // The open batch held everything queued, so it was sent at once (no waiting for maxAgeMs).
    await s.waitForCalls(1);
    expect(s.calls[0]!.ids).toEqual(['e0', 'e1', 'e2']);
    await flush();
    expect(released).toBe(false);
    gate.resolve();
    await room;
    expect(d.stats().queuedEvents).toBe(1);
    await d.drain();
    expect(s.calls.map((c) => c.ids)).toEqual([['e0', 'e1', 'e2'], ['e3']]);
  });
});

describe('drain and close', () => {
  it('drain sends the open batch and resolves after the ack', async () => {
    const gate = deferred();
    const s = fakeSink(() => gate.promise);
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink));
    pushAll(d, makeItems(3, outcomes));
    let drained = false;
    const p = d.drain().then(() => {
      drained = true;
    });
    await s.waitForCalls(1);
    await flush();
    expect(drained).toBe(false);
    gate.resolve();
    await p;
    expect(outcomes).toEqual(['e0:acked', 'e1:acked', 'e2:acked']);
    await d.drain(); // nothing pending: resolves at once
  });

  it('close flushes the open batch, closes the sink, and refuses later pushes', async () => {
    const s = fakeSink();
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink));
    pushAll(d, makeItems(3, outcomes));
    const closing = d.close(5000);
    expect(d.close(1)).toBe(closing);
    expect(await closing).toEqual({ flushed: true });
    expect(s.calls.map((c) => c.ids)).toEqual([['e0', 'e1', 'e2']]);
    expect(outcomes).toEqual(['e0:acked', 'e1:acked', 'e2:acked']);
    expect(s.state.closed).toBe(1);
    const err = thrown(() => d.push(makeItems(1, [], 9)[0]!));
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).toMatchObject({ code: 'SINK_CLOSED', message: 'sink "archive" is closed; cannot accept record e9' });
  });

  it('close with a hung sink returns flushed:false at the grace deadline and aborts the send', async () => {
    useFakeTime();
    const s = fakeSink(() => new Promise<void>(() => undefined));
    const outcomes: string[] = [];
    const d = createDispatcher(options(s.sink, { timeoutMs: 60_000 }));
    pushAll(d, makeItems(2, outcomes));
    const drained = d.drain();
    const drainResult = drained.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await s.waitForCalls(1);
    let result: { flushed: boolean } | undefined;
    const closing = d.close(100).then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(result).toEqual({ flushed: false });
    const signal = s.calls[0]!.ctx.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ code: 'SINK_CLOSED' });
    expect(await drainResult).toMatchObject({ code: 'SINK_CLOSED' });
    expect(s.state.closed).toBe(1);
    expect(outcomes).toEqual([]);
    expect(d.stats()).toMatchObject({ queuedEvents: 2, eventsSent: 0, inFlight: 0 });
    await expect(d.drain()).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('close stops a retry loop waiting on backoff', async () => {
    useFakeTime();
    const log = captureLogger();
    const s = fakeSink(() => {
      throw new Error('down');
    });
    const d = createDispatcher(options(s.sink, { logger: log.logger, random: () => 0.5, retry: { maxAttempts: null, initialBackoffMs: 10_000, maxBackoffMs: 10_000 } }));
    pushAll(d, makeItems(1));
    d.drain().catch(() => undefined);
    await log.waitFor('send failed, retrying');
    const closing = d.close(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(await closing).toEqual({ flushed: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(s.calls).toHaveLength(1);
  });

  it('close wakes producers blocked on backpressure; their next push throws SINK_CLOSED', async () => {
    useFakeTime();
    const s = fakeSink(() => new Promise<void>(() => undefined));
    const d = createDispatcher(options(s.sink, { queue: { maxEvents: 2, maxBytes: 1e9 }, timeoutMs: 60_000 }));
    const items = makeItems(3);
    void d.push(items[0]!);
    const room = d.push(items[1]!);
    expect(room).toBeInstanceOf(Promise);
    const closing = d.close(10);
    await vi.advanceTimersByTimeAsync(10);
    await room;
    expect(await closing).toEqual({ flushed: false });
    expect(thrown(() => d.push(items[2]!))).toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('rejects non-positive limits with CONFIG_INVALID', () => {
    const s = fakeSink();
    expect(thrown(() => createDispatcher(options(s.sink, { batch: { maxEvents: 0, maxBytes: 1, maxAgeMs: 1 } })))).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'batch.maxEvents',
      message: 'sink "archive": batch.maxEvents must be a positive integer, got 0',
    });
  });

  it('rejects a compression level the effective compression does not have (plugin defaults included)', () => {
    const s = fakeSink();
    expect(thrown(() => createDispatcher(options(s.sink, { encoding: { format: 'ndjson', compression: 'gzip', level: 15 } })))).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'encoding.level',
      message: 'sink "archive": encoding.level must be an integer from 1 to 9 for gzip, got 15',
    });
  });
});
