import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DispatchItem } from './types.js';
import { type ClosedBatch, createBatcher } from './batcher.js';
import { decodeRecords, loadParquetWriter } from './body-writer.js';
import { decodeBody } from './encode.js';

function item(id: string, json = '{"a":1}', bytes?: number): DispatchItem {
  return { id, json, timestamp: null, ...(bytes !== undefined ? { bytes } : {}) };
}

function batcher(limits: { maxEvents?: number; maxBytes?: number; maxAgeMs?: number }) {
  const closed: ClosedBatch[] = [];
  const b = createBatcher({ maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000, ...limits }, { format: 'ndjson', compression: 'gzip' }, (batch) => void closed.push(batch));
  const ids = () => closed.map((c) => c.items.map((i) => i.id).join(','));
  return { b, closed, ids };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('batcher', () => {
  it('closes at maxEvents and hands batches on synchronously, in order', () => {
    const { b, ids } = batcher({ maxEvents: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) b.add(item(id));
    expect(ids()).toEqual(['a,b', 'c,d']);
    expect(b.size).toBe(1);
    b.flush();
    expect(ids()).toEqual(['a,b', 'c,d', 'e']);
    b.flush(); // empty: no batch
    expect(ids()).toHaveLength(3);
  });

  it('closes before an item that would pass maxBytes, at maxBytes exactly, and sends a larger item alone', () => {
    // '{"a":1}' is 7 bytes, 8 with its separator.
    const { b, ids } = batcher({ maxBytes: 20 });
    b.add(item('a'));
    b.add(item('b')); // 16
    b.add(item('c')); // 24 > 20: a,b close first
    expect(ids()).toEqual(['a,b']);
    b.add(item('big', `{"a":"${'x'.repeat(40)}"}`));
    expect(ids()).toEqual(['a,b', 'c', 'big']);
    const exact = batcher({ maxBytes: 16 });
    exact.b.add(item('a'));
    exact.b.add(item('b'));
    expect(exact.ids()).toEqual(['a,b']);
  });

  it('counts UTF-8 bytes, and trusts item.bytes when the producer measured it', () => {
    const { b, ids } = batcher({ maxBytes: 10 });
    b.add(item('u', '"éé"')); // 4 code units, 6 bytes + 1
    b.add(item('v', '"é"')); // 3 code units, 4 bytes + 1: 12 > 10
    expect(ids()).toEqual(['u']);
    const told = batcher({ maxBytes: 10 });
    told.b.add(item('a', '{}', 9)); // 10: closes at once
    expect(told.ids()).toEqual(['a']);
  });

  it('records queueBytes as the sum of json.length and closedAt as the close time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const { b, closed } = batcher({});
    b.add(item('a', '"éé"'));
    b.add(item('b', '{}'));
    b.flush();
    expect(closed[0]).toMatchObject({ queueBytes: 6, closedAt: 1_700_000_000_000 });
  });

  it('closes maxAgeMs after the first item arrived, not after the last', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { b, ids } = batcher({ maxAgeMs: 1000 });
    b.add(item('a'));
    vi.advanceTimersByTime(600);
    b.add(item('b'));
    vi.advanceTimersByTime(399);
    expect(ids()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ids()).toEqual(['a,b']);
    // A batch closed early cancels its timer; the next batch gets its own.
    b.add(item('c'));
    b.flush();
    b.add(item('d'));
    vi.advanceTimersByTime(999);
    expect(ids()).toEqual(['a,b', 'c']);
    vi.advanceTimersByTime(1);
    expect(ids()).toEqual(['a,b', 'c', 'd']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop clears the age timer for good', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { b, ids } = batcher({ maxAgeMs: 1000 });
    b.add(item('a'));
    b.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(ids()).toEqual([]);
  });

  it('writes each text into the batch body as it arrives and keeps only a receipt of the item', async () => {
    const { b, closed } = batcher({ maxEvents: 2 });
    const done = () => undefined;
    b.add({ ...item('a', '{"n":1}'), done, checkpoint: 3, resourceVersion: '7' });
    b.add(item('b', '"é"'));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.items).toEqual([
      { id: 'a', timestamp: null, done, checkpoint: 3, resourceVersion: '7' },
      { id: 'b', timestamp: null, done: undefined, checkpoint: undefined, resourceVersion: undefined },
    ]);
    expect(closed[0]!.items[0]).not.toHaveProperty('json');
    const body = await closed[0]!.body;
    expect(Array.from(body.recordBytes)).toEqual([7, 4]);
    expect(decodeRecords(body.body, { format: 'ndjson', compression: 'gzip' }, body.recordBytes)).toEqual([{ n: 1 }, 'é']);
  });

  it("hands the body each item's record object with its text: a Parquet batch's columns come from the object, not from parsing the text", async () => {
    await loadParquetWriter();
    const encoding = { format: 'parquet', compression: 'zstd' } as const;
    const closed: ClosedBatch[] = [];
    const b = createBatcher({ maxEvents: 2, maxBytes: 1e9, maxAgeMs: 3_600_000 }, encoding, (batch) => void closed.push(batch));
    // A record object that is not its text's (never so in the pipeline) shows which one the columns were built from.
    b.add({ ...item('a', '{"reason":"FromText"}'), record: { reason: 'FromObject' } });
    b.add(item('b', '{"reason":"OnlyText"}'));
    const body = await closed[0]!.body;
    expect(closed[0]!.items[0]).not.toHaveProperty('record');
    expect(((await decodeBody(body.body, encoding)) as { reason: string }[]).map((r) => r.reason)).toEqual(['FromObject', 'OnlyText']);
  });
});
