// Scenario I (issue 14, "Idle: ≤ 70 MB RSS with one sink; ≤ 90 MB with one transform"): the REAL
// binary (`node core/dist/cli/main.js run --config …`, as the image runs it) against the API-server
// double holding a few events (100), enrichment off, no memory limit. Each row waits until its
// sink has acked every event (the sink's events-sent metric), then stays idle for `idleSeconds`
// while /proc/<pid>/status VmRSS is sampled every 250 ms: the median of the last 10 samples is
// the row's idle RSS, the window's max beside it. Rows:
//   (a) one file sink; (b) one file sink + the `redact` transform (its .wasm in an Extism worker);
//   (c) one s3 sink, against fauxqs (the S3 double the sink's own tests use) in this process, so
//       it acks like (a) and the AWS SDK's cost is what differs;
//   (d) (a) with /metrics scraped every 250 ms through the idle window (no target): the binary
//       starts without optimizing compilers (cli/heap-limit.ts), this shows what it weighs once
//       some JavaScript has run hot again (here the scrapes: ~20 of them, minutes of Prometheus).
// And the breakdown: a bare `node` idling, then `node` after the binary's process set-up (the lean
// @kubernetes/client-node, cli/process-setup.js) and importing core's package entry
// (core/dist/index.js), the CLI with the run command (core/dist/cli/commands.js), and the file and
// s3 sink plugins, none of them run: what the code costs before it does anything (loaded with
// the binary's start-up flags: no optimizing compiler).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFauxqs } from 'fauxqs';
import { repo, startDouble } from './harness.mjs';
import { fileSink, freePort, K8STREAM, k8streamConfig, launch, scrape, terminate } from './footprint.mjs';
import { idleRss, metricValue, round } from './stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const EVERY_MS = 250;
const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIATESTFAUXQS000001', AWS_SECRET_ACCESS_KEY: 'test-secret-not-real-0001' };

/** Samples VmRSS (MB) of `run` every 250 ms for `seconds`; stops early if it exits. `scrapePort`: GET /metrics before each sample. */
async function idleWindow(run, seconds, scrapePort = null) {
  const values = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    await sleep(EVERY_MS);
    if (scrapePort !== null) await scrape(scrapePort);
    run.take();
    const s = run.last();
    if (s) values.push(s.rss / 1e6);
  }
  return values;
}

/** One binary row: start, wait for `total` acked by `sink`, idle, sample, SIGTERM. */
async function binaryRow({ label, api, total, workDir, sinks, transforms = [], env = {}, idleSeconds, scrapeWhileIdle = false }) {
  const dir = join(workDir, label.replace(/\W+/g, '-'));
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, '.k8streamrc.json');
  await writeFile(config, JSON.stringify(k8streamConfig({ kubeconfig: api.kubeconfig, port, sinks, transforms, out: dir }), null, 2));
  const run = launch(K8STREAM(config), { everyMs: EVERY_MS, env });
  let dead = null;
  run.exited.then((e) => (dead = e));
  try {
    let acked = 0;
    const by = performance.now() + 60_000;
    while (dead === null && performance.now() < by) {
      const text = await scrape(port);
      acked = text === null ? 0 : (metricValue(text, 'k8stream_sink_events_sent_total', sinks[0].name) ?? 0);
      if (acked >= total) break;
      await sleep(100);
    }
    const ackedS = round((performance.now() - run.t0) / 1000, 1);
    const values = dead === null ? await idleWindow(run, idleSeconds, scrapeWhileIdle ? port : null) : [];
    return {
      row: label,
      acked,
      ackedS,
      ...idleRss(values),
      peakRssMb: round(run.hwm() / 1e6, 1),
      exit: dead ? `died (${dead.signal ?? `exit ${dead.code}`})` : undefined,
      stderrTail: dead || acked < total ? run.stderr().slice(-600) : undefined,
    };
  } finally {
    if (dead === null) await terminate(run, 10_000);
  }
}

/** A bare `node` that imports `modules` (file paths; none for the bare row), then idles. */
async function importRow(label, modules, idleSeconds) {
  // As the binary does before it loads the rest of k8stream (the lean @kubernetes/client-node).
  const setup = modules.length === 0 ? '' : `(await import(${JSON.stringify(pathToFileURL(join(repo, 'core', 'dist', 'cli', 'process-setup.js')).href)})).setupProcess();`;
  const code = `${setup}${modules.map((m) => `await import(${JSON.stringify(pathToFileURL(m).href)});`).join('')}setInterval(() => {}, 1 << 30);`;
  // The binary's start-up flags (cli/heap-limit.ts): no optimizing compiler while modules load.
  const run = launch(['--max-semi-space-size=8', '--no-turbofan', '--no-maglev', '--input-type=module', '-e', code], { everyMs: EVERY_MS });
  try {
    const values = await idleWindow(run, idleSeconds);
    return { row: label, ...idleRss(values), stderrTail: run.last() === null ? run.stderr().slice(-600) : undefined };
  } finally {
    await terminate(run, 5_000);
  }
}

