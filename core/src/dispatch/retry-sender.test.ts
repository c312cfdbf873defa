import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../plugins/api.js';
import type { DispatchItem, DispatcherOptions } from './types.js';
import type { PreparedBatch } from './encoder.js';
import type { SendFailure } from './retry.js';
import { silentLogger } from '../util/logger.js';
import { emptySendCounters } from './give-up.js';
import { createRetrySender } from './retry-sender.js';
import { createStop } from './shutdown.js';

const transient: SendFailure = { kind: 'transient', code: 'ECONNRESET', message: 'reset' };
const permanent: SendFailure = { kind: 'permanent', code: 'SINK_PERMANENT', message: 'bad' };

function prepared(n = 2): PreparedBatch {
  const items: DispatchItem[] = Array.from({ length: n }, (_, i) => ({ id: `e${i}`, record: {}, json: '{}', timestamp: null }));
  const batch = { id: 'b1', body: new Uint8Array(10) } as unknown as Batch<unknown>;
  return { items, queueBytes: 2 * n, closedAt: 0, batch, error: null };
}

/** A retry sender whose attempts answer from `results` in turn (null = ack); records what happens. */
function setup(
  results: (SendFailure | null | Promise<SendFailure | null>)[],
  over: { maxAttempts?: number | null; hasDeadLetter?: boolean; hooks?: Partial<DispatcherOptions>; initialBackoffMs?: number } = {},
) {
  const stop = createStop();
  const counters = emptySendCounters();
  const events: string[] = [];
  const inFlightSeen: number[] = [];
  const attempt = vi.fn(async (_batch: Batch<unknown>, attemptNo: number) => {
    events.push(`attempt ${attemptNo}`);
    inFlightSeen.push(counters.inFlight);
    return (await results.shift()) ?? null;
  });
  const giveUp = vi.fn(async (_p: PreparedBatch, failure: SendFailure, attemptNo: number) => void events.push(`giveUp ${failure.code} after ${attemptNo}`));
  const queue = { complete: (_items: readonly DispatchItem[], _bytes: number, outcome: string) => void events.push(`complete ${outcome}`) };
  const deliver = createRetrySender(
    {
      hooks: over.hooks ?? {},
      maxAttempts: over.maxAttempts === undefined ? 3 : over.maxAttempts,
      hasDeadLetter: over.hasDeadLetter ?? true,
      backoff: { initialBackoffMs: over.initialBackoffMs ?? 0, maxBackoffMs: 1000, random: () => 1 },
      log: silentLogger,
    },
    stop,
    attempt,
    giveUp,
    queue,
    counters,
  );
  return { deliver, stop, counters, events, attempt, giveUp, inFlightSeen };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('retry sender', () => {
  it('acks on the first attempt: completes, counts, and calls onSent after the items completed', async () => {
    const onSent = vi.fn(() => {
      throw new Error('hooks cannot break delivery');
    });
    const { deliver, counters, events, inFlightSeen } = setup([null], { hooks: { onSent } });
    await deliver(prepared(2));
    expect(events).toEqual(['attempt 1', 'complete acked']);
    expect(counters).toMatchObject({ batchesSent: 1, eventsSent: 2, bytesSent: 10, retries: 0, inFlight: 0 });
    expect(inFlightSeen).toEqual([2]);
    expect(onSent).toHaveBeenCalledWith(expect.objectContaining({ attempts: 1, bytes: 10 }));
  });

  it('retries transient failures with backoff, counting retries and reporting each failure', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const failed: unknown[] = [];
    const { deliver, counters, events } = setup([transient, transient, null], { initialBackoffMs: 100, hooks: { onSendFailed: (info) => void failed.push(info) } });
    const delivering = deliver(prepared(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['attempt 1']);
    await vi.advanceTimersByTimeAsync(99); // full jitter with random() = 1: 100 ms, then 200 ms
    expect(events).toEqual(['attempt 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['attempt 1', 'attempt 2']);
    await vi.advanceTimersByTimeAsync(200);
    await delivering;
    expect(events).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'complete acked']);
    expect(counters.retries).toBe(2);
    expect(failed).toEqual([
      expect.objectContaining({ attempt: 1, code: 'ECONNRESET', permanent: false }),
      expect.objectContaining({ attempt: 2, code: 'ECONNRESET', permanent: false }),
    ]);
  });

  it('gives a permanent failure up at once', async () => {
    const { deliver, events } = setup([permanent]);
    await deliver(prepared());
    expect(events).toEqual(['attempt 1', 'giveUp SINK_PERMANENT after 1']);
  });

  it('gives up after maxAttempts with a dead letter, and never without one', async () => {
    const limited = setup([transient, transient, transient, null]);
    await limited.deliver(prepared());
    expect(limited.events).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'giveUp SINK_RETRIES_EXHAUSTED after 3']);
    expect(limited.giveUp.mock.calls[0]![1].message).toBe('3 attempts failed; last error [ECONNRESET]: reset');
    const forever = setup([transient, transient, transient, transient, null], { hasDeadLetter: false });
    await forever.deliver(prepared());
    expect(forever.events.at(-1)).toBe('complete acked');
    expect(forever.counters.retries).toBe(4);
  });

  it('gives up a batch that failed to encode without sending it', async () => {
    const { deliver, events, giveUp } = setup([null]);
    const failure: SendFailure = { kind: 'permanent', code: 'INTERNAL', message: 'encoding failed: x' };
    await deliver({ ...prepared(), batch: null, error: failure });
    expect(events).toEqual(['giveUp INTERNAL after 0']);
    expect(giveUp.mock.calls[0]![1]).toBe(failure);
  });

  it('sends only after beforeSend resolved, retrying its rejections', async () => {
    let calls = 0;
    const beforeSend = async () => {
      calls++;
      if (calls < 3) throw new Error('state store down');
    };
    const { deliver, events } = setup([null], { hooks: { beforeSend } });
    await deliver(prepared());
    expect(calls).toBe(3);
    expect(events).toEqual(['attempt 1', 'complete acked']);
  });

  it('returns without completing when shutdown is forced: in beforeSend, in an attempt, in a backoff', async () => {
    const gated = setup([null], { hooks: { beforeSend: () => new Promise(() => undefined) } });
    const waiting = gated.deliver(prepared());
    gated.stop.force();
    await waiting;
    expect(gated.events).toEqual([]);

    let answer!: (failure: SendFailure | null) => void;
    const sending = setup([new Promise((resolve) => (answer = resolve))]);
    const inFlight = sending.deliver(prepared());
    await Promise.resolve();
    sending.stop.force();
    answer(null);
    await inFlight;
    expect(sending.events).toEqual(['attempt 1']);
    expect(sending.counters).toMatchObject({ batchesSent: 0, inFlight: 0 });

    const backingOff = setup([transient, null], { initialBackoffMs: 1e9 });
    const retrying = backingOff.deliver(prepared());
    await new Promise((resolve) => setImmediate(resolve));
    backingOff.stop.force();
    await retrying;
    expect(backingOff.events).toEqual(['attempt 1']);
  });
});
