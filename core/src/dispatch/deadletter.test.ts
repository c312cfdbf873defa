import { describe, expect, it } from 'vitest';
import type { Batch, SinkInstance } from '../plugins/api.js';
import type { DeadLetterRecord, DispatchItem, DispatcherOptions } from './types.js';
import { PermanentError } from '../errors.js';
import { silentLogger } from '../util/logger.js';
import { batchId } from './batch-id.js';
import { createDeadLetterWriter, deadLetterItemId } from './deadletter.js';
import { createDispatcher } from './dispatcher.js';
import { decodeBody } from './encode.js';

const NOW = '2026-11-05T08:00:00.000Z';

function dlRecord(id: string): DeadLetterRecord {
  return {
    schema: 'k8stream.deadletter/v1',
    id,
    time: NOW,
    stage: 'sink',
    component: 'archive',
    error: { code: 'SINK_PERMANENT', message: 'access denied' },
    record: { id, message: 'line one\nline two' },
  };
}

function recordingSink(fail?: () => void) {
  const batches: Batch<unknown>[] = [];
  let gate: Promise<void> | null = null;
  let sent!: () => void;
  const firstSend = new Promise<void>((r) => {
    sent = r;
  });
  const sink: SinkInstance = {
    async send(batch) {
      batches.push(batch);
      sent();
      if (gate) await gate;
      fail?.();
    },
  };
  return {
    sink,
    batches,
    /** Resolves when `send` is first called. */
    firstSend,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = null;
        release();
      };
    },
  };
}

function dlOptions(sink: SinkInstance, over: Partial<DispatcherOptions> = {}): DispatcherOptions {
  return {
    name: 'deadletter',
    cluster: 'c1',
    sink,
    batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000 },
    encoding: { format: 'ndjson', compression: 'gzip' },
    timeoutMs: 30_000,
    retry: { maxAttempts: null, initialBackoffMs: 0, maxBackoffMs: 0 },
    queue: { maxEvents: 10_000, maxBytes: 1e9 },
    logger: silentLogger,
    deadLetter: null,
    random: () => 0,
    ...over,
  };
}

describe('createDeadLetterWriter', () => {
  it('names items dl:<id>:<stage>:<component>', () => {
    expect(deadLetterItemId(dlRecord('u1:42'))).toBe('dl:u1:42:sink:archive');
  });

  it('pushes the records to the dead-letter dispatcher and resolves once they are acked', async () => {
    const s = recordingSink();
    const release = s.hold();
    const dispatcher = createDispatcher(dlOptions(s.sink));
    const writer = createDeadLetterWriter(dispatcher, { now: () => NOW });
    const records = [dlRecord('e0'), dlRecord('e1')];
    let written = false;
    const writing = writer.write(records).then(() => {
      written = true;
    });
    await s.firstSend;
    await new Promise<void>((r) => setImmediate(r));
    expect(written).toBe(false);
    release();
    await writing;
    expect(written).toBe(true);
    const batch = s.batches[0]!;
    expect(batch.records).toEqual(records);
    expect(batch.id).toBe(batchId({ sink: 'deadletter', firstId: 'dl:e0:sink:archive', lastId: 'dl:e1:sink:archive', count: 2, minTimestamp: NOW }));
    expect(await decodeBody(batch.body, batch.encoding)).toEqual(records);
    expect(dispatcher.stats()).toMatchObject({ eventsSent: 2, queuedEvents: 0 });
  });

  it('waits for room when the dead-letter queue is full', async () => {
    const s = recordingSink();
    const dispatcher = createDispatcher(dlOptions(s.sink, { queue: { maxEvents: 2, maxBytes: 1e9 }, batch: { maxEvents: 2, maxBytes: 1e9, maxAgeMs: 3_600_000 } }));
    let maxQueued = 0;
    const observed = {
      ...dispatcher,
      push: (item: DispatchItem) => {
        const room = dispatcher.push(item);
        maxQueued = Math.max(maxQueued, dispatcher.stats().queuedEvents);
        return room;
      },
    };
    const writer = createDeadLetterWriter(observed, { now: () => NOW });
    const records = ['a', 'b', 'c', 'd', 'e'].map(dlRecord);
    await writer.write(records);
    expect(maxQueued).toBe(2);
    expect(s.batches.map((b) => b.records.length)).toEqual([2, 2, 1]);
    expect(s.batches.flatMap((b) => b.records)).toEqual(records);
  });

  it('rejects with SINK_PERMANENT when the dead-letter sink gave up', async () => {
    const s = recordingSink(() => {
      throw new PermanentError('bucket gone');
    });
    const dispatcher = createDispatcher(dlOptions(s.sink));
    const writer = createDeadLetterWriter(dispatcher);
    await expect(writer.write([dlRecord('x'), dlRecord('y')])).rejects.toMatchObject({
      code: 'SINK_PERMANENT',
      message: 'dead-letter sink "deadletter" gave up on 2 of 2 records',
    });
    expect(dispatcher.stats()).toMatchObject({ permanentFailures: 1, failedEvents: 2 });
  });

  it('rejects with SINK_CLOSED once the dead-letter dispatcher is closed', async () => {
    const s = recordingSink();
    const dispatcher = createDispatcher(dlOptions(s.sink));
    await dispatcher.close(100);
    await expect(createDeadLetterWriter(dispatcher).write([dlRecord('x')])).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('resolves an empty write without pushing', async () => {
    const s = recordingSink();
    const dispatcher = createDispatcher(dlOptions(s.sink));
    await createDeadLetterWriter(dispatcher).write([]);
    expect(dispatcher.stats().queuedEvents).toBe(0);
  });

  it('carries a sink dispatcher’s permanently rejected batch to the dead-letter sink', async () => {
    const dl = recordingSink();
    const dlDispatcher = createDispatcher(dlOptions(dl.sink));
    const main = createDispatcher({
      ...dlOptions({
        send: () => Promise.reject(new PermanentError('403 Forbidden: access denied to bucket b')),
      }),
      name: 'archive',
      deadLetter: createDeadLetterWriter(dlDispatcher),
      retry: { maxAttempts: 3, initialBackoffMs: 0, maxBackoffMs: 0 },
      batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000 },
    });
    const outcomes: string[] = [];
    for (let n = 0; n < 3; n++) {
      const record = { id: `e${n}`, n };
      void main.push({ id: record.id, json: JSON.stringify(record), timestamp: null, done: (o) => void outcomes.push(o) });
    }
    await main.drain();
    expect(outcomes).toEqual(['deadlettered', 'deadlettered', 'deadlettered']);
    expect(main.stats()).toMatchObject({ permanentFailures: 1, deadLettered: 3, failedEvents: 0 });
    const received = dl.batches.flatMap((b) => b.records) as DeadLetterRecord[];
    expect(received.map((r) => [r.id, r.stage, r.component, r.error, r.record])).toEqual(
      [0, 1, 2].map((n) => [`e${n}`, 'sink', 'archive', { code: 'SINK_PERMANENT', message: '403 Forbidden: access denied to bucket b' }, { id: `e${n}`, n }]),
    );
    expect(await main.close(100)).toEqual({ flushed: true });
    expect(await dlDispatcher.close(100)).toEqual({ flushed: true });
  });
});
