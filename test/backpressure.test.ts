// A slow sink bounds memory: the pipeline stops pulling from the source instead of queueing,
// and every event is still delivered exactly once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/pipeline.js';
import { createRouter } from '../core/src/filter/router.js';
import { createReplaySource } from '../core/src/source/replay.js';
import { createDispatcher } from '../core/src/dispatch/dispatcher.js';
import { createDeadLetterWriter } from '../core/src/dispatch/deadletter.js';
import { identityStage } from '../core/src/transform/types.js';
import { silentLogger } from '../core/src/util/logger.js';
import type { Source } from '../core/src/source/types.js';
import type { Batch } from '../core/src/plugins/api.js';
import { benchEvent } from './bench/events.mjs';

const N = 20_000;
const QUEUE = 500;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-bp-'));
  file = join(dir, 'events.ndjson');
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
  await writeFile(file, lines.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('backpressure through the real pipeline', () => {
  it('a slow sink keeps the queue and the events pulled but not yet delivered bounded; nothing is dropped', async () => {
    const replay = createReplaySource({ file, rate: null, follow: false, dir });
    let pulled = 0;
    const source: Source = {
      kind: 'counting',
      async *stream(ctx) {
        for await (const chunk of replay.stream(ctx)) {
          pulled += chunk.length;
          yield chunk;
        }
      },
    };
    const delivered: string[] = [];
    let maxQueued = 0;
    let maxInFlight = 0;
    const dispatcher = createDispatcher({
      name: 'slow',
      cluster: 'bp',
      sink: {
        async send(batch: Batch<unknown>) {
          maxQueued = Math.max(maxQueued, dispatcher.stats().queuedEvents);
          maxInFlight = Math.max(maxInFlight, pulled - delivered.length);
          // Slow: yield to the event loop several times per batch, so the source outruns it.
          for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
          for (const r of batch.records as { id: string }[]) delivered.push(r.id);
        },
      },
      batch: { maxEvents: 100, maxBytes: 1 << 30, maxAgeMs: 60_000 },
      encoding: { format: 'ndjson', compression: 'none' },
      timeoutMs: 10_000,
      retry: { maxAttempts: null, initialBackoffMs: 1, maxBackoffMs: 10 },
      queue: { maxEvents: QUEUE, maxBytes: 64 << 20 },
      logger: silentLogger,
      deadLetter: null,
    });
    const dl = createDeadLetterWriter(dispatcher);
    const counters = await runPipeline(
      { cluster: 'bp', source, filter: () => true, transform: identityStage, sinks: [dispatcher], route: createRouter([{ match: {} }]), deadLetter: dl, logger: silentLogger },
      new AbortController().signal,
    );
    await dispatcher.close(10_000);

    expect(counters.received).toBe(N);
    expect(delivered).toHaveLength(N);
    expect(new Set(delivered).size).toBe(N);
    expect(maxQueued).toBeLessThanOrEqual(QUEUE);
    // The sink really was the bottleneck: the queue filled up to its bound.
    expect(maxQueued).toBeGreaterThan(QUEUE / 2);
    // Pulled but not delivered: at most the queue, plus the chunks prepared ahead of the one being routed
    // (PREPARE_AHEAD = 4 chunks of 256), plus the one the source is yielding.
    expect(maxInFlight).toBeLessThanOrEqual(QUEUE + 5 * 256);
    expect(dispatcher.stats().deadLettered).toBe(0);
  });
});
