// Scenario Q (issue 19): a batch encoded as Parquet (`encoding.format: parquet`, zstd inside) vs
// gzip NDJSON, through the core's own body writer (core/dist/dispatch/body-writer.js) as the
// batcher drives it: each record's JSON text and the record object it was made from in (a
// Parquet batch takes its columns from the object), one body per 10,000-record batch out.
// Reports CPU per event (the whole process: main thread and the thread pool's compression),
// events/s per core, bytes per event, and the heap a batch holds while it is open; then writes
// 1,000,000 records both ways into hive-partitioned directories and times DuckDB's count by
// reason over each archive.
import { Buffer } from 'node:buffer';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBodyWriter, loadParquetWriter } from '../../core/dist/dispatch/body-writer.js';
import { dropSpares } from '../../core/dist/dispatch/parquet/column.js';
import { toRecord } from '../../core/dist/record/map.js';
import { recordJson } from '../../core/dist/record/serialized.js';
import { exposeGc } from '../../core/dist/util/expose-gc.js';
import { benchEvent } from './events.mjs';

const gc = exposeGc();
/** Rounds of each encoding in the CPU comparison (the least CPU counts). */
const ROUNDS = 3;

const ENCODINGS = [
  { label: 'gzip NDJSON', encoding: { format: 'ndjson', compression: 'gzip' } },
  { label: 'Parquet zstd', encoding: { format: 'parquet', compression: 'zstd' } },
  { label: 'Parquet snappy', encoding: { format: 'parquet', compression: 'snappy' } },
  { label: 'Parquet gzip', encoding: { format: 'parquet', compression: 'gzip' } },
];

/**
 * The pipeline's records of bench events `from` to `from + n - 1`, with the enrichment a
 * Deployment's pod gets, their JSON as the pipeline makes it before the sinks get them
 * (`recordJson`, which serialises each enrichment once and remembers its text) and its UTF-8
 * length, which the pipeline also measures before the sinks (and which flattens the JSON text)
 * and hands the batcher, and the batcher the body writer.
 */
function benchRecords(n, from = 0) {
  const records = [];
  const lines = [];
  const bytes = [];
  for (let i = from; i < from + n; i++) {
    const r = toRecord(benchEvent(i), { cluster: 'bench', action: 'ADDED' });
    const app = `app-${i % 23}`;
    r.enrichment.labels = { app, 'pod-template-hash': '7d9f8c6b5' };
    r.enrichment.workload = { kind: 'Deployment', name: app, uid: `deploy-${i % 23}`, apiVersion: 'apps/v1' };
    r.enrichment.owners = [{ kind: 'ReplicaSet', name: `${app}-7d9f8c6b5`, uid: `rs-${i % 23}`, apiVersion: 'apps/v1' }, r.enrichment.workload];
    r.enrichment.node = { name: `node-${i % 50}`, addresses: [{ type: 'InternalIP', address: `10.0.${i % 50}.1` }] };
    records.push(r);
    const line = recordJson(r);
    lines.push(line);
    bytes.push(Buffer.byteLength(line, 'utf8'));
  }
  return { records, lines, bytes };
}

/**
 * Writes `n` records in batches of `batch` as the batcher does: each record's JSON line with the
 * record object it was made from. As in the pipeline, only the batch's records and lines exist
 * meanwhile (made by {@link benchRecords} before the batch, as the pipeline does before the
 * sinks, not counted, the same for every encoding), so the heap the encoder's collections mark
 * is a running process's, not every record of the run's. Returns the CPU of the writes (main
 * thread and thread pool) and their wall time, the bytes out and the most heap a batch held open.
 */
async function encodeAll(n, encoding, batch) {
  let cpuUs = 0;
  let bytes = 0;
  let heapPerBatch = 0;
  let wallMs = 0;
  for (let at = 0; at < n; at += batch) {
    const { records, lines, bytes: sizes } = benchRecords(Math.min(batch, n - at), at);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const writer = createBodyWriter(encoding);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < lines.length; i++) writer.add(lines[i], sizes[i], records[i]);
    heapPerBatch = Math.max(heapPerBatch, process.memoryUsage().heapUsed - before);
    bytes += (await writer.finish()).body.byteLength;
    const cpu = process.cpuUsage(cpu0);
    wallMs += performance.now() - t0;
    cpuUs += cpu.user + cpu.system;
  }
  return { cpuUs, bytes, heapPerBatch, wallMs };
}

