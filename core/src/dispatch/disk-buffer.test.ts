import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, SinkInstance } from '../plugins/api.js';
import type { DeadLetter, DeadLetterRecord, DispatchBuffer, DispatchItem, DispatcherOptions, SinkDispatcher } from './types.js';
import { checkConfig, validateConfig } from '../config/validate.js';
import { K8streamError } from '../errors.js';
import { createLogger, silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { createDispatcher } from './dispatcher.js';
import { mountTmpfs, mountTmpfsAt } from './disk-queue/tmpfs.fixture.js';
import type { Tmpfs } from './disk-queue/tmpfs.fixture.js';

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

function items(count: number, outcomes: string[] = [], pad = 'x'.repeat(40)): DispatchItem[] {
  return Array.from({ length: count }, (_, n) => {
    const record: TestRecord = { id: `e${n}`, n, pad };
    return {
      id: record.id,
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

  it('flush() closes the open batch once the reader has moved everything pushed so far from disk', async () => {
    const { sink, delivered, calls } = recordingSink();
    // maxEvents 100 and a one-hour age: without flush() nothing would be sent.
    const d = createDispatcher(options(sink, diskBuffer(), { queue: { maxEvents: 1000, maxBytes: 1e6 } }));
    await d.opened();
    await pushAll(d, items(30));
    d.flush();
    await until(() => delivered.length === 30, 'the flushed batch');
    expect(calls()).toBe(1);
    await pushAll(d, items(40).slice(30));
    d.flush();
    await until(() => delivered.length === 40, 'the second flushed batch');
    expect(delivered).toEqual(ids(40));
    expect(calls()).toBe(2);
    expect((await d.close(5_000)).flushed).toBe(true);
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

/** A JSON logger keeping every line, to count messages exactly. */
function linesLogger(): { logger: Logger; lines: Record<string, unknown>[]; count: (msg: string) => number } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (text) => void lines.push(JSON.parse(text) as Record<string, unknown>) });
  return { logger, lines, count: (msg) => lines.filter((l) => l.msg === msg).length };
}

/** Polls `condition` every 5 ms; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Items that record their `persisted` and `done` calls, in call order, in `log`. */
function tracedItems(count: number, log: string[]): DispatchItem[] {
  return items(count).map((item) => ({
    ...item,
    persisted: () => void log.push(`${item.id}:persisted`),
    done: (outcome) => void log.push(`${item.id}:${outcome}`),
  }));
}

const WRITE_FAILED = 'disk buffer write failed; retrying with backoff, new events wait in memory';
const WRITE_RECOVERED = 'disk buffer writes recovered';

describe('disk buffer: persisted signal', () => {
  it('calls persisted once per item, in push order, before its done', async () => {
    const log: string[] = [];
    const fake = recordingSink((call) => call <= 3);
    const d = createDispatcher(options(fake.sink, diskBuffer({ segmentBytes: 2 * 1024, fsync: 'always' })));
    await pushAll(d, tracedItems(1_000, log));
    await d.drain();
    const persisted = log.filter((l) => l.endsWith(':persisted'));
    expect(persisted).toEqual(ids(1_000).map((id) => `${id}:persisted`));
    for (const id of ids(1_000)) {
      const p = log.indexOf(`${id}:persisted`);
      const a = log.indexOf(`${id}:acked`);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(a).toBeGreaterThan(p);
      expect(log.lastIndexOf(`${id}:persisted`)).toBe(p);
    }
    expect(log).toHaveLength(2_000);
    expect(fake.delivered).toEqual(ids(1_000));
    await d.close(1000);
  });

  it('logs a throwing persisted callback and goes on delivering', async () => {
    const capture = linesLogger();
    const fake = recordingSink();
    const d = createDispatcher(options(fake.sink, diskBuffer(), { logger: capture.logger }));
    const outcomes: string[] = [];
    const list = items(10, outcomes).map((item, n) => ({
      ...item,
      persisted: () => {
        if (n % 2 === 0) throw new Error('boom');
      },
    }));
    await pushAll(d, list);
    await d.drain();
    expect(fake.delivered).toEqual(ids(10));
    expect(outcomes).toEqual(ids(10).map((id) => `${id}:acked`));
    expect(d.stats()).toMatchObject({ eventsSent: 10, failedEvents: 0, queuedEvents: 0 });
    await d.close(1000); // the background fsync (1 s) has not run yet: closing syncs, then persisted is called
    expect(capture.count('persisted callback threw')).toBe(5);
  });

  it('is not called when the append fails (record larger than the disk queue)', async () => {
    const log: string[] = [];
    const fake = recordingSink();
    const d = createDispatcher(options(fake.sink, diskBuffer({ maxBytes: 4 * 1024, segmentBytes: 1024, fsync: 'always' })));
    await pushAll(d, tracedItems(3, log));
    await d.drain();
    const huge: DispatchItem = {
      id: 'huge',
      json: JSON.stringify({ id: 'huge', pad: 'x'.repeat(8 * 1024) }),
      timestamp: null,
      persisted: () => void log.push('huge:persisted'),
      done: (outcome) => void log.push(`huge:${outcome}`),
    };
    await pushAll(d, [huge]);
    await d.drain();
    expect(log).toEqual(['e0:persisted', 'e1:persisted', 'e2:persisted', 'e0:acked', 'e1:acked', 'e2:acked']);
    expect(d.stats()).toMatchObject({ eventsSent: 3, failedEvents: 1, queuedEvents: 0 });
    await d.close(1000);
  });

  it('is never called by a memory dispatcher', async () => {
    const log: string[] = [];
    const fake = recordingSink();
    const d = createDispatcher(options(fake.sink, { type: 'memory' }));
    await pushAll(d, tracedItems(20, log));
    await d.drain();
    expect(log).toEqual(ids(20).map((id) => `${id}:acked`));
    await d.close(1000);
  });
});

describe('disk buffer: unusable directory at start', () => {
  it('opened() rejects with BUFFER_UNAVAILABLE naming the sink and the dir; push and drain throw it', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const bad = join(dir, 'file', 'archive');
    const capture = linesLogger();
    const log: string[] = [];
    const d = createDispatcher(options(recordingSink().sink, diskBuffer({ dir: bad }), { logger: capture.logger }));
    // Pushed before the failure is known: counted as failed, never persisted.
    await pushAll(d, tracedItems(3, log));
    const err = await d.opened().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).toMatchObject({ code: 'BUFFER_UNAVAILABLE', plugin: 'archive', path: bad });
    expect((err as Error).message).toContain('sink "archive"');
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toContain('ENOTDIR');
    expect((err as K8streamError).hint).toBeTruthy();
    await expect(d.drain()).rejects.toBe(err);
    expect(() => d.push(items(1)[0]!)).toThrow(err);
    expect(log).toEqual([]);
    expect(d.stats()).toMatchObject({ failedEvents: 3, queuedEvents: 0 });
    expect(capture.count('disk buffer unavailable')).toBe(1);
    expect(await d.close(100)).toEqual({ flushed: false });
  });

  it('opened() resolves once a usable dir is open', async () => {
    const d = createDispatcher(options(recordingSink().sink, diskBuffer()));
    await expect(d.opened()).resolves.toBeUndefined();
    await d.close(100);
  });
});

/**
 * Real ENOSPC/EROFS: a small tmpfs mounted for these tests (needs root, as in the project's
 * container; unmounted in afterAll).
 */
describe('disk buffer: full or read-only disk (tmpfs)', () => {
  let fs: Tmpfs;
  let mnt: string;

  beforeAll(async () => {
    fs = await mountTmpfs('256k');
    mnt = fs.dir;
  });
  afterAll(async () => {
    // Nothing to unmount when the mount failed (its one-line error is the report).
    await (fs as Tmpfs | undefined)?.unmount();
  });
  afterEach(async () => {
    await fs.clear();
  });

  const fillUp = (): Promise<void> => fs.fillUp();

  const tmpfsBuffer = (over: Partial<Extract<DispatchBuffer, { type: 'disk' }>> = {}) => diskBuffer({ dir: join(mnt, 'archive'), segmentBytes: 16 * 1024, ...over });

  it('ENOSPC: holds the source back, logs once, and delivers every event once after space frees up', async () => {
    const capture = linesLogger();
    const log: string[] = [];
    const fake = recordingSink();
    const d = createDispatcher(options(fake.sink, tmpfsBuffer(), { logger: capture.logger }));
    await d.opened();
    await fillUp();

    let pushed = 0;
    const list = tracedItems(300, log);
    const producer = (async () => {
      for (const item of list) {
        const wait = d.push(item);
        pushed++;
        if (wait !== undefined) await wait;
      }
    })();
    await until(() => (d.stats().disk?.writeErrors ?? 0) >= 2, 'two failed writes');
    // Backpressure: exactly the memory bound (queue.maxEvents = 50) waits, nothing more is taken.
    expect(pushed).toBe(50);
    expect(d.stats()).toMatchObject({ queuedEvents: 50, eventsSent: 0, failedEvents: 0, droppedEvents: 0 });
    expect(d.stats().disk?.writeFailing).toBe(true);
    expect(log).toEqual([]);
    const failed = capture.lines.filter((l) => l.msg === WRITE_FAILED);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'error', sink: 'archive', dir: join(mnt, 'archive'), errno: 'ENOSPC' });

    await fs.freeUp();
    await producer;
    await d.drain();
    expect(fake.delivered).toEqual(ids(300));
    expect(log.filter((l) => l.endsWith(':acked'))).toEqual(ids(300).map((id) => `${id}:acked`));
    const stats = d.stats();
    expect(stats).toMatchObject({ eventsSent: 300, queuedEvents: 0, failedEvents: 0, droppedEvents: 0 });
    expect(stats.disk?.writeFailing).toBe(false);
    expect(stats.disk?.writeErrors).toBeGreaterThanOrEqual(2);
    expect(capture.count(WRITE_FAILED)).toBe(1);
    expect(capture.count(WRITE_RECOVERED)).toBe(1);
    expect(capture.lines.find((l) => l.msg === WRITE_RECOVERED)).toMatchObject({ level: 'info', sink: 'archive', failures: stats.disk?.writeErrors });
    expect(await d.close(1000)).toEqual({ flushed: true });
    // Durable by the close's sync at the latest (the background fsync is 1 s).
    expect(log.filter((l) => l.endsWith(':persisted'))).toEqual(ids(300).map((id) => `${id}:persisted`));
  });

  it('ENOSPC at close: returns within the grace period; waiting events count as failed, never persisted', async () => {
    const log: string[] = [];
    const d = createDispatcher(options(recordingSink().sink, tmpfsBuffer()));
    await d.opened();
    await fillUp();
    await pushAll(d, tracedItems(10, log));
    await until(() => d.stats().disk?.writeFailing === true, 'a failing write');
    const started = Date.now();
    expect(await d.close(200)).toEqual({ flushed: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(log).toEqual([]);
    expect(d.stats()).toMatchObject({ failedEvents: 10, queuedEvents: 0, eventsSent: 0 });
  });

  it('EROFS at start: opened() rejects with BUFFER_UNAVAILABLE naming the sink, the dir and the errno', async () => {
    const ro = join(mnt, 'ro');
    await mkdir(ro);
    await mountTmpfsAt(ro, 'ro,size=16k');
    try {
      // The directory itself (a read-only volume), and one to be created on it.
      for (const bufferDir of [ro, join(ro, 'archive')]) {
        const d = createDispatcher(options(recordingSink().sink, diskBuffer({ dir: bufferDir })));
        const err = await d.opened().then(
          () => null,
          (e: unknown) => e as K8streamError,
        );
        expect(err).toMatchObject({ code: 'BUFFER_UNAVAILABLE', plugin: 'archive', path: bufferDir });
        expect(err?.message).toContain('sink "archive"');
        expect(err?.message).toContain(bufferDir);
        expect(err?.message).toContain('EROFS');
        expect(err?.hint).toContain('read-only');
        await d.close(100);
      }
    } finally {
      execFileSync('umount', [ro], { stdio: 'pipe' });
    }
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
      validateConfig({ sinks: [{ use: 'file', buffer: { type: 'disk', dir: './buf', maxBytes: '2GiB', fsync: 'always', overflow: 'drop-oldest' } }] }).sinks[0]?.buffer,
    ).toEqual({ type: 'disk', dir: './buf', maxBytes: 2 * 1024 ** 3, fsync: 'always', overflow: 'drop-oldest' });
    expect(validateConfig({ sinks: [{ use: 'file', buffer: { type: 'disk', fsync: '250ms' } }] }).sinks[0]?.buffer?.fsync).toBe(250);
  });

  it('reports bad values with their paths', () => {
    const issues = checkConfig({
      sinks: [{ use: 'file', buffer: { type: 'tape', maxBytes: 0, fsync: 'sometimes', overflow: 'drop-newest', size: 1 } }],
    });
    expect(issues.map((i) => i.path)).toEqual(['sinks[0].buffer.type', 'sinks[0].buffer.maxBytes', 'sinks[0].buffer.fsync', 'sinks[0].buffer.overflow', 'sinks[0].buffer.size']);
  });
});