/** I: idle RSS of the binary with one file sink, + redact, one s3 sink; and the import breakdown. */
export async function footprintIdle({ events = 100, idleSeconds = 5 } = {}) {
  const core = (p) => join(repo, 'core', 'dist', p);
  const plugin = (name) => join(repo, 'plugins', name, 'dist', 'index.js');
  const breakdown = [];
  for (const [label, modules] of [
    ['bare node (no import)', []],
    ['+ core/dist/index.js (package entry)', [core('index.js')]],
    ['+ core/dist/cli/commands.js (the CLI)', [core('index.js'), core('cli/commands.js')]],
    ['+ sink-file plugin', [core('index.js'), core('cli/commands.js'), plugin('sink-file')]],
    ['+ sink-s3 plugin (AWS SDK)', [core('index.js'), core('cli/commands.js'), plugin('sink-file'), plugin('sink-s3')]],
  ])
    breakdown.push(await importRow(label, modules, Math.min(idleSeconds, 3)));

  const api = await startDouble();
  const s3 = await startFauxqs({ port: 0, logger: false });
  s3.createBucket('k8stream-idle');
  const workDir = join(repo, '.bench', `footprint-I-${process.pid}`);
  try {
    const { events: total } = await api.request({ fill: events });
    const common = { api, total, workDir, idleSeconds };
    const rows = [
      await binaryRow({ ...common, label: '(a) one file sink', sinks: [fileSink('I-file', join(workDir, 'a-out'))] }),
      await binaryRow({ ...common, label: '(b) one file sink + redact', sinks: [fileSink('I-file', join(workDir, 'b-out'))], transforms: [{ use: 'redact' }] }),
      await binaryRow({
        ...common,
        label: '(c) one s3 sink (fauxqs)',
        env: S3_CREDENTIALS,
        sinks: [
          {
            name: 'I-s3',
            use: 's3',
            batch: { maxAgeMs: '1s' },
            encoding: { format: 'ndjson', compression: 'gzip' },
            config: { bucket: 'k8stream-idle', region: 'us-east-1', endpoint: `http://127.0.0.1:${s3.port}`, forcePathStyle: true },
          },
        ],
      }),
      // Not a target: (a) while something keeps running JavaScript (here /metrics, every 250 ms as a
      // compressed Prometheus), V8 optimises it and the compilers' pages come back.
      await binaryRow({ ...common, label: '(d) (a), /metrics scraped every 250 ms while idle', sinks: [fileSink('I-file', join(workDir, 'd-out'))], scrapeWhileIdle: true }),
    ];
    return {
      id: 'I',
      title: `idle RSS of the real binary after ${total} events acked, ${idleSeconds} s idle (enrichment off, no memory limit)`,
      mode: `the binary in its own process; double in its own process; RSS = median of the last 10 VmRSS samples (every ${EVERY_MS} ms) of the idle window`,
      events: total,
      idleSeconds,
      rows,
      breakdown,
    };
  } finally {
    await api.close();
    await s3.stop?.();
    await rm(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const cell = (v, unit = '') => (v === null || v === undefined ? '–' : `${typeof v === 'number' ? v.toLocaleString('en-US') : v}${unit}`);

/** I's two tables. */
export function formatIdle(r) {
  const table = (head, body) => {
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (c) => '   ' + c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
    return [line(head), '   ' + widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  };
  const lines = [`${r.id}: ${r.title}`, `   ${r.mode}`];
  lines.push(
    ...table(
      ['the binary', 'acked', 'acked after', 'idle RSS (median)', 'idle max', 'peak RSS'],
      r.rows.map((x) => [x.row, `${cell(x.acked)} / ${r.events}`, cell(x.ackedS, ' s'), cell(x.medianMb, ' MB'), cell(x.maxMb, ' MB'), cell(x.peakRssMb, ' MB')]),
    ),
  );
  for (const x of r.rows)
    if (x.exit || x.stderrTail?.trim()) lines.push(`   ${x.row}: ${x.exit ?? 'not all acked'}; last stderr: ${x.stderrTail?.trim().split('\n').at(-1) ?? ''}`);
  lines.push(
    '',
    ...table(
      ['breakdown: node idling after', 'RSS (median)', 'max'],
      r.breakdown.map((x) => [x.row, cell(x.medianMb, ' MB'), cell(x.maxMb, ' MB')]),
    ),
  );
  return lines.join('\n');
}
