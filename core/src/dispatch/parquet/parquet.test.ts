import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Compression, EncodingOptions } from '../../plugins/api.js';
import { sampleRecord, sampleRecords } from '../../testing/records.js';
import { createBodyWriter, encodeBatch, loadParquetWriter, writtenRecords } from '../body-writer.js';
import { decodeBody, encodingInfo } from '../encode.js';
import { type PreparedBatch, createEncoder } from '../encoder.js';
import { createStop } from '../shutdown.js';
import { validateConfig } from '../../config/index.js';
import { silentLogger } from '../../util/logger.js';
import { recordJson } from '../../record/serialized.js';

/** Records a pipeline can hand a sink, and some it should never but must not lose: every one must come back as it went in. */
function records(): unknown[] {
  const recs: unknown[] = sampleRecords(40);
  recs.push(
    sampleRecord(40, { message: `${'ü'.repeat(1024 * 1024)}✓ 🚀` }), // 2 MiB of UTF-8
    sampleRecord(41, { related: { kind: 'Pod', name: 'preemptor', namespace: 'shop', uid: 'p-1', apiVersion: 'v1', fieldPath: '' } }),
    sampleRecord(42, { series: { count: 7, lastObservedTime: '2026-01-02T03:04:05.123Z' }, eventTime: '2026-01-02T03:04:05.120Z' }),
    sampleRecord(43, { series: { count: 0, lastObservedTime: null } }),
    { ...sampleRecord(44), addedByTransform: { team: 'shop', n: [1, 2] } }, // a field outside the schema
    { ...sampleRecord(45), count: 2.5, firstTimestamp: '2026-01-02T03:04:05Z' }, // values the typed columns cannot hold exactly
    { ...sampleRecord(46), involvedObject: { kind: 'Pod', name: 'p', extra: true } }, // a group of another shape
    { ...sampleRecord(47), enrichment: null, source: null },
    'a damaged record',
    null,
    [1, 'two'],
  );
  const { series: _s, eventAction: _e, ...older } = sampleRecord(48); // archived before these fields existed
  recs.push(older);
  return recs;
}

/** `withObjects`: each record also handed over as the object its JSON was made from (as the pipeline does). */
async function written(encoding: EncodingOptions, recs: readonly unknown[], withObjects = false) {
  await loadParquetWriter();
  const writer = createBodyWriter(encoding);
  for (const r of recs) {
    if (typeof r === 'string') writer.add(r);
    else if (withObjects) writer.add(JSON.stringify(r), undefined, r);
    else writer.add(JSON.stringify(r));
  }
  return writer.finish();
}

const COMPRESSIONS: Compression[] = ['zstd', 'snappy', 'gzip', 'none'];