/**
 * What an open batch of `batch` records holds once its garbage is collected: the JS heap and the
 * buffers (ArrayBuffers, outside the heap) it keeps, MB. Each record (and its line) is made as it
 * is added and not kept (the batcher hands the writer a record only during the call), and the
 * writer gets 10 ms every 500 records, as between the batcher's chunks, so a compression stream
 * takes its input. The Parquet writer's spare column buffers are dropped first: they are reused
 * by the next batch, which would then seem to hold none of its own. Null without --expose-gc.
 */
async function openBatchMemory(encoding, batch) {
  if (!gc) return null;
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    gc();
    return process.memoryUsage();
  };
  const writer = createBodyWriter(encoding);
  const m0 = await settle();
  for (let i = 0; i < batch; i++) {
    const { records, lines, bytes } = benchRecords(1, i);
    writer.add(lines[0], bytes[0], records[0]);
    if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const m1 = await settle();
  await writer.finish();
  return { heapMb: Math.round(((m1.heapUsed - m0.heapUsed) / 1e6) * 10) / 10, buffersMb: Math.round(((m1.arrayBuffers - m0.arrayBuffers) / 1e6) * 10) / 10 };
}

/**
 * Why `involvedObject` is a group, not JSON text: the same records, written by DuckDB's own COPY
 * both ways (so only the layout differs), queried with a GROUP BY on the kind and a filter on the
 * name. Best of 3 runs each, ms.
 */
async function layoutQueries(n, batch) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-q-'));
  const db = await DuckDBInstance.create(':memory:');
  const sql = await db.connect();
  try {
    for (let at = 0, b = 0; at < n; at += batch, b++) {
      const { records, lines, bytes } = benchRecords(Math.min(batch, n - at), at);
      const writer = createBodyWriter({ format: 'parquet', compression: 'zstd' });
      for (let i = 0; i < lines.length; i++) writer.add(lines[i], bytes[i], records[i]);
      await writeFile(join(dir, `b${b}.parquet`), (await writer.finish()).body);
    }
    const all = `read_parquet('${dir}/b*.parquet')`;
    await sql.run(`COPY (SELECT * FROM ${all}) TO '${dir}/group.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${batch})`);
    await sql.run(
      `COPY (SELECT * REPLACE (to_json(involvedObject)::VARCHAR AS involvedObject) FROM ${all}) TO '${dir}/json.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${batch})`,
    );
    const time = async (q) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await sql.runAndReadAll(q);
        best = Math.min(best, performance.now() - t0);
      }
      return Math.round(best * 10) / 10;
    };
    const g = `read_parquet('${dir}/group.parquet')`;
    const j = `read_parquet('${dir}/json.parquet')`;
    return {
      groupByKind: {
        group: await time(`SELECT involvedObject.kind, count(*) FROM ${g} GROUP BY ALL`),
        json: await time(`SELECT involvedObject->>'$.kind', count(*) FROM ${j} GROUP BY ALL`),
      },
      filterByName: {
        group: await time(`SELECT count(*) FROM ${g} WHERE involvedObject.name = 'app-3-7d9f8c6b5-xxx1a'`),
        json: await time(`SELECT count(*) FROM ${j} WHERE involvedObject->>'$.name' = 'app-3-7d9f8c6b5-xxx1a'`),
      },
    };
  } finally {
    sql.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Best of 3 runs of `query`, ms, and its rows. */
async function timeQuery(sql, query) {
  let best = Infinity;
  let rows = null;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const result = await sql.runAndReadAll(query);
    best = Math.min(best, performance.now() - t0);
    rows = result.getRowObjectsJson();
  }
  return { ms: Math.round(best), rows };
}

