// The engine over Parquet batch files (written by the sinks' own writer) and over archives mixing
// Parquet and NDJSON: the same records give the same `events` rows, column for column, and the
// same counts, whichever format holds them; a Parquet object that cannot be read is left out and named.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParquetColumns } from '../../dispatch/parquet/writer.js';
import { emptyEnrichment } from '../../record/types.js';
import type { ReadStats, StagedFile } from '../types.js';
import { openEvents } from './events.js';
import { WINDOW, put, record, staged } from './records.fixture.js';
import { resultRows } from './values.js';

/**
 * What an archive can hold, each kind once: plain records, full enrichment, an events-API record,
 * values the Parquet columns cannot hold exactly (kept in `_extra`: a timestamp with microseconds,
 * a count beyond INT32, a group with a field missing), an old record without the newer fields
 * (`_absent`), a repeat, records outside the window, a foreign schema, an object without schema
 * and a value that is no object.
 */
const { eventAction: _a, related: _r, series: _s, ...OLD } = record(7, '2026-12-08T10:40:00.000Z');
const RECORD_2 = record(2, '2026-12-08T10:15:00.123Z', {
  type: 'Warning',
  reason: 'BackOff',
  count: 7,
  enrichment: {
    ...emptyEnrichment(),
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    annotations: { note: 'x' },
    services: [{ name: 'web', namespace: 'shop' }],
    owners: [
      { kind: 'ReplicaSet', name: 'web-5d9', uid: 'rs', apiVersion: 'apps/v1' },
      { kind: 'Deployment', name: 'web', uid: 'd', apiVersion: 'apps/v1' },
    ],
    workload: { kind: 'Deployment', name: 'web', uid: 'd', apiVersion: 'apps/v1' },
    node: { name: 'node-1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
    pod: { ip: '10.1.0.5', hostIP: '10.0.0.1', phase: 'Running', startTime: '2026-12-08T09:00:00.000Z' },
    errors: [{ lookup: 'node', message: 'forbidden' }],
  },
});
const ITEMS: readonly unknown[] = [
  record(1, '2026-12-08T10:00:00.000Z'),
  RECORD_2,
  record(3, '2026-12-08T10:59:59.999Z'),
  record(4, '2026-12-08T09:59:59.999Z'),
  record(5, '2026-12-08T11:00:00.000Z'),
  record(6, null, {
    eventTime: '2026-12-08T10:20:00.654321Z',
    eventAction: 'Binding',
    related: { kind: 'Node', name: 'node-1', namespace: '', uid: 'n1', apiVersion: 'v1', fieldPath: '' },
    series: { count: 3, lastObservedTime: '2026-12-08T10:21:00.000Z' },
  }),
  OLD,
  record(8, '2026-12-08T10:41:00Z', { count: 3_000_000_000 }),
  { ...record(9, '2026-12-08T10:45:00.000Z'), source: { component: 'kubelet' }, addedByTransform: 'x' },
  RECORD_2,
  { schema: 'k8stream.deadletter/v1', id: 'dl-1', time: '2026-12-08T10:30:00Z' },
  { id: 'no-schema', lastTimestamp: '2026-12-08T10:30:00Z' },
  42,
  record(10, '2026-12-08T10:50:00.000Z'),
];

const ndjson = (items: readonly unknown[]): Buffer => gzipSync(items.map((r) => JSON.stringify(r)).join('\n') + '\n');
function parquet(items: readonly unknown[]): Uint8Array {
  const columns = createParquetColumns();
  for (const item of items) columns.add(item);
  return columns.write('zstd', undefined);
}

let dir: string;
interface Read {
  stats: ReadStats;
  rows: unknown[][];
  columns: string[];
  types: unknown[][];
}

/** Every row and column of `events` (and its column types) over `files`, and the counts. */
async function read(files: StagedFile[], prefetch = false): Promise<Read> {
  const db = await openEvents(staged(dir, files), WINDOW, {
    threads: 2,
    ...(prefetch ? { prefetch: { table: 'wanted', select: 'id, reason, enrichment', where: "reason = 'BackOff'" } } : {}),
  });
  try {
    const all = resultRows(await db.connection.runAndReadAll('SELECT * FROM events ORDER BY id'));
    const types = resultRows(await db.connection.runAndReadAll('SELECT column_name, column_type FROM (DESCRIBE events)')).rows;
    return { stats: db.stats, rows: all.rows, columns: all.columns, types };
  } finally {
    db.close();
  }
}

const half = Math.ceil(ITEMS.length / 2);
let files: Record<'ndjson' | 'parquet' | 'firstHalfNdjson' | 'secondHalfParquet' | 'firstHalfParquet' | 'secondHalfNdjson' | 'truncated' | 'notParquet', StagedFile>;
let fromNdjson: Read;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-engine-parquet-'));
  const whole = parquet(ITEMS);
  files = {
    ndjson: await put(dir, 'all.ndjson.gz', '.ndjson.gz', ndjson(ITEMS)),
    parquet: await put(dir, 'all.parquet', '.parquet', whole),
    firstHalfNdjson: await put(dir, 'first.ndjson.gz', '.ndjson.gz', ndjson(ITEMS.slice(0, half))),
    secondHalfParquet: await put(dir, 'second.parquet', '.parquet', parquet(ITEMS.slice(half))),
    firstHalfParquet: await put(dir, 'first.parquet', '.parquet', parquet(ITEMS.slice(0, half))),
    secondHalfNdjson: await put(dir, 'second.ndjson.gz', '.ndjson.gz', ndjson(ITEMS.slice(half))),
    // A Parquet object cut short (its footer lost), and one that is no Parquet at all.
    truncated: await put(dir, 'cut.parquet', '.parquet', whole.subarray(0, Math.floor(whole.length / 2))),
    notParquet: await put(dir, 'text.parquet', '.parquet', Buffer.from('this is not parquet\n')),
  };
  fromNdjson = await read([files.ndjson]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openEvents over Parquet', () => {
  it('the NDJSON reading this is compared with: 8 records of the window, 1 repeat, 1 malformed, 2 foreign', () => {
    expect(fromNdjson.stats).toEqual({ files: 1, records: 8, duplicates: 1, malformedLines: 1, foreignRecords: 2, skippedObjects: [] });
    expect(fromNdjson.rows.map((r) => r[1])).toEqual(['uid-10:110', 'uid-1:101', 'uid-2:102', 'uid-3:103', 'uid-6:106', 'uid-7:107', 'uid-8:108', 'uid-9:109']);
  });

  it('a Parquet file gives the same events, every column with the same type and value, and the same counts', async () => {
    const fromParquet = await read([files.parquet]);
    expect(fromParquet.types).toEqual(fromNdjson.types);
    expect(fromParquet.columns).toEqual(fromNdjson.columns);
    expect(fromParquet.rows).toEqual(fromNdjson.rows);
    expect(fromParquet.stats).toEqual(fromNdjson.stats);
  });

  it('values Parquet keeps in _extra read back as from NDJSON: microseconds, a count beyond INT32, a group missing a field', async () => {
    const fromParquet = await read([files.parquet]);
    const row = (id: string) => fromParquet.rows.find((r) => r[1] === id)!;
    const col = (name: string) => fromParquet.columns.indexOf(name);
    expect(row('uid-6:106')[col('time')]).toBe('2026-12-08T10:20:00.654321Z');
    expect(row('uid-8:108')[col('count')]).toBe(3_000_000_000);
    expect(row('uid-8:108')[col('lastTimestamp')]).toBe('2026-12-08T10:41:00.000Z');
    expect(row('uid-9:109')[col('source')]).toEqual({ component: 'kubelet', host: null });
    expect(row('uid-7:107')[col('series')]).toBeNull();
    expect(row('uid-2:102')[col('enrichment')]).toMatchObject({ labels: { app: 'web' }, pod: { startTime: '2026-12-08T09:00:00.000Z' } });
  });

  it('a mixed archive (half the records in each format, either way round) reads the same as either alone', async () => {
    for (const mixed of [
      [files.firstHalfNdjson, files.secondHalfParquet],
      [files.firstHalfParquet, files.secondHalfNdjson],
    ]) {
      const r = await read(mixed);
      expect(r.rows).toEqual(fromNdjson.rows);
      expect(r.stats).toEqual({ ...fromNdjson.stats, files: 2 });
    }
  });

  it('records in both formats are deduplicated by id across them: each a repeat', async () => {
    const both = await read([files.ndjson, files.parquet]);
    expect(both.rows).toEqual(fromNdjson.rows);
    // Each file: 9 rows of the window (8 ids + 1 repeat); together 18 rows, 8 ids.
    expect(both.stats).toEqual({ files: 2, records: 8, duplicates: 10, malformedLines: 2, foreignRecords: 4, skippedObjects: [] });
  });

  it('the prefetching read counts the same over a mixed archive, and prefetches from both formats', async () => {
    const db = await openEvents(staged(dir, [files.firstHalfNdjson, files.secondHalfParquet, files.parquet]), WINDOW, {
      threads: 2,
      prefetch: { table: 'wanted', select: 'id, count, enrichment.labels', where: "reason = 'BackOff'" },
    });
    try {
      expect(db.stats).toEqual({ files: 3, records: 8, duplicates: 10, malformedLines: 2, foreignRecords: 4, skippedObjects: [] });
      const wanted = resultRows(await db.connection.runAndReadAll('SELECT * FROM wanted')).rows;
      expect(wanted).toEqual([['uid-2:102', 7, { app: 'web', 'app.kubernetes.io/name': 'web' }]]);
    } finally {
      db.close();
    }
  });

  it('a truncated Parquet object, and one that is no Parquet, are left out and named; the rest is read', async () => {
    const r = await read([files.truncated, files.firstHalfNdjson, files.notParquet, files.secondHalfParquet]);
    expect(r.rows).toEqual(fromNdjson.rows);
    expect({ ...r.stats, skippedObjects: [] }).toEqual({ ...fromNdjson.stats, files: 2 });
    expect(r.stats.skippedObjects.map((s) => [s.key, s.code]).sort()).toEqual([
      ['demo/2026/12/08/10/cut.parquet', 'EVENT_INVALID'],
      ['demo/2026/12/08/10/text.parquet', 'EVENT_INVALID'],
    ]);
    for (const s of r.stats.skippedObjects) expect(s.reason).toMatch(/^not readable as Parquet \(truncated or corrupt\)/);
  });

  it('a truncated Parquet object alone: nothing read, the object named', async () => {
    const r = await read([files.truncated], true);
    expect(r.rows).toEqual([]);
    expect(r.stats).toMatchObject({ files: 0, records: 0, duplicates: 0, malformedLines: 0, foreignRecords: 0 });
    expect(r.stats.skippedObjects.map((s) => s.key)).toEqual(['demo/2026/12/08/10/cut.parquet']);
  });
});