describe('parquet body', () => {
  it('from the record objects: the same file as from their JSON, and what JSON.stringify makes of them read back', async () => {
    const encoding: EncodingOptions = { format: 'parquet', compression: 'zstd' };
    const recs = records();
    // Members JSON.stringify leaves out: an undefined schema field, an undefined extra field, an undefined group member.
    recs.push({ ...sampleRecord(49), action: undefined, addedByTransform: undefined }, { ...sampleRecord(50), source: { component: 'kubelet', host: undefined } });
    const fromObjects = await written(encoding, recs, true);
    const fromJson = await written(encoding, recs);
    expect(Buffer.from(fromObjects.body).equals(Buffer.from(fromJson.body))).toBe(true);
    const asJson = recs.map((r) => (typeof r === 'string' ? r : (JSON.parse(JSON.stringify(r)) as unknown)));
    expect(await decodeBody(fromObjects.body, encoding)).toStrictEqual(asJson);
    expect(writtenRecords(fromObjects, encoding)).toStrictEqual(asJson);
  });

  it('an enrichment the pipeline already serialised (recordJson) is not serialised again: its known JSON goes in the column', async () => {
    const encoding: EncodingOptions = { format: 'parquet', compression: 'zstd' };
    await loadParquetWriter();
    const recs = sampleRecords(6);
    const shared = { ...recs[0]!.enrichment, labels: { app: 'web', note: 'ü ✓' } };
    recs[2] = { ...recs[2]!, enrichment: shared };
    recs[3] = { ...recs[3]!, enrichment: shared };
    const lines = recs.map((r) => recordJson(r)); // as the pipeline does before the sinks
    const stringify = vi.spyOn(JSON, 'stringify');
    let body;
    try {
      const writer = createBodyWriter(encoding);
      for (let i = 0; i < recs.length; i++) writer.add(lines[i]!, undefined, recs[i]);
      body = await writer.finish();
      const enrichments = new Set<unknown>(recs.map((r) => r.enrichment));
      expect(stringify.mock.calls.filter(([value]) => enrichments.has(value))).toEqual([]);
    } finally {
      stringify.mockRestore();
    }
    expect(await decodeBody(body.body, encoding)).toStrictEqual(lines.map((l) => JSON.parse(l) as unknown));
  });

  it('a batch opened before the Parquet writer loaded is the same file (its columns filled at finish from the zstd NDJSON it wrote meanwhile), and batch.records reads it', async () => {
    const encoding: EncodingOptions = { format: 'parquet', compression: 'snappy' };
    const recs = records();
    vi.resetModules();
    const fresh = await import('../body-writer.js');
    const early = fresh.createBodyWriter(encoding); // this module instance has not loaded the writer yet
    for (const r of recs) early.add(typeof r === 'string' ? r : JSON.stringify(r), undefined, r);
    const body = await early.finish();
    expect(Buffer.from(body.body).equals(Buffer.from((await written(encoding, recs)).body))).toBe(true);
    expect(await decodeBody(body.body, encoding)).toStrictEqual(recs);
    expect(fresh.writtenRecords(body, encoding)).toStrictEqual(recs);
  });

  it.each(COMPRESSIONS)('%s: hyparquet and the synchronous decoder of our own files (batch.records) both give back every record exactly', async (compression) => {
    const encoding: EncodingOptions = { format: 'parquet', compression };
    const recs = records();
    const body = await written(encoding, recs);
    expect(await decodeBody(body.body, encoding)).toStrictEqual(recs);
    expect(writtenRecords(body, encoding)).toStrictEqual(recs);
    expect(body).toMatchObject({ contentType: 'application/vnd.apache.parquet', contentEncoding: undefined, extension: '.parquet' });
  });

  it('is one row group, its pages compressed with the chosen codec, statistics on the columns queries filter by', async () => {
    await loadParquetWriter();
    const body = await encodeBatch(
      sampleRecords(100).map((r) => JSON.stringify(r)),
      { format: 'parquet', compression: 'zstd' },
    );
    const file = body.body.buffer.slice(body.body.byteOffset, body.body.byteOffset + body.body.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(file);
    expect(meta.row_groups).toHaveLength(1);
    expect(meta.num_rows).toBe(100n);
    const column = (path: string) => meta.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema.join('.') === path)!.meta_data!;
    for (const path of ['id', 'reason', 'lastTimestamp', 'enrichment']) expect(column(path).codec).toBe('ZSTD');
    for (const path of ['reason', 'lastTimestamp', 'namespace', 'involvedObject.kind', 'involvedObject.name']) expect(column(path).statistics?.min_value).toBeDefined();
    // Nearly distinct values and JSON text: no query prunes by them, their min/max is not worth computing.
    for (const path of ['id', 'uid', 'message', 'enrichment', 'series.lastObservedTime']) expect(column(path).statistics?.min_value).toBeUndefined();
  });

  it('an empty batch is a valid file of no rows', async () => {
    const encoding: EncodingOptions = { format: 'parquet', compression: 'gzip' };
    const body = await written(encoding, []);
    expect(await decodeBody(body.body, encoding)).toEqual([]);
    expect(writtenRecords(body, encoding)).toEqual([]);
  });

  it('compression is inside the file: .parquet whatever the codec, no content encoding', () => {
    for (const compression of COMPRESSIONS) {
      expect(encodingInfo({ format: 'parquet', compression })).toEqual({ contentType: 'application/vnd.apache.parquet', contentEncoding: undefined, extension: '.parquet' });
    }
  });

  it('snappy is for parquet only: refused with ndjson or json in the config and by the core', () => {
    expect(() => validateConfig({ cluster: 'c', sinks: [{ use: 'file', encoding: { format: 'ndjson', compression: 'snappy' } }] })).toThrow(
      /sinks\[0\]\.encoding\.compression.*snappy needs format parquet/s,
    );
    expect(() => validateConfig({ cluster: 'c', deadLetter: { encoding: { compression: 'snappy' } } })).toThrow(/deadLetter\.encoding\.compression.*snappy needs format parquet/s);
    expect(validateConfig({ cluster: 'c', sinks: [{ use: 'file', encoding: { format: 'parquet', compression: 'snappy' } }] }).sinks[0]!.encoding).toEqual({
      format: 'parquet',
      compression: 'snappy',
    });
    expect(() => createBodyWriter({ format: 'json', compression: 'snappy' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
  });

  it('a body that is not Parquet is EVENT_INVALID', async () => {
    await expect(decodeBody(new TextEncoder().encode('{"a":1}\n'), { format: 'parquet', compression: 'zstd' })).rejects.toMatchObject({ code: 'EVENT_INVALID' });
  });
});

describe('parquet batches from the encoder', () => {
  it('a sink gets the .parquet body and, from batch.records, the records themselves (a dead letter reads them so)', async () => {
    const encoding: EncodingOptions = { format: 'parquet', compression: 'zstd', level: 5 };
    const recs = records();
    const writer = createBodyWriter(encoding);
    for (const r of recs) writer.add(typeof r === 'string' ? r : JSON.stringify(r));
    const items = recs.map((_, i) => ({ id: `r${i}`, json: '', timestamp: null }));
    const prepared: PreparedBatch[] = [];
    const encoder = createEncoder({ name: 'lake', cluster: 'c1', encoding, log: silentLogger }, createStop(), async (p) => {
      prepared.push(p);
    });
    encoder.enqueue({ items, body: writer.finish(), queueBytes: 0, closedAt: 1 });
    await vi.waitFor(() => expect(prepared).toHaveLength(1));
    const batch = prepared[0]!.batch!;
    expect(batch).toMatchObject({ count: recs.length, extension: '.parquet', contentType: 'application/vnd.apache.parquet', contentEncoding: undefined, encoding });
    expect(batch.records).toStrictEqual(recs);
    expect(await decodeBody(batch.body, encoding)).toStrictEqual(recs);
  });
});

describe('parquet body read by DuckDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8stream-parquet-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(COMPRESSIONS)('%s: DuckDB reads every row', async (compression) => {
    const recs = sampleRecords(300);
    const body = await encodeBatch(
      recs.map((r) => JSON.stringify(r)),
      { format: 'parquet', compression },
    );
    const file = join(dir, `${compression}.parquet`);
    await writeFile(file, body.body);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const rows = (
        await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, max(strlen(message))::INTEGER AS longest FROM read_parquet('${file}')`)
      ).getRowObjectsJson();
      expect(rows).toEqual([{ n: 300, ids: 300, longest: Math.max(...recs.map((r) => Buffer.byteLength(r.message))) }]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('typed columns, UTC timestamps, groups as structs, enrichment as JSON', async () => {
    const recs = sampleRecords(20);
    recs[3] = sampleRecord(3, { series: { count: 4, lastObservedTime: '2026-01-02T03:04:05.123Z' } });
    const body = await encodeBatch(
      recs.map((r) => JSON.stringify(r)),
      { format: 'parquet', compression: 'zstd', level: 3 },
    );
    const file = join(dir, 'batch.parquet');
    await writeFile(file, body.body);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson();
      const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
      expect(typeOf).toMatchObject({
        id: 'VARCHAR',
        firstTimestamp: 'TIMESTAMP WITH TIME ZONE',
        count: 'INTEGER',
        involvedObject: 'STRUCT(kind VARCHAR, "name" VARCHAR, namespace VARCHAR, uid VARCHAR, apiVersion VARCHAR, fieldPath VARCHAR)',
        series: 'STRUCT(count INTEGER, lastObservedTime TIMESTAMP WITH TIME ZONE)',
        enrichment: 'JSON',
      });
      const rows = (
        await conn.runAndReadAll(
          `SET TimeZone = 'UTC'; SELECT id, epoch_ms(firstTimestamp) AS ms, involvedObject.name AS pod, enrichment->>'$.workload.name' AS workload,
             series.count AS sc, epoch_ms(series.lastObservedTime) AS lot
           FROM read_parquet('${file}') ORDER BY id LIMIT 4`,
        )
      ).getRowObjectsJson();
      expect(rows[3]).toEqual({
        id: recs[3].id,
        ms: String(Date.parse(recs[3].firstTimestamp!)),
        pod: recs[3].involvedObject.name,
        workload: 'web',
        sc: 4,
        lot: String(Date.parse('2026-01-02T03:04:05.123Z')),
      });
      expect(rows[0]!.sc).toBeNull();
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