const ARCHIVES = [
  {
    label: 'gzip NDJSON',
    encoding: { format: 'ndjson', compression: 'gzip' },
    read: (dir) => `read_json('${dir}/*/*/*.ndjson.gz', format = 'newline_delimited', hive_partitioning = true)`,
  },
  { label: 'Parquet zstd', encoding: { format: 'parquet', compression: 'zstd' }, read: (dir) => `read_parquet('${dir}/*/*/*.parquet', hive_partitioning = true)` },
];

/**
 * The issue's query: `records` bench records written as batches of `batch` through the body
 * writer, in each format, into `date=YYYY-MM-DD/hour=HH/` directories (by the batch's first
 * event), then DuckDB's `SELECT reason, count(*) … GROUP BY reason` over each archive, best of 3,
 * its counts checked against the records'. Also the CPU per event of writing each archive.
 */
async function archiveQueries(records, batch) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-q-archive-'));
  const expected = new Map();
  const written = ARCHIVES.map(() => ({ cpuUs: 0, bytes: 0 }));
  try {
    for (let at = 0, n = 0; at < records; at += batch, n++) {
      const { records: part, lines, bytes } = benchRecords(Math.min(batch, records - at), at); // as encodeAll: made before the batch, not counted
      for (let a = 0; a < ARCHIVES.length; a++) {
        if (a === 0) for (const r of part) expected.set(r.reason, (expected.get(r.reason) ?? 0) + 1);
        const first = part[0].lastTimestamp;
        const partition = `date=${first.slice(0, 10)}/hour=${first.slice(11, 13)}`;
        const cpu0 = process.cpuUsage();
        const writer = createBodyWriter(ARCHIVES[a].encoding);
        for (let i = 0; i < lines.length; i++) writer.add(lines[i], bytes[i], part[i]);
        const body = await writer.finish();
        const cpu = process.cpuUsage(cpu0);
        written[a].cpuUs += cpu.user + cpu.system;
        written[a].bytes += body.body.byteLength;
        await mkdir(join(dir, ARCHIVES[a].encoding.format, partition), { recursive: true });
        await writeFile(join(dir, ARCHIVES[a].encoding.format, partition, `b${String(n).padStart(4, '0')}${body.extension}`), body.body);
      }
    }
    const want = [...expected].sort(([a], [b]) => a.localeCompare(b));
    const db = await DuckDBInstance.create(':memory:');
    const sql = await db.connect();
    try {
      const out = [];
      for (let a = 0; a < ARCHIVES.length; a++) {
        const { ms, rows } = await timeQuery(
          sql,
          `SELECT reason, count(*)::INTEGER AS n FROM ${ARCHIVES[a].read(join(dir, ARCHIVES[a].encoding.format))} GROUP BY reason ORDER BY reason`,
        );
        const got = rows.map((r) => [r.reason, r.n]);
        const total = got.reduce((s, [, n]) => s + n, 0);
        if (total !== records || JSON.stringify(got) !== JSON.stringify(want)) {
          throw new Error(`Q: DuckDB counted ${JSON.stringify(got)} in the ${ARCHIVES[a].label} archive, expected ${JSON.stringify(want)} (${records} records)`);
        }
        const usPerEvent = written[a].cpuUs / records;
        out.push({
          label: ARCHIVES[a].label,
          queryMs: ms,
          usPerEvent: Math.round(usPerEvent * 100) / 100,
          eventsPerSecPerCore: Math.round(1e6 / usPerEvent),
          bytesPerEvent: Math.round((written[a].bytes / records) * 10) / 10,
        });
      }
      return { records, batch, reasons: want.length, rows: out };
    } finally {
      sql.closeSync();
      db.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function parquetScenario({ records = 100_000, batch = 10_000, queryRecords = 1_000_000 } = {}) {
  await loadParquetWriter(); // as a Parquet sink's dispatcher does before it opens
  for (const { encoding } of ENCODINGS) await encodeAll(batch, encoding, batch); // warm-up (the records are made per batch)
  // Each encoding ROUNDS times, in turn, from a collected heap (the records' own garbage is not the encoder's):
  // the least CPU of its rounds counts, so a neighbour's burst on a shared machine does not.
  const best = ENCODINGS.map(() => null);
  for (let round = 0; round < ROUNDS; round++) {
    for (let e = 0; e < ENCODINGS.length; e++) {
      gc?.();
      const run = await encodeAll(records, ENCODINGS[e].encoding, batch);
      if (best[e] === null || run.cpuUs < best[e].cpuUs) best[e] = run;
    }
  }
  // gzip NDJSON and Parquet zstd, after the CPU rounds (a measurement before them made the rounds slower), from no
  // spare Parquet column buffers (see openBatchMemory).
  dropSpares();
  const retained = [await openBatchMemory(ENCODINGS[0].encoding, batch), await openBatchMemory(ENCODINGS[1].encoding, batch), null, null];
  const rows = ENCODINGS.map(({ label, encoding }, e) => {
    const usPerEvent = best[e].cpuUs / records;
    return {
      label,
      format: encoding.format,
      compression: encoding.compression,
      usPerEvent: Math.round(usPerEvent * 100) / 100,
      eventsPerSecPerCore: Math.round(1e6 / usPerEvent),
      wallMs: Math.round(best[e].wallMs),
      bytesPerEvent: Math.round((best[e].bytes / records) * 10) / 10,
      heapPerBatchMb: Math.round((best[e].heapPerBatch / 1e6) * 10) / 10,
      openBatch: retained[e],
    };
  });
  const ndjson = rows[0];
  const parquet = rows[1];
  const layout = await layoutQueries(records, batch);
  const archive = await archiveQueries(queryRecords, batch);
  return {
    layout,
    archive,
    title: `Parquet vs gzip NDJSON: ${records.toLocaleString('en-US')} records in batches of ${batch.toLocaleString('en-US')}`,
    records,
    batch,
    rows,
    costRatio: parquet.usPerEvent / ndjson.usPerEvent,
    sizeRatio: parquet.bytesPerEvent / ndjson.bytesPerEvent,
  };
}

export function formatParquet(r) {
  return [
    `Q: ${r.title}`,
    ...r.rows.map(
      (x) =>
        `   ${x.label.padEnd(14)} ${String(x.usPerEvent).padStart(6)} µs/event CPU (${x.eventsPerSecPerCore.toLocaleString('en-US')} events/s per core), ${x.bytesPerEvent} bytes/event, heap grew ${x.heapPerBatchMb} MB while a batch was open${x.openBatch ? `, an open batch holds ${x.openBatch.heapMb} MB heap + ${x.openBatch.buffersMb} MB buffers` : ''}`,
    ),
    `   Parquet zstd / gzip NDJSON: CPU per event ${(r.costRatio * 100).toFixed(0)}%, bytes ${(r.sizeRatio * 100).toFixed(0)}%`,
    `   DuckDB, involvedObject as a group vs as JSON text: GROUP BY kind ${r.layout.groupByKind.group} vs ${r.layout.groupByKind.json} ms, WHERE name = … ${r.layout.filterByName.group} vs ${r.layout.filterByName.json} ms`,
    `   ${r.archive.records.toLocaleString('en-US')} records archived as ${(r.archive.records / r.archive.batch).toLocaleString('en-US')} hive-partitioned batches (date=/hour=), DuckDB SELECT reason, count(*) … GROUP BY reason (best of 3, counts checked):`,
    ...r.archive.rows.map(
      (x) =>
        `     ${x.label.padEnd(14)} query ${String(x.queryMs).padStart(5)} ms; written at ${x.usPerEvent} µs/event CPU (${x.eventsPerSecPerCore.toLocaleString('en-US')} events/s per core), ${x.bytesPerEvent} bytes/event`,
    ),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  console.log(formatParquet(await parquetScenario({ records: Number(process.argv[2] ?? 100_000), queryRecords: Number(process.argv[3] ?? 1_000_000) })));
}
