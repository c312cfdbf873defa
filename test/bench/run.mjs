// `npm run bench`: the performance suite of issue 8. Every scenario runs in a fresh child process
// (test/bench/child.mjs: the pipeline via `run()` from core/dist/runtime.js, in that process), so
// peak RSS and CPU belong to it alone; the API-server double runs in its own process. Prints each
// scenario, then a table with the targets, and writes .bench/results.json so runs can be compared
// (quick and BENCH_ONLY runs write results-quick.json / results-only-<ids>.json instead).
//
//   BENCH_QUICK=1    scaled-down counts (≈2 minutes)
//   BENCH_PROFILE=1  also writes .bench/<scenario>.cpuprofile and prints the top 15 functions by
//                    self time (main thread) for A–D
//   BENCH_ONLY=A,B   run only these scenarios (R A B C D E F G H I P K W L Q, plus T = transform stage, S = sinks)
//   BENCH_STEADY_SECONDS=600  H's steady window (default 120 s; the issue's 10 minutes is 600)
//   BENCH_COMPRESSION=none|zstd   the bench sinks' compression instead of gzip (what it costs)
//   BENCH_NODE_ARGS="--flag …"    extra Node flags for the scenario children (experiments)
//   BENCH_QUEUE='{"maxEvents":20000,"maxBytes":"24MiB"}'  the bench sinks' queue bound (default: the config's)
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { here, repo } from './harness.mjs';
import { evaluate, formatTable } from './targets.mjs';
import { footprintStartup, footprintSteady, formatFootprint } from './footprint.mjs';
import { footprintIdle, formatIdle } from './idle.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim().toUpperCase())) : null;
const N = QUICK ? 20_000 : 100_000;
const LATENCY_S = QUICK ? 3 : 10;
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? (QUICK ? 30 : 120));

const PLAN = [
  ['R', { events: QUICK ? 50_000 : 200_000 }],
  ['D', { events: N }],
  ['A', { events: N, latencySeconds: LATENCY_S }],
  ['B', { events: N / 2, latencySeconds: LATENCY_S }],
  ['C', { events: N / 4, latencySeconds: LATENCY_S }],
  ['E', { rate: 1000, seconds: QUICK ? 15 : 60 }],
  ['F', { events: QUICK ? 100_000 : 1_000_000, delayMs: 100, queueMaxEvents: 10_000 }],
];

/** Runs one scenario in a child process; resolves with its result. */
function runChild(name, options) {
  return new Promise((resolve, reject) => {
    // --expose-gc: E and F report heap and RSS after a full GC at the end of their window.
    const child = fork(join(here, 'child.mjs'), [name, JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--expose-gc', '--max-semi-space-size=8', ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [])],
    }); // as the image runs it
    let answer = null;
    child.on('message', (m) => (answer = m));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (answer?.result) resolve(answer.result);
      else reject(new Error(`scenario ${name} failed (exit ${code}):\n${answer?.error ?? 'no result'}`));
    });
  });
}

