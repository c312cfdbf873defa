import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, SinkInstance } from '../plugins/api.js';
import type { DeadLetter, DeadLetterRecord, DispatchBuffer, DispatchItem, DispatcherOptions, SinkDispatcher } from './types.js';
import { checkConfig, validateConfig } from '../config/validate.js';
import { silentLogger } from '../util/logger.js';
import { createDispatcher } from './dispatcher.js';

interface TestRecord {
  id: string;
  n: number;
  pad: string;
}

/** A sink that records the ids of every acked batch; `fail(callNumber)` says which calls throw. */
function recordingSink(fail: (call: number) => boolean = () => false, gate?: Promise<void>) {
  const delivered: string[] = [];
  let calls = 0;
  const sink: SinkInstance = {
    async send(batch: Batch<unknown>) {
      calls++;
      if (gate !== undefined) await gate;
      if (fail(calls)) throw new Error(`sink down (call ${calls})`);
      for (const r of batch.records) delivered.push((r as TestRecord).id);
    },
  };
  return { sink, delivered, calls: () => calls };
}

function items(count: number, outcomes: string[] = [], pad = 'x'.repeat(40)): DispatchItem<TestRecord>[] {
  return Array.from({ length: count }, (_, n) => {
    const record: TestRecord = { id: `e${n}`, n, pad };
    return {
      id: record.id,
      record,
      json: JSON.stringify(record),
      timestamp: null,
      done: (outcome) => void outcomes.push(`${record.id}:${outcome}`),
    };
  });
}

const ids = (count: number) => Array.from({ length: count }, (_, n) => `e${n}`);

