// The engine over real batch files on disk (gzip, zstd, plain; NDJSON and JSON arrays) with real
// DuckDB: exact counts of records, repeats, malformed lines, foreign records and objects left out.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyEnrichment } from '../../record/types.js';
import type { SkippedObject, StagedFile } from '../types.js';
import { RECORD_COLUMNS } from './columns.js';
import { openEvents } from './events.js';
import { WINDOW, put, record, staged } from './records.fixture.js';
import type { EventsDb } from './events.js';
import { resultRows } from './values.js';

/** A record as archived before `eventAction`, `related` and `series` existed. */
function oldRecord(n: number, time: string): Record<string, unknown> {
  const { eventAction: _a, related: _r, series: _s, ...rest } = record(n, time);
  return rest;
}

const PARTITIONS = ['demo/2026/12/08/09/', 'demo/2026/12/08/10/'];

const ndjson = (items: readonly unknown[]): string => items.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** Record 2, archived twice (at-least-once): the same record in two objects. */
const RECORD_2 = record(2, '2026-12-08T10:15:00.123Z', {
  type: 'Warning',
  reason: 'BackOff',
  count: 7,
  enrichment: {
    ...emptyEnrichment(),
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    services: [{ name: 'web', namespace: 'shop' }],
    owners: [
      { kind: 'ReplicaSet', name: 'web-5d9', uid: 'rs', apiVersion: 'apps/v1' },
      { kind: 'Deployment', name: 'web', uid: 'd', apiVersion: 'apps/v1' },
    ],
    workload: { kind: 'Deployment', name: 'web', uid: 'd', apiVersion: 'apps/v1' },
    node: { name: 'node-1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  },
});

let dir: string;
let files: StagedFile[];
let db: EventsDb;
const FETCH_SKIP: SkippedObject = { key: 'demo/2026/12/08/10/unreadable.ndjson.gz', code: 'ARCHIVE_READ_FAILED', reason: 'access denied' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-engine-'));
  const many = Array.from({ length: 400 }, (_, i) => record(1000 + i, '2026-12-08T10:30:00Z'));
  const truncated = gzipSync(ndjson(many));
  files = [
    // 3 records in the window, 1 before it (09:59:59.999), 1 at its end (excluded).
    await put(
      dir,
      'a.ndjson.gz',
      '.ndjson.gz',
      gzipSync(
        ndjson([record(1, '2026-12-08T10:00:00Z'), RECORD_2, record(3, '2026-12-08T10:59:59.999Z'), record(4, '2026-12-08T09:59:59.999Z'), record(5, '2026-12-08T11:00:00Z')]),
      ),
    ),
    // zstd: record 2 again (a repeat), and an events-API record timed by eventTime only.
    await put(
      dir,
      'b.ndjson.zst',
      '.ndjson.zst',
      zstdCompressSync(
        ndjson([
          RECORD_2,
          record(6, '', {
            firstTimestamp: null,
            lastTimestamp: null,
            eventTime: '2026-12-08T10:20:00.654321Z',
            eventAction: 'Binding',
            related: { kind: 'Node', name: 'node-1', namespace: '', uid: 'n1', apiVersion: 'v1', fieldPath: '' },
            series: { count: 3, lastObservedTime: '2026-12-08T10:21:00Z' },
          }),
        ]),
      ),
    ),
    // A JSON array of two old records (no eventAction/related/series), one a repeat of record 1.
    await put(dir, 'c.json', '.json', JSON.stringify([oldRecord(7, '2026-12-08T10:40:00Z'), record(1, '2026-12-08T10:00:00Z')])),
    await put(dir, 'd.json.gz', '.json.gz', gzipSync(JSON.stringify([record(8, '2026-12-08T10:41:00Z')]))),
    // Plain NDJSON: 2 malformed lines, 1 number, a blank line, a foreign schema, an object without schema, 1 good record.
    await put(
      dir,
      'e.ndjson',
      '.ndjson',
      ndjson([
        '{"schema":"k8stream.event/v1", "id": "cut',
        'not json at all',
        '42',
        '',
        { schema: 'k8stream.deadletter/v1', id: 'dl-1', time: '2026-12-08T10:30:00Z' },
        { id: 'no-schema', lastTimestamp: '2026-12-08T10:30:00Z' },
        record(9, '2026-12-08T10:45:00Z'),
      ]),
    ),
    // A gzip object cut short: it reads partly, so it is left out whole.
    await put(dir, 'f.ndjson.gz', '.ndjson.gz', truncated.subarray(0, Math.floor(truncated.length / 2))),
    // Not gzip at all, and a .json that is not a JSON array.
    await put(dir, 'g.ndjson.gz', '.ndjson.gz', Buffer.from('this is not gzip\n')),
    await put(dir, 'h.json', '.json', '{"schema": "k8stream.event/v1"}'),
    // Not zstd: DuckDB's error names no file, so the files are tried one by one.
    await put(dir, 'i.ndjson.zst', '.ndjson.zst', Buffer.from('not zstd at all')),
    // A JSON array with a record and two elements that are not objects.
    await put(dir, 'j.json', '.json', JSON.stringify([record(10, '2026-12-08T10:50:00Z'), 42, 'text'])),
  ];
  db = await openEvents(staged(dir, files, { partitions: PARTITIONS, skipped: [FETCH_SKIP] }), WINDOW, { threads: 2 });
});

afterAll(async () => {
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

async function query(sql: string) {
  return resultRows(await db.connection.runAndReadAll(sql));
}

describe('openEvents', () => {
  it('counts exactly: records once per id inside the window, repeats, malformed lines, foreign records, objects left out', () => {
    expect(db.stats).toMatchObject({ files: 6, records: 8, duplicates: 2, malformedLines: 5, foreignRecords: 2 });
    const skipped = db.stats.skippedObjects;
    expect(skipped[0]).toEqual(FETCH_SKIP);
    expect(
      skipped
        .slice(1)
        .map((s) => s.key)
        .sort(),
    ).toEqual(['demo/2026/12/08/10/f.ndjson.gz', 'demo/2026/12/08/10/g.ndjson.gz', 'demo/2026/12/08/10/h.json', 'demo/2026/12/08/10/i.ndjson.zst']);
    expect(skipped.slice(1).every((s) => s.code === 'EVENT_INVALID')).toBe(true);
    expect(skipped.find((s) => s.key.endsWith('f.ndjson.gz'))!.reason).toMatch(/^not readable as gzip \(truncated or corrupt\): unexpected end of file/);
    expect(skipped.find((s) => s.key.endsWith('h.json'))!.reason).toBe('not a JSON array of records');
    expect(skipped.find((s) => s.key.endsWith('i.ndjson.zst'))!.reason).toMatch(/^not readable as zstd \(truncated or corrupt\)/);
  });

  it('events holds the window’s records once each, in [from, to), by lastTimestamp, else eventTime', async () => {
    const { rows } = await query('SELECT id, time FROM events ORDER BY time, id');
    expect(rows).toEqual([
      ['uid-1:101', '2026-12-08T10:00:00.000Z'],
      ['uid-2:102', '2026-12-08T10:15:00.123Z'],
      ['uid-6:106', '2026-12-08T10:20:00.654321Z'],
      ['uid-7:107', '2026-12-08T10:40:00.000Z'],
      ['uid-8:108', '2026-12-08T10:41:00.000Z'],
      ['uid-9:109', '2026-12-08T10:45:00.000Z'],
      ['uid-10:110', '2026-12-08T10:50:00.000Z'],
      ['uid-3:103', '2026-12-08T10:59:59.999Z'],
    ]);
    expect((await query('SELECT count(*), count(DISTINCT id) FROM events')).rows).toEqual([[8, 8]]);
  });

  it('has exactly the record’s fields as typed columns, plus time', async () => {
    const { rows } = await query('SELECT column_name, column_type FROM (DESCRIBE events)');
    expect(rows.map((r) => r[0])).toEqual([...RECORD_COLUMNS.map(([n]) => n), 'time']);
    const types = Object.fromEntries(rows.map((r) => [r[0], r[1]]));
    expect(types).toMatchObject({ firstTimestamp: 'TIMESTAMP WITH TIME ZONE', count: 'BIGINT', time: 'TIMESTAMP WITH TIME ZONE' });
    expect(types.enrichment).toContain('services STRUCT("name" VARCHAR, namespace VARCHAR)[]');
    expect(types.enrichment).toContain('labels MAP(VARCHAR, VARCHAR)');
  });

  it('nested fields read as structs, lists and maps; old records read the newer fields as NULL', async () => {
    const { columns, rows } = await query(
      "SELECT count, enrichment.services, enrichment.labels['app'] AS app, enrichment.workload.name AS workload, enrichment.owners[1].kind AS owner, enrichment.node.addresses[1].address AS ip FROM events WHERE id = 'uid-2:102'",
    );
    expect(columns).toEqual(['count', 'services', 'app', 'workload', 'owner', 'ip']);
    expect(rows).toEqual([[7, [{ name: 'web', namespace: 'shop' }], 'web', 'web', 'ReplicaSet', '10.0.0.1']]);
    expect((await query("SELECT eventAction, related, series FROM events WHERE id = 'uid-7:107'")).rows).toEqual([[null, null, null]]);
    expect((await query("SELECT eventAction, related.kind, series FROM events WHERE id = 'uid-6:106'")).rows).toEqual([
      ['Binding', 'Node', { count: 3, lastObservedTime: '2026-12-08T10:21:00.000Z' }],
    ]);
    expect((await query("SELECT list_contains(enrichment.services, {'name': 'web', 'namespace': 'shop'}) FROM events WHERE id = 'uid-2:102'")).rows).toEqual([[true]]);
  });

  it('no files: an empty events view with the same columns; nothing counted but what the archive skipped', async () => {
    const empty = await openEvents(staged(dir, [], { partitions: PARTITIONS, skipped: [FETCH_SKIP] }), WINDOW, { threads: 1 });
    try {
      expect(empty.stats).toEqual({ files: 0, records: 0, duplicates: 0, malformedLines: 0, foreignRecords: 0, skippedObjects: [FETCH_SKIP] });
      const r = resultRows(await empty.connection.runAndReadAll('SELECT * FROM events'));
      expect(r.columns).toEqual([...RECORD_COLUMNS.map(([n]) => n), 'time']);
      expect(r.rows).toEqual([]);
    } finally {
      empty.close();
    }
  });

  it('a clean archive needs no look at single files: nothing malformed, no repeats', async () => {
    const clean = await openEvents(staged(dir, [files[0]!, files[3]!], { partitions: PARTITIONS }), WINDOW, { threads: 1 });
    try {
      expect(clean.stats).toEqual({ files: 2, records: 4, duplicates: 0, malformedLines: 0, foreignRecords: 0, skippedObjects: [] });
    } finally {
      clean.close();
    }
  });

  it('prefetch: the same read also fills a table with the wanted rows of events, once per id, and counts the same', async () => {
    const fetched = await openEvents(staged(dir, files, { partitions: PARTITIONS, skipped: [FETCH_SKIP] }), WINDOW, {
      threads: 2,
      prefetch: {
        table: 'wanted',
        select: 'id, "time" AS t, enrichment.services AS services',
        where: "involvedObject.name IN ($a, $b) OR eventAction = 'Binding'",
        params: { a: 'web-2', b: 'web-9' },
      },
    });
    try {
      expect(fetched.stats).toEqual(db.stats);
      const r = resultRows(await fetched.connection.runAndReadAll('SELECT * FROM wanted ORDER BY t'));
      expect(r.columns).toEqual(['id', 't', 'services']);
      expect(r.rows).toEqual([
        ['uid-2:102', '2026-12-08T10:15:00.123Z', [{ name: 'web', namespace: 'shop' }]],
        ['uid-6:106', '2026-12-08T10:20:00.654321Z', []],
        ['uid-9:109', '2026-12-08T10:45:00.000Z', []],
      ]);
      expect(resultRows(await fetched.connection.runAndReadAll('SELECT count(*) FROM events')).rows).toEqual([[8]]);
      const tables = await fetched.connection.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'k8stream%'");
      expect(tables.getRows()).toEqual([]);
    } finally {
      fetched.close();
    }
    const none = await openEvents(staged(dir, [], { partitions: PARTITIONS }), WINDOW, {
      threads: 1,
      prefetch: { table: 'wanted', select: 'id, message, $n AS n', where: 'namespace = $ns', params: { n: 1, ns: 'shop' } },
    });
    try {
      expect(resultRows(await none.connection.runAndReadAll('SELECT * FROM wanted'))).toEqual({ columns: ['id', 'message', 'n'], rows: [] });
    } finally {
      none.close();
    }
  });

  it('events reads only the files holding a record of the window (a look-back hour’s objects are counted, then left alone)', async () => {
    const before = await put(dir, 'k.ndjson', '.ndjson', ndjson([record(20, '2026-12-08T09:10:00Z'), record(21, '2026-12-08T09:50:00Z')]));
    const pruned = await openEvents(staged(dir, [files[0]!, before], { partitions: PARTITIONS }), WINDOW, { threads: 1 });
    try {
      expect(pruned.stats).toMatchObject({ files: 2, records: 3 });
      // Gone from disk: a view still reading it would fail.
      await rm(before.path);
      expect(resultRows(await pruned.connection.runAndReadAll('SELECT count(*) FROM events')).rows).toEqual([[3]]);
    } finally {
      pruned.close();
    }
  });
});