const fmt = (n) => (n === null || n === undefined ? '-' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

/** One scenario's lines of output. */
function describe(r) {
  const lines = [`${r.id}: ${r.title}`, `   ${r.mode}`];
  if (r.eventsPerSec !== undefined) lines.push(`   ${fmt(r.events)} events in ${fmt(r.ms)} ms: ${fmt(r.eventsPerSec)} events/s, ${r.usPerEvent ?? '-'} µs/event (wall)`);
  if (r.floor) lines.push(`   floor (parse + stringify + gzip, same bytes, same process): ${fmt(r.floor.eventsPerSec)} events/s → pipeline/floor ${(r.ratio * 100).toFixed(0)}%`);
  if (r.stagesUsPerEvent) {
    const s = Object.entries(r.stagesUsPerEvent)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`   CPU µs/event by stage (main-thread profile): ${s}`);
    lines.push(`   CPU µs/event: main thread ${r.mainThreadUsPerEvent}, whole process ${r.processCpuUsPerEvent}`);
    if (r.threadsUsPerEvent)
      lines.push(
        `   CPU µs/event by thread: ${Object.entries(r.threadsUsPerEvent)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
  }
  if (r.doubleEmitMs !== undefined)
    lines.push(
      `   (the double, in its own process, wrote the watch stream (events generated before the clock) in ${fmt(r.doubleEmitMs)} ms using ${fmt(r.doubleEmitCpuMs)} ms of CPU — on ${cpus().length} cores it competes with the pipeline)`,
    );
  if (r.latency)
    lines.push(
      `   latency at ${r.latency.rate} ev/s, batch maxAge ${r.latency.maxAgeMs} ms: p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms (${fmt(r.latency.samples)} samples)`,
    );
  if (r.peakRssMb !== undefined) lines.push(`   peak RSS ${r.peakRssMb} MB`);
  if (r.maxRssMb !== undefined)
    lines.push(
      `   max RSS ${r.maxRssMb} MB, trend over the second half ${r.rssSlopeMbPerMin} MB/min${r.rssPeakGrowthMb !== undefined ? `, peaks of the last third vs the middle third ${r.rssPeakGrowthMb >= 0 ? '+' : ''}${r.rssPeakGrowthMb} MB` : ''}, first sample ${r.rss?.[0]?.[1]} MB${r.cpuPercent !== undefined ? `, CPU ${r.cpuPercent}% of one core` : ''}`,
    );
  if (r.cpuPercentByThread)
    lines.push(
      `   CPU % of one core by thread: ${Object.entries(r.cpuPercentByThread)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (r.afterGc?.heapUsedMb != null) lines.push(`   after a full GC at the end: heap used ${r.afterGc.heapUsedMb} MB, RSS ${r.afterGc.rssMb} MB`);
  if (r.diskQueueMb !== undefined) lines.push(`   acked ${fmt(r.acked)}; memory queue bound ${fmt(r.queueMaxEvents)} events; disk queue ${r.diskQueueMb} MB when stopped`);
  if (PROFILE && r.topFunctions) {
    lines.push('   top 15 functions by self time (main thread):');
    for (const f of r.topFunctions) lines.push(`     ${String(f.ms).padStart(8)} ms ${String(f.pct).padStart(5)}%  ${f.fn}  [${f.stage}]`);
  }
  return lines.join('\n');
}

const results = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, quick: QUICK, scenarios: {} };
console.log(`k8stream bench — node ${process.version}, ${cpus().length} CPUs${QUICK ? ', BENCH_QUICK' : ''}\n`);
for (const [name, options] of PLAN) {
  if (ONLY && !ONLY.has(name)) continue;
  const r = await runChild(name, options);
  results.scenarios[name] = r;
  console.log(describe(r) + '\n');
}
// Footprint (issue 14): the real binary, in cgroup memory/CPU limits; run from this process, which
// only orchestrates (the binary, the Node client and the double each have their own process).
const FOOTPRINT = [
  ['G', () => footprintStartup({ events: N }), formatFootprint],
  ['H', () => footprintSteady({ rate: 1000, seconds: STEADY_S }), formatFootprint],
  ['I', () => footprintIdle({ events: 100, idleSeconds: 5 }), formatIdle],
  // Issue 17: each PDK's hello module per call on each kernel; the circuit breaker under a steady
  // stream; timeouts of a healthy module under CPU starvation.
  ['P', async () => (await import('./pdk-calls.mjs')).pdkCalls(), async (r) => (await import('./pdk-calls.mjs')).formatPdkCalls(r).join('\n')],
  ['K', async () => (await import('./breaker.mjs')).breakerScenario({ seconds: QUICK ? 5 : 10 }), async (r) => (await import('./breaker.mjs')).formatBreaker(r).join('\n')],
  [
    'W',
    async () => (await import('./breaker.mjs')).timeoutStarvation({ records: QUICK ? 5_000 : 20_000 }),
    async (r) => (await import('./breaker.mjs')).formatStarvation(r).join('\n'),
  ],
  // Issue 18: timeline and query over a day's archive of 1M events (generated once under .bench/).
  ['L', async () => (await import('./timeline.mjs')).timelineScenario({ records: QUICK ? 200_000 : 1_000_000 }), async (r) => (await import('./timeline.mjs')).formatTimeline(r)],
  // Issue 19: Parquet batches vs gzip NDJSON, CPU and bytes per event; DuckDB's count by reason over 1M archived events in each.
  [
    'Q',
    async () => (await import('./parquet.mjs')).parquetScenario({ records: QUICK ? 50_000 : 200_000, queryRecords: QUICK ? 200_000 : 1_000_000 }),
    async (r) => (await import('./parquet.mjs')).formatParquet(r),
  ],
  // Issue 20: events/s through the hand-offs: the HTTP sink's OTLP body (protobuf/JSON, gzip), and
  // the NATS sink in the real pipeline into a local nats-server, per record and per batch.
  ['O', async () => (await import('./otlp.mjs')).otlpScenario({ reps: QUICK ? 0.2 : 1 }), async (r) => (await import('./otlp.mjs')).formatOtlp(r)],
  ['N', async () => (await import('./nats.mjs')).natsScenario({ records: QUICK ? 20_000 : 100_000 }), async (r) => (await import('./nats.mjs')).formatNats(r).join('\n')],
];
for (const [name, scenario, format] of FOOTPRINT) {
  if (ONLY && !ONLY.has(name)) continue;
  const r = await scenario();
  results.scenarios[name] = r;
  console.log((await format(r)) + '\n');
}
if (!ONLY || ONLY.has('T')) {
  // The transform stage alone (worker pool), as before: one built-in, a chain of three.
  const { benchTransform } = await import('../../core/dist/transform/bench.js');
  results.transforms = [];
  for (const [use, chain] of [
    ['redact', 1],
    ['redact', 3],
    ['filter', 1],
  ]) {
    const t = await benchTransform([{ use, config: use === 'filter' ? { drop: { namespaces: ['nothing-matches'] } } : {} }], {
      records: QUICK ? 5_000 : 20_000,
      chain,
      configDir: repo,
    });
    const row = {
      scenario: `${use} ×${chain}`,
      recordBytes: t.recordBytes,
      eventsPerSec: Math.round(t.eventsPerSec),
      usPerEvent: +t.usPerEvent.toFixed(1),
      usPerEventPerStep: +t.usPerEventPerStep.toFixed(1),
      mainThreadUsPerEvent: +t.mainThreadUsPerEvent.toFixed(1),
    };
    results.transforms.push(row);
    console.log(
      `T: transform stage ${row.scenario.padEnd(10)} ${fmt(row.eventsPerSec).padStart(8)} events/s, ${row.usPerEvent} µs/event, ${row.usPerEventPerStep} µs/event/step, main thread ${row.mainThreadUsPerEvent} µs/event (${row.recordBytes}-byte record)`,
    );
  }
  console.log('');
}
if (!ONLY || ONLY.has('S')) {
  process.env.BENCH_SINK_REPS ??= QUICK ? '0.2' : '1'; // read when sinks.mjs loads
  const { sinkBenchmarks } = await import('./sinks.mjs');
  results.sinks = await sinkBenchmarks();
  console.log('');
}
results.targets = evaluate(results.scenarios);
console.log(formatTable(results.targets, { quick: QUICK }));
await mkdir(join(repo, '.bench'), { recursive: true });
// Full runs go to results.json (the file to compare); partial and quick runs do not overwrite it.
const file = ONLY ? `results-only-${[...ONLY].join('')}.json` : QUICK ? 'results-quick.json' : 'results.json';
await writeFile(join(repo, '.bench', file), JSON.stringify(results, null, 2) + '\n');
console.log(`\nresults: .bench/${file}`);
