// Scenario Q (issue 19): a batch encoded as Parquet (`encoding.format: parquet`, zstd inside) vs
// gzip NDJSON, through the core's own body writer (core/dist/dispatch/body-writer.js) as the
// batcher drives it: record JSON in, one body per 10,000-record batch out. Reports CPU per event
// (the whole process: main thread and the thread pool's compression), events/s per core, bytes
// per event, and the heap a batch holds while it is open.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBodyWriter } from '../../core/dist/dispatch/body-writer.js';
import { toRecord } from '../../core/dist/record/map.js';
import { benchEvent } from './events.mjs';

const ENCODINGS = [
  { label: 'gzip NDJSON', encoding: { format: 'ndjson', compression: 'gzip' } },
  { label: 'Parquet zstd', encoding: { format: 'parquet', compression: 'zstd' } },
  { label: 'Parquet snappy', encoding: { format: 'parquet', compression: 'snappy' } },
  { label: 'Parquet gzip', encoding: { format: 'parquet', compression: 'gzip' } },
];

/** The pipeline's records of the bench events, with the enrichment a Deployment's pod gets, as JSON. */
function recordLines(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const r = toRecord(benchEvent(i), { cluster: 'bench', action: 'ADDED' });
    const app = `app-${i % 23}`;
    r.enrichment.labels = { app, 'pod-template-hash': '7d9f8c6b5' };
    r.enrichment.workload = { kind: 'Deployment', name: app, uid: `deploy-${i % 23}`, apiVersion: 'apps/v1' };
    r.enrichment.owners = [{ kind: 'ReplicaSet', name: `${app}-7d9f8c6b5`, uid: `rs-${i % 23}`, apiVersion: 'apps/v1' }, r.enrichment.workload];
    r.enrichment.node = { name: `node-${i % 50}`, addresses: [{ type: 'InternalIP', address: `10.0.${i % 50}.1` }] };
    lines.push(JSON.stringify(r));
  }
  return lines;
}

async function encodeAll(lines, encoding, batch) {
  let bytes = 0;
  let heapPerBatch = 0;
  for (let at = 0; at < lines.length; at += batch) {
    const writer = createBodyWriter(encoding);
    const before = process.memoryUsage().heapUsed;
    const end = Math.min(lines.length, at + batch);
    for (let i = at; i < end; i++) writer.add(lines[i]);
    heapPerBatch = Math.max(heapPerBatch, process.memoryUsage().heapUsed - before);
    bytes += (await writer.finish()).body.byteLength;
  }
  return { bytes, heapPerBatch };
}

/**
 * Why `involvedObject` is a group, not JSON text: the same records, written by DuckDB's own COPY
 * both ways (so only the layout differs), queried with a GROUP BY on the kind and a filter on the
 * name. Best of 3 runs each, ms.
 */
async function layoutQueries(lines, batch) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-q-'));
  const db = await DuckDBInstance.create(':memory:');
  const sql = await db.connect();
  try {
    for (let at = 0, n = 0; at < lines.length; at += batch, n++) {
      const writer = createBodyWriter({ format: 'parquet', compression: 'zstd' });
      for (const line of lines.slice(at, at + batch)) writer.add(line);
      await writeFile(join(dir, `b${n}.parquet`), (await writer.finish()).body);
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

export async function parquetScenario({ records = 100_000, batch = 10_000 } = {}) {
  const lines = recordLines(records);
  const rows = [];
  for (const { label, encoding } of ENCODINGS) {
    await encodeAll(lines.slice(0, batch), encoding, batch); // warm-up
    global.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { bytes, heapPerBatch } = await encodeAll(lines, encoding, batch);
    const cpu = process.cpuUsage(cpu0);
    const usPerEvent = (cpu.user + cpu.system) / records;
    rows.push({
      label,
      format: encoding.format,
      compression: encoding.compression,
      usPerEvent: Math.round(usPerEvent * 100) / 100,
      eventsPerSecPerCore: Math.round(1e6 / usPerEvent),
      wallMs: Math.round(performance.now() - t0),
      bytesPerEvent: Math.round((bytes / records) * 10) / 10,
      heapPerBatchMb: Math.round((heapPerBatch / 1e6) * 10) / 10,
    });
  }
  const ndjson = rows[0];
  const parquet = rows[1];
  const layout = await layoutQueries(lines, batch);
  return {
    layout,
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
        `   ${x.label.padEnd(14)} ${String(x.usPerEvent).padStart(6)} µs/event CPU (${x.eventsPerSecPerCore.toLocaleString('en-US')} events/s per core), ${x.bytesPerEvent} bytes/event, open batch ${x.heapPerBatchMb} MB heap`,
    ),
    `   Parquet zstd / gzip NDJSON: CPU per event ${(r.costRatio * 100).toFixed(0)}%, bytes ${(r.sizeRatio * 100).toFixed(0)}%`,
    `   DuckDB, involvedObject as a group vs as JSON text: GROUP BY kind ${r.layout.groupByKind.group} vs ${r.layout.groupByKind.json} ms, WHERE name = … ${r.layout.filterByName.group} vs ${r.layout.filterByName.json} ms`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  console.log(formatParquet(await parquetScenario({ records: Number(process.argv[2] ?? 100_000) })));
}
