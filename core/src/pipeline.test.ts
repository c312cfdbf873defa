/**
 * The pipeline loop: chunks are prepared (enriched, transformed) ahead while earlier ones are
 * delivered, records reach the sinks in source order, a quiet live source does not hold back a
 * chunk that is ready, and a failing transform stops the run at once even when the source is
 * waiting for events.
 */
import { describe, expect, it } from 'vitest';
import { receivedParts, runPipeline } from './pipeline.js';
import { createRouter } from './filter/router.js';
import { emptyDispatchStats } from './dispatch/dispatcher.js';
import type { DeadLetterRecord, DispatchItem, SinkDispatcher } from './dispatch/types.js';
import type { EventRecord } from './record/types.js';
import type { Source, SourceChunk } from './source/types.js';
import { identityStage } from './transform/types.js';
import type { TransformStage } from './transform/types.js';
import { K8streamError } from './errors.js';
import { CheckpointLedger } from './checkpoint/checkpoints.js';
import { toRecord } from './record/map.js';
import { silentLogger } from './util/logger.js';

function event(i: number): Record<string, unknown> {
  return {
    metadata: { uid: `u${i}`, resourceVersion: String(i), name: `e${i}`, namespace: 'ns' },
    involvedObject: { kind: 'Pod', name: `p${i}`, namespace: 'ns' },
    reason: 'BackOff',
    type: 'Warning',
    message: `m${i}`,
    lastTimestamp: '2026-03-01T12:00:00Z',
  };
}

