// Replay-source scenarios: R (replay → file, the original baseline) and F (memory under
// pressure: a slow sink with a disk buffer and a large backlog).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEvent } from './events.mjs';
import { benchConfig, benchSink, floor, startPipeline, waitFor } from './harness.mjs';
import { probe } from './bench-sink.mjs';
import { afterGc, peakGrowthMb, round, sampleResources, trendMbPerMin } from './stats.mjs';

/** Writes `n` watch-event lines (benchEvent) to `file`; returns the lines when `keep`. */
async function writeFixture(file, n) {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    if (!out.write(JSON.stringify({ type: 'ADDED', object: benchEvent(i) }) + '\n')) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

/** Total size of the files under `dir` (recursive), in bytes; a file renamed or deleted between the listing and its stat (the ack file's temp file, an acked segment) counts 0. */
async function duBytes(dir) {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile()) continue;
    const size = await stat(join(e.parentPath, e.name)).then(
      (s) => s.size,
      (err) => {
        if (err.code === 'ENOENT') return 0;
        throw err;
      },
    );
    total += size;
  }
  return total;
}

/** R: `events` replayed events (as fast as possible) → bench sink, to the source's end. */
export async function replayToFile({ events }) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-R-'));
  try {
    const fixture = join(dir, 'events.ndjson');
    await writeFixture(fixture, events);
    const p = probe('R-file');
    const t0 = performance.now();
    const pipe = startPipeline(
      benchConfig({ source: { type: 'replay', replay: { file: fixture } }, sinks: [benchSink('R-file', join(dir, 'out'), { batch: { maxAgeMs: '10s' } })], out: dir }),
    );
    const summary = await pipe.done;
    const ms = performance.now() - t0;
    if (p.acked !== events) throw new Error(`R: delivered ${p.acked} of ${events} (${summary.sinks[0].stats.eventsSent} sent)`);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const lines = Array.from({ length: Math.min(events, 20_000) }, (_, i) => JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
    const fl = await floor(lines, events);
    const eventsPerSec = (events / ms) * 1000;
    return {
      id: 'R',
      title: `replay ${events} events → file (gzip ndjson, 10k batches)`,
      mode: 'pipeline in this child process',
      events,
      ms: round(ms),
      eventsPerSec: round(eventsPerSec),
      usPerEvent: round((ms * 1000) / events, 2),
      peakRssMb: round(peakRssMb),
      floor: { eventsPerSec: round(fl.eventsPerSec), usPerEvent: round(fl.usPerEvent, 2) },
      ratio: round(eventsPerSec / fl.eventsPerSec, 3),
    };
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/**
 * F: `events` replayed events (a 10k-event file looped with fresh ids, as fast as possible) into a
 * slow sink (`delayMs` per 1,000-event batch) behind a disk buffer; the memory queue is bounded
 * by `queueMaxEvents`. Samples RSS every 250 ms until `events` were received; then stops (what is
 * not delivered stays on disk). Flat = the RSS trend over the second half (after warm-up) is near zero.
 */
export async function pressure({ events, delayMs = 100, queueMaxEvents = 10_000 }) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-F-'));
  try {
    const fixture = join(dir, 'events.ndjson');
    await writeFixture(fixture, 10_000);
    const bufferDir = join(dir, 'buffer');
    const p = probe('F-slow');
    const sink = benchSink('F-slow', join(dir, 'out'), {
      delayMs,
      batch: { maxEvents: 1000, maxAgeMs: '1s' },
      buffer: { type: 'disk', dir: bufferDir, maxBytes: '8GiB' },
      queue: { maxEvents: queueMaxEvents, maxBytes: '32MiB' },
    });
    const res = sampleResources(250);
    const t0 = performance.now();
    const pipe = startPipeline(benchConfig({ source: { type: 'replay', replay: { file: fixture, follow: true } }, sinks: [sink], out: dir, graceMs: '1s' }));
    await waitFor(() => pipe.state.progress.received >= events, `${events} events received`, { timeoutMs: 600_000, everyMs: 50, pipe });
    const ms = performance.now() - t0;
    const diskBytes = await duBytes(bufferDir);
    const r = res.stop();
    const gc = afterGc();
    const summary = await pipe.stop();
    const stats = summary.sinks[0].stats;
    return {
      id: 'F',
      title: `slow sink (${delayMs} ms per 1k batch), disk buffer, ${events}-event backlog`,
      mode: 'pipeline in this child process',
      events: pipe.state.progress.received,
      ms: round(ms),
      eventsPerSec: round((pipe.state.progress.received / ms) * 1000),
      acked: p.acked,
      queueMaxEvents,
      diskQueueMb: round(diskBytes / 1048576, 1),
      maxRssMb: round(r.maxRssMb, 1),
      rssSlopeMbPerMin: round(trendMbPerMin(r.samples), 2),
      rssPeakGrowthMb: round(peakGrowthMb(r.samples), 1),
      afterGc: gc,
      finalStats: { queuedEvents: stats.queuedEvents, eventsSent: stats.eventsSent, failedEvents: stats.failedEvents, disk: stats.disk ?? null },
      rss: r.samples.map((s) => [round(s.t, 1), round(s.v, 1)]),
    };
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
