// `npm run bench`: N replayed events through the real pipeline into the file sink (gzip NDJSON),
// next to a same-run floor: a tight loop of JSON.parse + JSON.stringify + the same compression
// over the same events. Prints events/s, µs/event, peak RSS and the pipeline/floor ratio, and
// writes the results as JSON (.bench/results.json) so runs can be compared.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { run } from '../../core/dist/runtime.js';
import { validateConfig } from '../../core/dist/config/index.js';
import { silentLogger } from '../../core/dist/util/logger.js';
import { benchEvent } from './events.mjs';
import { liveBenchmarks } from './live.mjs';
import { sinkBenchmarks } from './sinks.mjs';
import { benchTransform } from '../../core/dist/transform/bench.js';

const gzipAsync = promisify(gzip);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCH = 10_000;

async function writeFixture(file) {
  const out = createWriteStream(file);
  for (let i = 0; i < N; i++) {
    if (!out.write(JSON.stringify({ type: 'ADDED', object: benchEvent(i) }) + '\n')) {
      await new Promise((r) => out.once('drain', r));
    }
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

async function pipelineRun(fixture, outDir) {
  const config = validateConfig({
    cluster: 'bench',
    source: { type: 'replay', replay: { file: fixture } },
    sinks: [{ name: 'file', use: 'file', batch: { maxEvents: BATCH, maxBytes: '64MiB', maxAgeMs: '10s' }, encoding: { format: 'ndjson', compression: 'gzip' }, config: { dir: outDir, fsync: false } }],
    deadLetter: { use: 'file', config: { dir: join(outDir, 'deadletter') } },
  });
  const loaded = { config, filepath: null, dir: repo };
  const t0 = performance.now();
  const summary = await run(loaded, { logger: silentLogger, signal: new AbortController().signal });
  const ms = performance.now() - t0;
  const delivered = summary.sinks[0].stats.eventsSent;
  if (delivered !== N) throw new Error(`pipeline delivered ${delivered} of ${N}`);
  return ms;
}

async function floorRun(lines) {
  const t0 = performance.now();
  let batch = [];
  const pending = [];
  for (const line of lines) {
    batch.push(JSON.stringify(JSON.parse(line).object));
    if (batch.length === BATCH) {
      pending.push(gzipAsync(batch.join('\n') + '\n'));
      batch = [];
    }
  }
  if (batch.length) pending.push(gzipAsync(batch.join('\n') + '\n'));
  await Promise.all(pending);
  return performance.now() - t0;
}

const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-'));
try {
  const fixture = join(dir, 'events.ndjson');
  await writeFixture(fixture);
  const pipelineMs = await pipelineRun(fixture, join(dir, 'out'));
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const lines = Array.from({ length: N }, (_, i) => JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
  await floorRun(lines.slice(0, 20_000)); // warm-up
  const floorMs = await floorRun(lines);
  const row = (name, ms) => ({ scenario: name, events: N, ms: Math.round(ms), eventsPerSec: Math.round((N / ms) * 1000), usPerEvent: +((ms * 1000) / N).toFixed(2) });
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    pipeline: { ...row('replay → file (gzip ndjson)', pipelineMs), peakRssMb: Math.round(rssMb) },
    floor: row('floor: parse + stringify + gzip', floorMs),
    ratio: +(floorMs / pipelineMs).toFixed(2),
  };
  console.log(`events: ${N}, batch: ${BATCH}, node ${process.version}`);
  console.log('scenario                                events/s   µs/event   peak RSS');
  console.log(`${results.pipeline.scenario.padEnd(38)} ${String(results.pipeline.eventsPerSec).padStart(9)} ${String(results.pipeline.usPerEvent).padStart(10)} ${String(results.pipeline.peakRssMb).padStart(7)} MB`);
  console.log(`${results.floor.scenario.padEnd(38)} ${String(results.floor.eventsPerSec).padStart(9)} ${String(results.floor.usPerEvent).padStart(10)}`);
  console.log(`pipeline/floor: ${(results.ratio * 100).toFixed(0)}% of the floor's throughput`);
  console.log('');
  results.live = await liveBenchmarks({ events: Number(process.env.BENCH_LIVE_EVENTS ?? 100_000) });
  for (const r of results.live) console.log(`${r.scenario.padEnd(48)} ${String(r.eventsPerSec).padStart(9)} events/s  (${r.events} events in ${r.ms} ms)`);
  console.log('');
  results.transforms = [];
  for (const [use, chain] of [['redact', 1], ['redact', 3], ['filter', 1]]) {
    const t = await benchTransform([{ use, config: use === 'filter' ? { drop: { namespaces: ['nothing-matches'] } } : {} }], { records: 20_000, chain, configDir: repo });
    const row = { scenario: `transform stage: ${use} ×${chain} (worker pool)`, recordBytes: t.recordBytes, eventsPerSec: Math.round(t.eventsPerSec), usPerEvent: +t.usPerEvent.toFixed(1), usPerEventPerStage: +t.usPerEventPerStage.toFixed(1) };
    results.transforms.push(row);
    console.log(`${row.scenario.padEnd(48)} ${String(row.eventsPerSec).padStart(9)} events/s  ${row.usPerEvent} µs/event, ${row.usPerEventPerStage} µs/event/stage (${row.recordBytes}-byte record)`);
  }
  console.log('');
  results.sinks = await sinkBenchmarks();
  await mkdir(join(repo, '.bench'), { recursive: true });
  await writeFile(join(repo, '.bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await rm(dir, { recursive: true, force: true });
}
