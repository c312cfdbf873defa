/** The shutdown order written in dispatcher.ts, observed from outside the dispatcher. */
import { describe, expect, it } from 'vitest';
import type { SinkInstance } from '../plugins/api.js';
import type { DispatchItem } from './types.js';
import { silentLogger } from '../util/logger.js';
import { createDispatcher } from './dispatcher.js';

function item(n: number): DispatchItem {
  return { id: `e${n}`, json: `{"n":${n}}`, timestamp: null };
}

describe('dispatcher shutdown order', () => {
  it('past the grace period: abort the send, reject drains, wake producers, then close the sink', async () => {
    const events: string[] = [];
    let sending!: () => void;
    const sent = new Promise<void>((resolve) => (sending = resolve));
    const sink: SinkInstance = {
      send(batch, ctx) {
        events.push(`send ${batch.records.length}`);
        ctx.signal.addEventListener('abort', () => events.push(`abort ${(ctx.signal.reason as { code: string }).code}`));
        sending();
        return new Promise(() => undefined); // hung, deaf to the signal
      },
      async close() {
        await Promise.resolve(); // runs after the reactions already queued by the earlier steps
        events.push('sink.close');
      },
    };
    const d = createDispatcher({
      name: 'archive',
      cluster: 'c1',
      sink,
      batch: { maxEvents: 1000, maxBytes: 1e9, maxAgeMs: 3_600_000 },
      encoding: { format: 'ndjson', compression: 'none' },
      timeoutMs: 60_000,
      retry: { maxAttempts: 5, initialBackoffMs: 0, maxBackoffMs: 0 },
      queue: { maxEvents: 2, maxBytes: 1e9 },
      logger: silentLogger,
      deadLetter: null,
    });
    expect(d.push(item(1))).toBeUndefined();
    // Full, and the open batch holds everything: it is sent now, and the producer waits.
    void d.push(item(2))!.then(() => events.push('producer woken'));
    d.drain().catch((err: { code: string }) => events.push(`drain ${err.code}`));
    await sent;
    await expect(d.close(30)).resolves.toEqual({ flushed: false });
    expect(events).toEqual(['send 2', 'abort SINK_CLOSED', 'drain SINK_CLOSED', 'producer woken', 'sink.close']);
    expect(() => d.push(item(3))).toThrow(expect.objectContaining({ code: 'SINK_CLOSED' }));
    expect(d.stats()).toMatchObject({ queuedEvents: 2, batchesSent: 0, inFlight: 0 });
  });
});