/** A source fed by the test: `push` a chunk, `end` it; otherwise it waits like a quiet watch. */
function controlledSource() {
  const queue: SourceChunk[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const source: Source = {
    kind: 'test',
    async *stream(ctx) {
      for (;;) {
        while (queue.length === 0 && !ended && !ctx.signal.aborted) {
          await new Promise<void>((r) => {
            wake = r;
            ctx.signal.addEventListener('abort', () => r(), { once: true });
          });
        }
        if (queue.length > 0) yield queue.shift()!;
        else return;
      }
    },
  };
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  return {
    source,
    push: (from: number, n: number, synced = false) => {
      const items = Array.from({ length: n }, (_, k) => ({ type: 'ADDED' as const, object: event(from + k), receivedAt: 0 }));
      queue.push(synced ? Object.assign(items, { synced: true as const }) : items);
      poke();
    },
    end: () => {
      ended = true;
      poke();
    },
  };
}

function collectingDispatcher(onPush?: (item: DispatchItem) => void) {
  const ids: string[] = [];
  /** `flush` calls, each as the ids pushed before it. */
  const flushes: string[][] = [];
  const dispatcher: SinkDispatcher = {
    name: 'memory',
    push(item) {
      ids.push(item.id);
      onPush?.(item);
      return undefined;
    },
    flush: () => void flushes.push([...ids]),
    drain: () => Promise.resolve(),
    close: () => Promise.resolve({ flushed: true }),
    stats: emptyDispatchStats,
    opened: () => Promise.resolve(),
  };
  return { ids, flushes, dispatcher };
}

function options(source: Source, dispatcher: SinkDispatcher, transform: TransformStage = identityStage, enrich?: (r: EventRecord[]) => Promise<void>) {
  return {
    cluster: 'test',
    source,
    filter: () => true,
    transform,
    sinks: [dispatcher],
    route: createRouter([{ match: {} }]),
    deadLetter: { write: async () => {} },
    logger: silentLogger,
    ...(enrich ? { enrich } : {}),
  };
}

describe('runPipeline', () => {
  it('keeps source order while later chunks finish enriching first', async () => {
    const src = controlledSource();
    const { ids, dispatcher } = collectingDispatcher();
    // The first chunk's enrichment is the slowest: later chunks are ready before it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const enrich = async (records: EventRecord[]) => {
      if (calls++ === 0) await gate;
      for (const r of records) r.enrichment.labels = { seen: 'yes' };
    };
    const running = runPipeline(options(src.source, dispatcher, identityStage, enrich), new AbortController().signal);
    src.push(0, 3);
    src.push(3, 3);
    src.push(6, 3);
    await new Promise((r) => setImmediate(r));
    expect(ids).toEqual([]); // the head of the line is not ready yet
    release();
    src.end();
    const counters = await running;
    expect(ids).toEqual(Array.from({ length: 9 }, (_, i) => `u${i}:${i}`));
    expect(counters).toMatchObject({ received: 9, transformed: 9, routed: 9 });
  });

  it("gives at-most-once a record's resourceVersion only for a watch's chunks, not for an archive's (its positions count objects)", async () => {
    const items: DispatchItem[] = [];
    const { dispatcher } = collectingDispatcher((item) => items.push(item));
    const watch: SourceChunk = Object.assign([{ type: 'ADDED' as const, object: event(7), receivedAt: 0 }], { position: { key: 'events', rv: '7' } });
    const archived = toRecord(event(2), { cluster: 'old', action: 'ADDED' });
    const archive: SourceChunk = Object.assign([{ type: 'ADDED' as const, object: archived as unknown as Record<string, unknown>, record: archived, receivedAt: 0 }], {
      position: { key: 'cluster=old/date=2026-03-01/hour=12', rv: '5' },
    });
    const source: Source = {
      kind: 'test',
      async *stream() {
        yield watch;
        yield archive;
      },
    };
    await runPipeline({ ...options(source, dispatcher), checkpoints: new CheckpointLedger() }, new AbortController().signal);
    expect(items.map((i) => [i.id, i.checkpoint !== undefined, i.resourceVersion])).toEqual([
      ['u7:7', true, '7'],
      [archived.id, true, undefined],
    ]);
  });

  it('hands sinks the JSON text only: the record object is not kept in their queues', async () => {
    const src = controlledSource();
    const items: DispatchItem[] = [];
    const { dispatcher } = collectingDispatcher((item) => items.push(item));
    const running = runPipeline(options(src.source, dispatcher), new AbortController().signal);
    src.push(0, 2);
    src.end();
    await running;
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(JSON.parse(item.json)).toMatchObject({ schema: 'k8stream.event/v1', id: item.id });
      expect(item.bytes).toBe(Buffer.byteLength(item.json));
    }
  });

  it("closes every sink's open batch right after the chunk that completes the initial list", async () => {
    const src = controlledSource();
    const a = collectingDispatcher();
    const b = collectingDispatcher();
    const running = runPipeline(
      { ...options(src.source, a.dispatcher), sinks: [a.dispatcher, b.dispatcher], route: createRouter([{ match: {} }, { match: {} }]) },
      new AbortController().signal,
    );
    src.push(0, 2);
    src.push(2, 2, true); // the end of the initial list
    src.push(4, 1);
    src.end();
    await running;
    const upToSync = ['u0:0', 'u1:1', 'u2:2', 'u3:3'];
    expect(a.flushes).toEqual([upToSync]);
    expect(b.flushes).toEqual([upToSync]);
    expect(a.ids).toHaveLength(5);
  });

  it('routes each record to the sinks whose match takes it, through the router', async () => {
    const src = controlledSource();
    const all = collectingDispatcher();
    const even = collectingDispatcher();
    const none = collectingDispatcher();
    const route = createRouter([{ match: { reasons: ['Even'] } }, { match: { types: ['Normal'] } }, { match: {} }]);
    const transform: TransformStage = { apply: (records) => records.map((r, i) => (i % 2 === 0 ? { ...r, reason: 'Even' } : r)), close: async () => {} };
    const running = runPipeline(
      { ...options(src.source, all.dispatcher, transform), sinks: [even.dispatcher, none.dispatcher, all.dispatcher], route },
      new AbortController().signal,
    );
    src.push(0, 4);
    src.end();
    const counters = await running;
    expect(all.ids).toEqual(['u0:0', 'u1:1', 'u2:2', 'u3:3']);
    expect(even.ids).toEqual(['u0:0', 'u2:2']);
    expect(none.ids).toEqual([]);
    expect(counters).toMatchObject({ transformed: 4, routed: 6, unrouted: 0 });

    const nowhere = controlledSource();
    const idle = collectingDispatcher();
    const dropping = runPipeline({ ...options(nowhere.source, idle.dispatcher), route: createRouter([{ match: { types: ['Normal'] } }]) }, new AbortController().signal);
    nowhere.push(0, 3);
    nowhere.end();
    expect(await dropping).toMatchObject({ transformed: 3, routed: 0, unrouted: 3 });
    expect(idle.ids).toEqual([]);
  });

  it('delivers a ready chunk while the source waits for more (a quiet watch)', async () => {
    const src = controlledSource();
    let delivered!: () => void;
    const firstDelivered = new Promise<void>((r) => (delivered = r));
    const { ids, dispatcher } = collectingDispatcher(() => delivered());
    const stop = new AbortController();
    const running = runPipeline(options(src.source, dispatcher), stop.signal);
    src.push(0, 1);
    await firstDelivered; // no further chunk is needed to push it through
    expect(ids).toEqual(['u0:0']);
    stop.abort();
    src.end();
    await running;
  });

  it('a failing transform stops the run at once, even while the source is quiet', async () => {
    const src = controlledSource();
    const { dispatcher } = collectingDispatcher();
    const failing: TransformStage = {
      ...identityStage,
      apply: async () => {
        throw new K8streamError('TRANSFORM_FAILED', 'transform "x" failed');
      },
    };
    const running = runPipeline(options(src.source, dispatcher, failing), new AbortController().signal);
    src.push(0, 2); // and nothing more: the source keeps waiting
    await expect(running).rejects.toMatchObject({ code: 'TRANSFORM_FAILED' });
  });

  it('counts every entry a chunk carries, notices included, so received adds up; rejected entries are dead-lettered', async () => {
    const { ids, dispatcher } = collectingDispatcher();
    const pod = { kind: 'Pod', metadata: { uid: 'pod-1', resourceVersion: '7' } };
    const items = [
      { type: 'ADDED' as const, object: event(1), receivedAt: 0 },
      { type: 'DELETED' as const, object: event(2), receivedAt: 0 },
      { type: 'ADDED' as const, object: { metadata: {} }, receivedAt: 0 }, // no uid: cannot be mapped
      { type: 'MODIFIED' as const, object: { ...event(3), type: 'Normal' }, receivedAt: 0 },
    ];
    const chunk: SourceChunk = Object.assign(items, {
      notices: [
        { kind: 'bookmark' as const },
        { kind: 'bookmark' as const },
        { kind: 'watch-error' as const },
        { kind: 'rejected' as const, input: pod, error: { code: 'EVENT_INVALID', message: 'events.json: items[2]: expected kind Event, got kind Pod' } },
      ],
    });
    const source: Source = {
      kind: 'test',
      async *stream() {
        yield chunk;
      },
    };
    const deadLettered: DeadLetterRecord[] = [];
    const counters = await runPipeline(
      { ...options(source, dispatcher), filter: (r: EventRecord) => r.type === 'Warning', deadLetter: { write: async (r: DeadLetterRecord[]) => void deadLettered.push(...r) } },
      new AbortController().signal,
    );
    expect(ids).toEqual(['u1:1']);
    expect(counters).toMatchObject({ received: 8, records: 1, filtered: 1, invalid: 2, deletedSkipped: 1, bookmarks: 2, watchErrorEntries: 1, transformed: 1, routed: 1 });
    expect(receivedParts(counters)).toBe(counters.received);
    expect(deadLettered.map((d) => [d.stage, d.id, d.error.code])).toEqual([
      ['source', 'unknown', 'EVENT_INVALID'],
      ['source', 'pod-1:7', 'EVENT_INVALID'],
    ]);
    expect(deadLettered[1]).toMatchObject({ component: 'record', record: pod, error: { message: 'events.json: items[2]: expected kind Event, got kind Pod' } });
  });
});