const noDeadLetter: DeadLetter & { records: DeadLetterRecord[] } = {
  records: [],
  async write(records) {
    noDeadLetter.records.push(...records);
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-disk-buffer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function diskBuffer(over: Partial<Extract<DispatchBuffer, { type: 'disk' }>> = {}): DispatchBuffer {
  return { type: 'disk', dir: join(dir, 'archive'), maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024, fsync: { intervalMs: 1000 }, overflow: 'block', ...over };
}

function options(sink: SinkInstance, buffer: DispatchBuffer, over: Partial<DispatcherOptions> = {}): DispatcherOptions {
  return {
    name: 'archive',
    cluster: 'c1',
    sink,
    batch: { maxEvents: 100, maxBytes: 1e9, maxAgeMs: 3_600_000 },
    encoding: { format: 'ndjson', compression: 'none' },
    timeoutMs: 30_000,
    retry: { maxAttempts: null, initialBackoffMs: 0, maxBackoffMs: 0 },
    // A tiny memory queue: the disk holds the backlog.
    queue: { maxEvents: 50, maxBytes: 1e6 },
    logger: silentLogger,
    deadLetter: noDeadLetter,
    random: () => 0,
    buffer,
    ...over,
  };
}

/** Pushes every item, awaiting backpressure. */
async function pushAll(d: SinkDispatcher, list: readonly DispatchItem[]): Promise<void> {
  for (const item of list) {
    const wait = d.push(item);
    if (wait !== undefined) await wait;
  }
}

describe('disk buffer', () => {
  it('loses nothing over a long sink outage: all delivered exactly once, in order', async () => {
    const outcomes: string[] = [];
    const fake = recordingSink((call) => call <= 200);
    const d = createDispatcher(options(fake.sink, diskBuffer()));
    await pushAll(d, items(20_000, outcomes));
    await d.drain();
    expect(fake.calls()).toBeGreaterThan(200);
    expect(fake.delivered).toEqual(ids(20_000));
    expect(outcomes).toEqual(ids(20_000).map((id) => `${id}:acked`));
    const stats = d.stats();
    expect(stats).toMatchObject({ queuedEvents: 0, eventsSent: 20_000, retries: 200, droppedEvents: 0, failedEvents: 0, deadLettered: 0 });
    expect(stats.disk?.records).toBe(0);
    // Acked segments are deleted; at most the active one is left.
    expect(stats.disk?.segments).toBeLessThanOrEqual(1);
    expect(await d.close(1000)).toEqual({ flushed: true });
  });

  it('keeps what was not delivered at close on disk and replays it, once, on the next start', async () => {
    const down = recordingSink(() => true);
    const first = createDispatcher(options(down.sink, diskBuffer()));
    await pushAll(first, items(5_000));
    expect(await first.close(0)).toEqual({ flushed: false });
    expect(down.delivered).toEqual([]);
    expect(first.stats()).toMatchObject({ queuedEvents: 5_000, failedEvents: 0, eventsSent: 0 });

    const up = recordingSink();
    const second = createDispatcher(options(up.sink, diskBuffer()));
    await second.drain();
    expect(up.delivered).toEqual(ids(5_000));
    expect(second.stats()).toMatchObject({ queuedEvents: 0, eventsSent: 5_000 });
    expect(await second.close(1000)).toEqual({ flushed: true });
    expect((await readdir(join(dir, 'archive'))).filter((f) => !f.startsWith('ack')).length).toBeLessThanOrEqual(1);
  });

  it('block: a full disk queue holds the producer back instead of dropping anything', async () => {
    const fake = recordingSink((call) => call <= 50);
    const d = createDispatcher(options(fake.sink, diskBuffer({ maxBytes: 16 * 1024, segmentBytes: 2 * 1024, fsync: 'always' })));
    let waits = 0;
    for (const item of items(2_000)) {
      const wait = d.push(item);
      if (wait === undefined) continue;
      waits++;
      await wait;
    }
    await d.drain();
    expect(waits).toBeGreaterThan(0);
    expect(fake.delivered).toEqual(ids(2_000));
    expect(d.stats()).toMatchObject({ queuedEvents: 0, queuedBytes: 0, eventsSent: 2_000, droppedEvents: 0 });
    expect(d.stats().disk?.bytes).toBeLessThanOrEqual(16 * 1024);
    await d.close(1000);
  });

  it('drop-oldest: every pushed event is either delivered or counted as dropped', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const fake = recordingSink(() => false, gate);
    const d = createDispatcher(
      options(fake.sink, diskBuffer({ maxBytes: 16 * 1024, segmentBytes: 2 * 1024, overflow: 'drop-oldest' }), {
        queue: { maxEvents: 20, maxBytes: 1e6 },
        batch: { maxEvents: 10, maxBytes: 1e9, maxAgeMs: 3_600_000 },
      }),
    );
    await pushAll(d, items(3_000));
    open();
    await d.drain();
    const stats = d.stats();
    expect(stats.droppedEvents).toBeGreaterThan(0);
    expect(new Set(fake.delivered).size).toBe(fake.delivered.length);
    expect(fake.delivered.length + (stats.droppedEvents ?? 0)).toBe(3_000);
    expect(stats.eventsSent).toBe(fake.delivered.length);
    expect(stats.queuedEvents).toBe(0);
    // What survives is delivered in push order, ending with the newest.
    const ns = fake.delivered.map((id) => Number(id.slice(1)));
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
    expect(ns.at(-1)).toBe(2_999);
    await d.close(1000);
  });
});

describe('sinks[].buffer config', () => {
  it('is unset by default and `type: disk` gets every default', () => {
    expect(validateConfig({ sinks: [{ use: 'file' }] }).sinks[0]?.buffer).toBeUndefined();
    expect(validateConfig({ sinks: [{ use: 'file', buffer: { type: 'disk' } }] }).sinks[0]?.buffer).toEqual({
      type: 'disk',
      dir: null,
      maxBytes: 1024 * 1024 * 1024,
      fsync: 1000,
      overflow: 'block',
    });
    expect(
      validateConfig({ sinks: [{ use: 'file', buffer: { type: 'disk', dir: './buf', maxBytes: '2GiB', fsync: 'always', overflow: 'drop-oldest' } }] })
        .sinks[0]?.buffer,
    ).toEqual({ type: 'disk', dir: './buf', maxBytes: 2 * 1024 ** 3, fsync: 'always', overflow: 'drop-oldest' });
    expect(validateConfig({ sinks: [{ use: 'file', buffer: { type: 'disk', fsync: '250ms' } }] }).sinks[0]?.buffer?.fsync).toBe(250);
  });

  it('reports bad values with their paths', () => {
    const issues = checkConfig({
      sinks: [{ use: 'file', buffer: { type: 'tape', maxBytes: 0, fsync: 'sometimes', overflow: 'drop-newest', size: 1 } }],
    });
    expect(issues.map((i) => i.path)).toEqual([
      'sinks[0].buffer.type',
      'sinks[0].buffer.maxBytes',
      'sinks[0].buffer.fsync',
      'sinks[0].buffer.overflow',
      'sinks[0].buffer.size',
    ]);
  });
});
