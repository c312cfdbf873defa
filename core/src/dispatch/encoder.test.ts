import { describe, expect, it, vi } from 'vitest';
import type { DispatchItem } from './types.js';
import type { ClosedBatch } from './batcher.js';
import { silentLogger } from '../util/logger.js';
import { batchId } from './batch-id.js';
import { createBodyWriter } from './body-writer.js';
import { decodeBody } from './encode.js';
import { type PreparedBatch, createEncoder, timestampRange } from './encoder.js';
import { createStop } from './shutdown.js';

const GZIP_NDJSON = { format: 'ndjson', compression: 'gzip' } as const;

/** A closed batch as the batcher hands it on: receipts, and the body written from the texts. */
function closedOf(items: DispatchItem[], closedAt = 42): ClosedBatch {
  const writer = createBodyWriter(GZIP_NDJSON);
  for (const item of items) writer.add(item.json);
  return { items, body: writer.finish(), queueBytes: items.reduce((n, item) => n + item.json.length, 0), closedAt };
}

function closed(ids: string[], timestamps: (string | null)[] = []): ClosedBatch {
  return closedOf(ids.map((id, i) => ({ id, json: JSON.stringify({ id }), timestamp: timestamps[i] ?? null })));
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An encoder whose next sender blocks until the test releases each batch. */
function setup() {
  const stop = createStop();
  const received: PreparedBatch[] = [];
  const gates: ReturnType<typeof deferred>[] = [];
  let active = 0;
  let maxActive = 0;
  const next = async (prepared: PreparedBatch) => {
    received.push(prepared);
    active++;
    maxActive = Math.max(maxActive, active);
    const gate = deferred();
    gates.push(gate);
    await gate.promise;
    active--;
  };
  const encoder = createEncoder({ name: 'archive', cluster: 'c1', encoding: GZIP_NDJSON, log: silentLogger }, stop, next);
  return { encoder, stop, received, gates, maxActive: () => maxActive };
}

describe('encoder sender', () => {
  it('builds the sink batch: deterministic id, metadata, encoded body', async () => {
    const { encoder, received } = setup();
    encoder.enqueue(closed(['a', 'b', 'c'], ['2026-11-05T10:00:02Z', 'not a time', '2026-11-05T10:00:01Z']));
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const { batch, error } = received[0]!;
    expect(error).toBeNull();
    expect(batch).toMatchObject({
      id: batchId({ sink: 'archive', firstId: 'a', lastId: 'c', count: 3, minTimestamp: '2026-11-05T10:00:01Z' }),
      sink: 'archive',
      cluster: 'c1',
      records: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      encoding: { format: 'ndjson', compression: 'gzip' },
      contentEncoding: 'gzip',
      extension: '.ndjson.gz',
      createdAt: 42,
      minTimestamp: '2026-11-05T10:00:01Z',
      maxTimestamp: '2026-11-05T10:00:02Z',
    });
    expect(await decodeBody(batch!.body, { format: 'ndjson', compression: 'gzip' })).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  });

  it('decodes batch.records from the body only when a sink reads them, once; count needs no decoding', async () => {
    const { encoder, received } = setup();
    const items: DispatchItem[] = [
      { id: 'a', json: '{"id":"a","n":1}', timestamp: null },
      { id: 'b', json: '{"id":"b","n":2}', timestamp: null },
    ];
    const parse = vi.spyOn(JSON, 'parse');
    try {
      encoder.enqueue(closedOf(items, 1));
      await vi.waitFor(() => expect(received).toHaveLength(1));
      const batch = received[0]!.batch!;
      expect(batch.count).toBe(2);
      expect(parse).not.toHaveBeenCalled();
      expect(batch.records).toEqual([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]);
      expect(batch.records).toBe(batch.records);
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });

  it('hands batches on one at a time, in close order', async () => {
    const { encoder, received, gates, maxActive } = setup();
    for (const id of ['1', '2', '3', '4', '5']) encoder.enqueue(closed([id]));
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await tick();
    expect(received).toHaveLength(1);
    for (let i = 0; i < 4; i++) {
      gates[i]!.resolve();
      await vi.waitFor(() => expect(received).toHaveLength(i + 2));
    }
    gates[4]!.resolve();
    expect(received.map((p) => p.items[0]!.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(maxActive()).toBe(1);
  });

  it('turns a failed body into a permanent INTERNAL failure instead of rejecting', async () => {
    const { encoder, received, gates } = setup();
    const broken = closed(['a']);
    broken.body = Promise.reject(new Error('zlib broke'));
    encoder.enqueue(broken);
    encoder.enqueue(closed(['b']));
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toMatchObject({ batch: null, error: { kind: 'permanent', code: 'INTERNAL', message: 'encoding failed: zlib broke' } });
    gates[0]!.resolve();
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received[1]!.batch).not.toBeNull();
  });

  it('once shutdown is forced, hands on nothing more', async () => {
    const { encoder, received, gates, stop } = setup();
    encoder.enqueue(closed(['a']));
    await vi.waitFor(() => expect(received).toHaveLength(1));
    encoder.enqueue(closed(['b']));
    encoder.enqueue(closed(['c']));
    stop.force();
    encoder.enqueue(closed(['d']));
    gates[0]!.resolve();
    await tick();
    await tick();
    expect(received).toHaveLength(1);
  });

  it('timestampRange compares times, not strings, and keeps the original strings', () => {
    // 00:00+01:00 on the 2nd is 23:00Z on the 1st: earlier than 23:30Z although it sorts later as text.
    const items = closed(['a', 'b', 'c'], ['2026-01-02T00:00:00.000+01:00', null, '2026-01-01T23:30:00Z']).items;
    expect(timestampRange(items)).toEqual({ min: '2026-01-02T00:00:00.000+01:00', max: '2026-01-01T23:30:00Z' });
    expect(timestampRange(closed(['x']).items)).toEqual({ min: null, max: null });
  });
});
