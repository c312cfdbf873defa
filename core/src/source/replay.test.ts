import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { K8streamError } from '../errors.js';
import { toRecord } from '../record/map.js';
import { createLogger, silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { createReplaySource } from './replay.js';
import type { SourceChunk, SourceItem, SourceNotice } from './types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-replay-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

/** A core/v1 Event with the fields the replay source touches. */
function event(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `pod-${n}.abc`, namespace: 'shop', uid: `uid-${n}`, resourceVersion: String(1000 + n), creationTimestamp: '2026-11-02T09:00:00Z' },
    involvedObject: { kind: 'Pod', name: `pod-${n}`, namespace: 'shop' },
    reason: 'Started',
    type: 'Normal',
    message: `Started container app-${n}`,
    firstTimestamp: '2026-11-02T09:00:00Z',
    lastTimestamp: '2026-11-02T09:05:00Z',
    count: 1,
    ...extra,
  };
}

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

const listOf = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } }, null, 4);
const ndjson = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';

function source(file: string, opts: { rate?: number | null; follow?: boolean } = {}) {
  return createReplaySource({ file, dir, rate: opts.rate ?? null, follow: opts.follow ?? false });
}

async function collect(file: string, opts: { rate?: number | null; follow?: boolean; logger?: Logger } = {}): Promise<SourceItem[][]> {
  return (await collectChunks(file, opts)).map((c) => [...c]);
}

async function collectChunks(file: string, opts: { rate?: number | null; follow?: boolean; logger?: Logger } = {}): Promise<SourceChunk[]> {
  const chunks: SourceChunk[] = [];
  const signal = new AbortController().signal;
  for await (const chunk of source(file, opts).stream({ signal, logger: opts.logger ?? silentLogger })) chunks.push(chunk);
  return chunks;
}

const noticesOf = (chunks: SourceChunk[]): SourceNotice[] => chunks.flatMap((c) => c.notices ?? []);

async function failure(file: string): Promise<{ error: K8streamError; before: SourceItem[] }> {
  const before: SourceItem[] = [];
  try {
    for await (const chunk of source(file).stream({ signal: new AbortController().signal, logger: silentLogger })) before.push(...chunk);
  } catch (err) {
    expect(err).toBeInstanceOf(K8streamError);
    return { error: err as K8streamError, before };
  }
  throw new Error('expected the replay to fail');
}

const uids = (items: SourceItem[]) => items.map((i) => (i.object['metadata'] as { uid: string }).uid);
const types = (items: SourceItem[]) => items.map((i) => i.type);

