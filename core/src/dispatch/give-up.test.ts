import { describe, expect, it } from 'vitest';
import type { DeadLetter, DeadLetterRecord, DispatchItem } from './types.js';
import type { PreparedBatch } from './encoder.js';
import type { SendFailure } from './retry.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { createGiveUp, emptySendCounters } from './give-up.js';
import { createStop } from './shutdown.js';

function prepared(n: number): PreparedBatch {
  const items: DispatchItem[] = Array.from({ length: n }, (_, i) => ({ id: `e${i}`, json: `{"n":${i}}`, timestamp: null }));
  const records = items.map((item) => JSON.parse(item.json) as unknown);
  return { items, queueBytes: 7 * n, closedAt: 0, batch: { id: 'b1', records } as unknown as PreparedBatch['batch'], error: null };
}

const permanent: SendFailure = { kind: 'permanent', code: 'SINK_PERMANENT', message: 'bad record' };
const exhausted: SendFailure = { kind: 'transient', code: 'SINK_RETRIES_EXHAUSTED', message: '5 attempts failed' };

function setup(deadLetter: DeadLetter | null, logger = silentLogger) {
  const stop = createStop();
  const counters = emptySendCounters();
  const completed: string[] = [];
  const queue = {
    complete: (items: readonly DispatchItem[], queueBytes: number, outcome: string, batchId: string | null) =>
      void completed.push(`${items.length}/${queueBytes}/${outcome}/${batchId}`),
  };
  const giveUp = createGiveUp({ name: 'archive', deadLetter, log: logger }, stop, queue, counters);
  return { stop, counters, completed, giveUp };
}

describe('give-up', () => {
  it('hands every record to the dead letter, counts them, and completes the batch as deadlettered', async () => {
    const written: DeadLetterRecord[] = [];
    const { giveUp, counters, completed } = setup({ write: async (records) => void written.push(...records) });
    await giveUp(prepared(2), permanent, 1);
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual({
      schema: 'k8stream.deadletter/v1',
      id: 'e1',
      time: expect.any(String) as string,
      stage: 'sink',
      component: 'archive',
      error: { code: 'SINK_PERMANENT', message: 'bad record' },
      record: { n: 1 },
    });
    expect(written[0]!.time).toBe(written[1]!.time);
    expect(counters).toMatchObject({ permanentFailures: 1, deadLettered: 2, failedEvents: 0 });
    expect(completed).toEqual(['2/14/deadlettered/b1']);
  });

  it('a batch without a body (its compression failed) dead-letters each id with the error and no record', async () => {
    const written: DeadLetterRecord[] = [];
    const { giveUp, counters, completed } = setup({ write: async (records) => void written.push(...records) });
    const failure: SendFailure = { kind: 'permanent', code: 'INTERNAL', message: 'encoding failed: zlib broke' };
    await giveUp({ ...prepared(2), batch: null, error: failure }, failure, 0);
    expect(written.map((r) => [r.id, r.record, r.error.code])).toEqual([
      ['e0', null, 'INTERNAL'],
      ['e1', null, 'INTERNAL'],
    ]);
    expect(counters).toMatchObject({ permanentFailures: 1, deadLettered: 2 });
    expect(completed).toEqual(['2/14/deadlettered/null']);
  });

  it('counts exhausted retries as dead-lettered but not as a permanent failure', async () => {
    const { giveUp, counters } = setup({ write: async () => undefined });
    await giveUp(prepared(3), exhausted, 5);
    expect(counters).toMatchObject({ permanentFailures: 0, deadLettered: 3 });
  });

  it('counts events whose dead-letter write failed as failed, and still completes them', async () => {
    const { logger, lines } = recordingLogger();
    const { giveUp, counters, completed } = setup({ write: () => Promise.reject(new Error('dl down')) }, logger);
    await giveUp(prepared(2), permanent, 1);
    expect(counters).toMatchObject({ deadLettered: 0, failedEvents: 2 });
    expect(completed).toEqual(['2/14/deadlettered/b1']);
    expect(lines.map((l) => l.msg)).toEqual(['batch dead-lettered', 'dead-letter write failed; events given up']);
  });

  it('without a dead letter (the dead-letter dispatcher) gives the events up with an error log', async () => {
    const { logger, lines } = recordingLogger();
    const { giveUp, counters, completed } = setup(null, logger);
    await giveUp(prepared(4), permanent, 2);
    expect(counters).toMatchObject({ permanentFailures: 1, deadLettered: 0, failedEvents: 4 });
    expect(completed).toEqual(['4/28/deadlettered/b1']);
    expect(lines).toEqual([
      {
        level: 'error',
        msg: 'batch rejected by the dead-letter sink; events given up',
        fields: { batchId: 'b1', count: 4, attempt: 2, code: 'SINK_PERMANENT', error: 'bad record' },
      },
    ]);
  });

  it('a forced stop during the dead-letter write leaves the batch uncompleted and uncounted', async () => {
    const { giveUp, counters, completed, stop } = setup({ write: () => new Promise(() => undefined) });
    const giving = giveUp(prepared(2), permanent, 1);
    stop.force();
    await giving;
    expect(completed).toEqual([]);
    expect(counters).toMatchObject({ deadLettered: 0, failedEvents: 0 });
    const rejecting = setup({ write: () => Promise.reject(new Error('closed')) });
    rejecting.stop.force();
    await rejecting.giveUp(prepared(1), permanent, 1);
    expect(rejecting.completed).toEqual([]);
    expect(rejecting.counters.failedEvents).toBe(0);
  });
});