describe('replay source: formats', () => {
  it('reads a `kubectl get events -o json` List (every item ADDED), resolving the file against dir', async () => {
    await write('sub/events.json', listOf([event(1), event(2), event(3)]));
    const before = Date.now();
    const chunks = await collect('./sub/events.json');
    expect(chunks).toHaveLength(1);
    const items = chunks[0] as SourceItem[];
    expect(uids(items)).toEqual(['uid-1', 'uid-2', 'uid-3']);
    expect(types(items)).toEqual(['ADDED', 'ADDED', 'ADDED']);
    expect(items[0]?.object).toEqual(event(1));
    for (const item of items) expect(item.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it('accepts an absolute file path', async () => {
    const file = await write('abs.json', listOf([event(1)]));
    expect(uids((await collect(file)).flat())).toEqual(['uid-1']);
  });

  it("gives the items of a typed EventList the list's apiVersion (the API server's list answer: items carry none)", async () => {
    const bare = (n: number) => {
      const { apiVersion: _a, kind: _k, ...rest } = event(n);
      return rest;
    };
    await write('v1beta1.json', JSON.stringify({ apiVersion: 'events.k8s.io/v1beta1', kind: 'EventList', metadata: {}, items: [bare(1), event(2)] }));
    const items = (await collect('v1beta1.json')).flat();
    expect(items.map((i) => i.object['apiVersion'])).toEqual(['events.k8s.io/v1beta1', 'v1']);
    expect(toRecord(items[0]?.object, { cluster: 'c', action: 'SYNC' }).apiVersion).toBe('events.k8s.io/v1beta1');
    // kubectl's generic List names only itself: an item without apiVersion keeps none.
    await write('generic.json', listOf([bare(3)]));
    expect((await collect('generic.json')).flat()[0]?.object['apiVersion']).toBeUndefined();
  });

  it('reads a JSON array of events and watch events', async () => {
    await write('a.json', JSON.stringify([event(1), { type: 'MODIFIED', object: event(1, { count: 2 }) }, { type: 'DELETED', object: event(2) }], null, 2));
    const items = (await collect('a.json')).flat();
    expect(types(items)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(items[1]?.object['count']).toBe(2);
  });

  it('reads a single pretty-printed event', async () => {
    await write('one.json', JSON.stringify(event(7), null, 2));
    expect(uids((await collect('one.json')).flat())).toEqual(['uid-7']);
  });

  it('reads NDJSON watch events, passing BOOKMARK and (with a warning) ERROR entries on as notices', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', write: (l) => lines.push(l) });
    await write(
      'watch.ndjson',
      ndjson([
        { type: 'ADDED', object: event(1) },
        { type: 'BOOKMARK', object: { kind: 'Event', metadata: { resourceVersion: '1500' } } },
        { type: 'MODIFIED', object: event(1, { count: 3 }) },
        { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
        { type: 'DELETED', object: event(1) },
      ]),
    );
    const chunks = await collectChunks('watch.ndjson', { logger });
    expect(types(chunks.flat())).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    // Passed on as notices, so the pipeline counts every entry of the file.
    expect(noticesOf(chunks)).toEqual([{ kind: 'bookmark' }, { kind: 'watch-error' }]);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { level: 'warn', msg: 'replay: skipping a watch ERROR entry', file: path.join(dir, 'watch.ndjson'), line: 4 },
    ]);
  });

  it('reads NDJSON of bare events (Event.type Normal/Warning is not a watch type)', async () => {
    await write('bare.ndjson', ndjson([event(1), event(2, { type: 'Warning' })]));
    const items = (await collect('bare.ndjson')).flat();
    expect(types(items)).toEqual(['ADDED', 'ADDED']);
    expect(items[1]?.object['type']).toBe('Warning');
  });

  it('tolerates a BOM, CRLF line ends and blank lines in NDJSON', async () => {
    await write('crlf.ndjson', '\uFEFF\r\n' + JSON.stringify({ type: 'ADDED', object: event(1) }) + '\r\n\r\n' + JSON.stringify(event(2)) + '\r\n');
    expect(uids((await collect('crlf.ndjson')).flat())).toEqual(['uid-1', 'uid-2']);
  });

  it('keeps U+2028 and U+2029 written raw inside JSON strings (NDJSON and a JSON document)', async () => {
    const message = 'line\u2028separator and paragraph\u2029separator';
    // JSON.stringify writes both raw, as jq and Python do.
    await write('seps.ndjson', ndjson([event(1, { message }), { type: 'MODIFIED', object: event(2, { message }) }]));
    const items = (await collect('seps.ndjson')).flat();
    expect(uids(items)).toEqual(['uid-1', 'uid-2']);
    expect(items.map((i) => i.object['message'])).toEqual([message, message]);
    await write('seps.json', listOf([event(3, { message })]));
    expect((await collect('seps.json')).flat().map((i) => i.object['message'])).toEqual([message]);
  });

  it('treats a one-line List as a List (and can mix it with watch lines)', async () => {
    await write(
      'mixed.ndjson',
      ndjson([
        { kind: 'List', items: [event(1), event(2)] },
        { type: 'MODIFIED', object: event(2) },
      ]),
    );
    const items = (await collect('mixed.ndjson')).flat();
    expect(uids(items)).toEqual(['uid-1', 'uid-2', 'uid-2']);
    expect(types(items)).toEqual(['ADDED', 'ADDED', 'MODIFIED']);
  });

  it('yields nothing for an empty file', async () => {
    await write('empty.json', '\n\n');
    expect(await collect('empty.json')).toEqual([]);
  });

  it('yields chunks of at most 256 items', async () => {
    await write('big.ndjson', ndjson(Array.from({ length: 600 }, (_, i) => event(i))));
    const chunks = await collect('big.ndjson');
    expect(chunks.map((c) => c.length)).toEqual([256, 256, 88]);
    expect(uids(chunks.flat())).toEqual(Array.from({ length: 600 }, (_, i) => `uid-${i}`));
  });

  it('replays the demo fixtures: every event maps to a record with a unique id', async () => {
    const demo = fileURLToPath(new URL('../../../examples/demo/events.json', import.meta.url));
    const chunks = await collect(demo);
    const items = chunks.flat();
    expect(chunks.every((c) => c.length <= 256)).toBe(true);
    expect(items.length).toBeGreaterThanOrEqual(300);
    expect(items.length).toBeLessThanOrEqual(600);
    const ids = items.map((i) => toRecord(i.object, { cluster: 'demo', action: i.type }).id);
    expect(new Set(ids).size).toBe(items.length);
  });
});

describe('replay source: streaming', () => {
  it('reads NDJSON lazily: the first chunk arrives before a bad line further down is reached', async () => {
    const file = await write('lazy.ndjson', ndjson(Array.from({ length: 300 }, (_, i) => event(i))) + '{"type": "ADDED", "object": \n');
    const it = source('lazy.ndjson').stream({ signal: new AbortController().signal, logger: silentLogger })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(256);
    // The rest up to the bad line is delivered, then the error names file and line.
    const second = await it.next();
    expect(second.value).toHaveLength(44);
    await expect(it.next()).rejects.toMatchObject({ code: 'SOURCE_INPUT_INVALID', message: `${file}:301:29: invalid JSON: Unexpected end of JSON input` });
  });

  it('stops reading when the consumer stops pulling', async () => {
    await write('stop.ndjson', ndjson(Array.from({ length: 1000 }, (_, i) => event(i))));
    const seen: number[] = [];
    for await (const chunk of source('stop.ndjson').stream({ signal: new AbortController().signal, logger: silentLogger })) {
      seen.push(chunk.length);
      break;
    }
    expect(seen).toEqual([256]);
  });

  it('ends when the signal is already aborted', async () => {
    await write('abort.json', listOf([event(1)]));
    const ac = new AbortController();
    ac.abort();
    const chunks: unknown[] = [];
    for await (const chunk of source('abort.json').stream({ signal: ac.signal, logger: silentLogger })) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });
});

describe('replay source: rate', () => {
  it('paces events with timers (rate 10/s → one event every 100 ms)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.parse('2026-11-02T12:00:00Z'));
    await write('paced.json', listOf([event(1), event(2), event(3)]));
    const it = source('paced.json', { rate: 10 }).stream({ signal: new AbortController().signal, logger: silentLogger })[Symbol.asyncIterator]();
    const t0 = Date.now();
    const first = await it.next();
    expect(first.value).toHaveLength(1);
    expect(Date.now() - t0).toBe(0);

    let settled = false;
    const second = it.next().then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    expect(uids((await second).value as SourceItem[])).toEqual(['uid-2']);
    expect(((await second).value as SourceItem[])[0]?.receivedAt).toBe(t0 + 100);

    const third = it.next();
    await vi.advanceTimersByTimeAsync(100);
    expect(uids((await third).value as SourceItem[])).toEqual(['uid-3']);
    expect((await it.next()).done).toBe(true);
  });

  it('uses bigger chunks at higher rates (about 20 chunks per second, at most 256)', async () => {
    await write('fast.ndjson', ndjson(Array.from({ length: 120 }, (_, i) => event(i))));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const stream = source('fast.ndjson', { rate: 1000 }).stream({ signal: new AbortController().signal, logger: silentLogger });
    const sizes: number[] = [];
    let finished = false;
    const done = (async () => {
      for await (const chunk of stream) sizes.push(chunk.length);
    })().finally(() => (finished = true));
    // Reading the file is real I/O: let it run between fake-time steps (setImmediate is not faked),
    // instead of a bounded number of steps that a slow disk could outlast.
    while (!finished) {
      await vi.advanceTimersByTimeAsync(50);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await done;
    expect(sizes).toEqual([50, 50, 20]);
  });

  it('stops promptly when the signal aborts while waiting', async () => {
    await write('slow.json', listOf([event(1), event(2)]));
    const ac = new AbortController();
    const it = source('slow.json', { rate: 0.001 }).stream({ signal: ac.signal, logger: silentLogger })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const next = it.next(); // would wait 1000 s for the second event
    ac.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('rejects a rate that is not a positive number', () => {
    for (const rate of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => source('x.json', { rate })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', path: 'source.replay.rate' }) as unknown);
    }
  });
});

describe('replay source: follow', () => {
  it('loops over the file, each pass with new uids, increasing resourceVersions and timestamps moved to now', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.parse('2026-12-24T18:00:00.000Z');
    vi.setSystemTime(now);
    await write(
      'loop.json',
      listOf([
        event(1, { metadata: { uid: 'a', resourceVersion: '10', creationTimestamp: '2026-11-02T09:00:00Z' } }),
        event(2, {
          metadata: { uid: 'b', resourceVersion: '20', creationTimestamp: '2026-11-02T09:01:00Z' },
          firstTimestamp: null,
          lastTimestamp: null,
          eventTime: '2026-11-02T09:01:00.123456Z',
          series: { count: 3, lastObservedTime: '2026-11-02T09:03:00.000000Z' },
        }),
      ]),
    );
    const ac = new AbortController();
    const passes: SourceItem[][] = [];
    for await (const chunk of source('loop.json', { follow: true }).stream({ signal: ac.signal, logger: silentLogger })) {
      passes.push([...chunk]);
      if (passes.length === 3) ac.abort();
    }
    expect(passes).toHaveLength(3);
    const [p1, p2, p3] = passes as [SourceItem[], SourceItem[], SourceItem[]];
    const meta = (i: SourceItem) => i.object['metadata'] as Record<string, string>;

    // First pass: the file as it is.
    expect(p1.map(meta)).toEqual([
      { uid: 'a', resourceVersion: '10', creationTimestamp: '2026-11-02T09:00:00Z' },
      { uid: 'b', resourceVersion: '20', creationTimestamp: '2026-11-02T09:01:00Z' },
    ]);
    // Later passes: fresh uids, resourceVersions above the file's highest, still increasing.
    expect(p2.map((i) => [meta(i).uid, meta(i).resourceVersion])).toEqual([
      ['a-r1', '21'],
      ['b-r1', '22'],
    ]);
    expect(p3.map((i) => [meta(i).uid, meta(i).resourceVersion])).toEqual([
      ['a-r2', '23'],
      ['b-r2', '24'],
    ]);
    // Timestamps: the latest one is now, the gaps within an event are kept.
    expect(p2[0]?.object).toMatchObject({
      firstTimestamp: '2026-12-24T17:55:00.000Z',
      lastTimestamp: '2026-12-24T18:00:00.000Z',
      metadata: { creationTimestamp: '2026-12-24T17:55:00.000Z' },
    });
    expect(p2[1]?.object).toMatchObject({
      eventTime: '2026-12-24T17:58:00.123Z',
      series: { count: 3, lastObservedTime: '2026-12-24T18:00:00.000Z' },
      metadata: { creationTimestamp: '2026-12-24T17:58:00.000Z' },
    });
    // Every record is new to the pipeline.
    const ids = passes.flat().map((i) => toRecord(i.object, { cluster: 'c', action: i.type }).id);
    expect(ids).toEqual(['a:10', 'b:20', 'a-r1:21', 'b-r1:22', 'a-r2:23', 'b-r2:24']);
  });

  it('stops (with a warning) instead of spinning on a file without events', async () => {
    await write('none.json', listOf([]));
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    expect(await collect('none.json', { follow: true, logger })).toEqual([]);
    expect(lines).toEqual([`WARN  replay file has no events; follow mode stops file=${path.join(dir, 'none.json')}`]);
  });
});

describe('replay source: bad input', () => {
  it('names the file and line of invalid NDJSON, after delivering the lines before it', async () => {
    const bad = '{"type": "ADDED", "object": {"metadata": {uid: "x"}}}';
    const file = await write('bad.ndjson', ndjson([event(1), event(2)]) + '\n' + bad + '\n' + ndjson([event(4)]));
    const { error, before } = await failure('bad.ndjson');
    expect(uids(before)).toEqual(['uid-1', 'uid-2']);
    expect(error.code).toBe('SOURCE_INPUT_INVALID');
    expect(error.path).toBe(file);
    expect(error.message).toBe(`${file}:4:${bad.indexOf('uid') + 1}: invalid JSON: Expected property name or '}'`);
    expect(error.hint).toBe('each line of an NDJSON file must be one complete JSON value');
  });

  it('names line and column of a syntax error in a JSON document', async () => {
    const text = listOf([event(1), event(2)]).replace('"reason": "Started",', '"reason": "Started",,');
    const file = await write('bad.json', text);
    const line = text.split('\n').findIndex((l) => l.includes(',,')) + 1;
    const column = (text.split('\n')[line - 1] as string).indexOf(',,') + 2;
    const { error, before } = await failure('bad.json');
    expect(before).toEqual([]);
    expect(error.message).toBe(`${file}:${line}:${column}: invalid JSON: Expected double-quoted property name`);
  });

  it('locates errors V8 reports without a position (comments, trailing commas in arrays)', async () => {
    const file = await write('comment.json', '// exported by kubectl\n{"items": []}\n');
    expect((await failure('comment.json')).error.message).toBe(`${file}:1:1: invalid JSON: Unexpected token '/'`);
    const file2 = await write('trailing.json', '[\n  {"kind": "Event"},\n]\n');
    expect((await failure('trailing.json')).error.message).toBe(`${file2}:3:1: invalid JSON: Unexpected token ']'`);
  });

  it('passes items that are not event objects on as rejected, naming the item, and reads on', async () => {
    const file = await write('items.json', listOf([event(1), 42, event(3)]));
    const chunks = await collectChunks('items.json');
    expect(uids(chunks.flat())).toEqual(['uid-1', 'uid-3']);
    expect(noticesOf(chunks)).toEqual([
      {
        kind: 'rejected',
        input: 42,
        error: { code: 'EVENT_INVALID', message: `${file}: items[1]: expected a Kubernetes Event object, a watch event {type, object} or a List, got a number` },
      },
    ]);
    const file2 = await write('lines.ndjson', ndjson([event(1), 'hello', { type: 'ADDED', object: null }, event(4)]));
    const chunks2 = await collectChunks('lines.ndjson');
    expect(uids(chunks2.flat())).toEqual(['uid-1', 'uid-4']);
    expect(noticesOf(chunks2).map((n) => n.kind === 'rejected' && n.error.message)).toEqual([
      `${file2}:2: expected a Kubernetes Event object, a watch event {type, object} or a List, got a string`,
      `${file2}:3: object: expected a Kubernetes Event object, a watch event {type, object} or a List, got null`,
    ]);
  });

  it('passes an object of another kind on as rejected and reads the items after it (a Pod at items[2])', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'pod-uid' } };
    const file = await write('pods.json', listOf([event(0), event(1), pod, event(3), event(4)]));
    const chunks = await collectChunks('pods.json');
    expect(uids(chunks.flat())).toEqual(['uid-0', 'uid-1', 'uid-3', 'uid-4']);
    expect(noticesOf(chunks)).toEqual([{ kind: 'rejected', input: pod, error: { code: 'EVENT_INVALID', message: `${file}: items[2]: expected kind Event, got kind Pod` } }]);
  });

  it('says what is wrong with a List whose items is not an array', async () => {
    const file = await write('null-items.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: null }, null, 2));
    const chunks = await collectChunks('null-items.json');
    expect(chunks.flat()).toEqual([]);
    expect(noticesOf(chunks).map((n) => n.kind === 'rejected' && n.error.message)).toEqual([`${file}: items is null; expected an array of Events`]);
    const file2 = await write('string-items.ndjson', ndjson([{ kind: 'EventList', items: 'none' }, event(2)]));
    const chunks2 = await collectChunks('string-items.ndjson');
    expect(uids(chunks2.flat())).toEqual(['uid-2']);
    expect(noticesOf(chunks2).map((n) => n.kind === 'rejected' && n.error.message)).toEqual([`${file2}:1: items is a string; expected an array of Events`]);
  });

  it('keeps rejected entries within the chunk bound, and counts them in the first follow pass only', async () => {
    await write('many.ndjson', ndjson([...Array.from({ length: 600 }, () => ({ kind: 'Pod' })), event(1)]));
    const chunks = await collectChunks('many.ndjson');
    expect(chunks.map((c) => c.length + (c.notices?.length ?? 0))).toEqual([256, 256, 89]);
    expect(noticesOf(chunks)).toHaveLength(600);

    const ac = new AbortController();
    const passes: SourceChunk[] = [];
    for await (const chunk of source('many.ndjson', { follow: true }).stream({ signal: ac.signal, logger: silentLogger })) {
      passes.push(chunk);
      if (passes.flat().length === 3) ac.abort();
    }
    expect(passes.flat()).toHaveLength(3);
    expect(noticesOf(passes)).toHaveLength(600);
  });

  it('reports a missing file with the resolved path', async () => {
    const { error } = await failure('nope/events.json');
    expect(error.code).toBe('SOURCE_INPUT_INVALID');
    expect(error.message).toBe(`replay file not found: ${path.join(dir, 'nope/events.json')}`);
    expect(error.hint).toBe('source.replay.file is resolved against the directory of the config file');
  });

  it('reports a directory given as file', async () => {
    await mkdir(path.join(dir, 'adir'));
    const { error } = await failure('adir');
    expect(error.code).toBe('SOURCE_INPUT_INVALID');
    expect(error.message).toBe(`${path.join(dir, 'adir')}: replay file is not a regular file`);
  });
});
