// The live-source scenarios (A–E): the API-server double in its own process → list/watch →
// filter → enrich (warm cache) → [transforms] → bench sink (file sink, gzip NDJSON, probe).
// Each runs in the calling process (run.mjs gives every scenario a fresh child process, so peak
// RSS and CPU belong to that scenario alone).
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchConfig, benchSink, floor, repo, startDouble, startPipeline, waitFor } from './harness.mjs';
import { probe } from './bench-sink.mjs';
import { afterGc, percentile, round, sampleResources, threadCpu, threadCpuPerEvent, trendMbPerMin } from './stats.mjs';
import { startProfile, summariseProfile } from './profile.mjs';

/** Transform chains of B and C (built-in modules). */
export const TRANSFORMS = {
  none: [],
  one: [{ use: 'redact' }],
  three: [
    { use: 'redact' },
    { use: 'route-tag', config: { namespaces: { payments: { team: 'payments' }, 'shop*': { team: 'shop' } }, default: { team: 'unowned' } } },
    { use: 'filter', config: { drop: { namespaces: ['nothing-matches'] } } },
  ],
};

const PROFILE_FILES = process.env.BENCH_PROFILE === '1';

/** CPU of this thread and of the whole process since `mark()`, plus a main-thread profile. */
async function measureCpu(label) {
  const prof = await startProfile(1000);
  const proc0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  const threads0 = threadCpu();
  return {
    async stop(events) {
      const proc = process.cpuUsage(proc0);
      const main = process.threadCpuUsage(main0);
      const threads = threadCpuPerEvent(threads0, threadCpu(), events);
      const profile = await prof.stop();
      if (PROFILE_FILES) {
        await mkdir(join(repo, '.bench'), { recursive: true });
        await writeFile(join(repo, '.bench', `${label}.cpuprofile`), JSON.stringify(profile));
      }
      const { usPerEventByStage, topFunctions } = summariseProfile(profile, { events });
      const mainUs = main.user + main.system;
      const offMainUs = proc.user + proc.system - mainUs;
      return {
        stagesUsPerEvent: { ...usPerEventByStage, 'off main thread (workers, zlib, fs)': round(offMainUs / events, 2) },
        mainThreadUsPerEvent: round(mainUs / events, 2),
        processCpuUsPerEvent: round((proc.user + proc.system) / events, 2),
        threadsUsPerEvent: threads,
        topFunctions,
      };
    },
  };
}

function latencySummary(p, rate, maxAgeMs) {
  return {
    rate,
    maxAgeMs,
    samples: p.latenciesMs.length,
    p50Ms: percentile(p.latenciesMs, 50),
    p99Ms: percentile(p.latenciesMs, 99),
    maxMs: p.latenciesMs.length ? Math.max(...p.latenciesMs) : null,
  };
}

/** Stamped events at `rate`/s for `seconds`, to ack; returns the latency summary. */
async function latencyPhase(api, p, pipe, { rate, seconds, maxAgeMs }) {
  const count = Math.round(rate * seconds);
  const acked0 = p.acked;
  p.latenciesMs = [];
  p.timing = true;
  await api.request({ stamped: { rate, count } });
  await waitFor(() => p.acked >= acked0 + count, `${count} stamped events acked`, { timeoutMs: 60_000, pipe });
  return latencySummary(p, rate, maxAgeMs);
}

/** The floor over the bytes the double sends (a sample of its watch lines), `events` times. */
async function floorOver(api, events) {
  const { lines } = await api.request({ sample: 20_000 });
  return floor(lines, events);
}

/**
 * A, B, C: a warm pipeline (history listed, caches warm) takes `events` watch events, to every
 * ack; then a latency phase at 1,000 events/s; then the floor.
 */
export async function watchScenario({ id, title, transforms, events, latencySeconds }) {
  const api = await startDouble();
  const out = await mkdtemp(join(tmpdir(), `k8stream-bench-${id}-`));
  try {
    const { events: history } = await api.request({ emit: 500 });
    const sinkName = `${id}-file`;
    const p = probe(sinkName);
    const pipe = startPipeline(
      benchConfig({ source: { kubeconfig: api.kubeconfig, pageSize: 500 }, transforms: TRANSFORMS[transforms], sinks: [benchSink(sinkName, join(out, 'file'))], out }),
    );
    await waitFor(() => p.acked >= history, 'history acked', { pipe });
    const acked0 = p.acked;
    // Generated before the clock starts and held back from the watch, so that in the timed window
    // the double (on the same two cores) spends only what writing the watch stream costs.
    await api.request({ prepare: events });
    const cpu = await measureCpu(id);
    const t0 = performance.now();
    const emitting = api.request({ release: true });
    await waitFor(() => p.acked >= acked0 + events, `${events} watch events acked`, {
      timeoutMs: 120_000,
      pipe,
      detail: () => ({ acked: p.acked - acked0, counters: pipe.state.progress }),
    });
    const ms = performance.now() - t0;
    const emitted = await emitting;
    const cpuStats = await cpu.stop(events);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const latency = await latencyPhase(api, p, pipe, { rate: 1000, seconds: latencySeconds, maxAgeMs: 50 });
    const summary = await pipe.stop();
    if (summary.counters.invalid > 0 || summary.deadLetter.stats.eventsSent > 0)
      throw new Error(`${id}: ${summary.counters.invalid} invalid, ${summary.deadLetter.stats.eventsSent} dead-lettered`);
    const fl = await floorOver(api, events);
    const eventsPerSec = (events / ms) * 1000;
    return {
      id,
      title,
      mode: 'pipeline in this child process; double in its own process',
      events,
      doubleEmitMs: round(emitted.ms),
      doubleEmitCpuMs: round(emitted.cpuMs),
      ms: round(ms),
      eventsPerSec: round(eventsPerSec),
      usPerEvent: round((ms * 1000) / events, 2),
      ...cpuStats,
      latency,
      peakRssMb: round(peakRssMb),
      floor: { eventsPerSec: round(fl.eventsPerSec), usPerEvent: round(fl.usPerEvent, 2) },
      ratio: round(eventsPerSec / fl.eventsPerSec, 3),
    };
  } finally {
    await api.close();
    await rm(out, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/** D: initial sync of a `events`-event list (paginated, 500 per page) to the last ack. */
export async function initialSync({ events }) {
  const api = await startDouble();
  const out = await mkdtemp(join(tmpdir(), 'k8stream-bench-D-'));
  try {
    const { events: total } = await api.request({ fill: events });
    const p = probe('D-file');
    const cpu = await measureCpu('D');
    const t0 = performance.now();
    const pipe = startPipeline(benchConfig({ source: { kubeconfig: api.kubeconfig, pageSize: 500 }, sinks: [benchSink('D-file', join(out, 'file'))], out }));
    await waitFor(() => p.acked >= total, `${total} listed events acked`, { timeoutMs: 120_000, pipe, detail: () => ({ acked: p.acked, counters: pipe.state.progress }) });
    const ms = performance.now() - t0;
    const cpuStats = await cpu.stop(total);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    await pipe.stop();
    const fl = await floorOver(api, total);
    const eventsPerSec = (total / ms) * 1000;
    return {
      id: 'D',
      title: `initial sync, ${total}-event list (paginated) → first ack of all`,
      mode: 'pipeline in this child process; double in its own process',
      events: total,
      ms: round(ms),
      eventsPerSec: round(eventsPerSec),
      usPerEvent: round((ms * 1000) / total, 2),
      ...cpuStats,
      peakRssMb: round(peakRssMb),
      floor: { eventsPerSec: round(fl.eventsPerSec), usPerEvent: round(fl.usPerEvent, 2) },
      ratio: round(eventsPerSec / fl.eventsPerSec, 3),
    };
  } finally {
    await api.close();
    await rm(out, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/**
 * E: steady `rate` events/s for `seconds` with one transform (redact) and two file sinks
 * (batch maxAgeMs 1 s): RSS every second (max, and the trend over the second half) and CPU% of one core, whole process.
 */
export async function steady({ rate, seconds }) {
  const api = await startDouble();
  const out = await mkdtemp(join(tmpdir(), 'k8stream-bench-E-'));
  try {
    const { events: history } = await api.request({ emit: 500 });
    const sinks = [benchSink('E-file-1', join(out, 'f1'), { batch: { maxAgeMs: '1s' } }), benchSink('E-file-2', join(out, 'f2'), { batch: { maxAgeMs: '1s' } })];
    const [p1, p2] = [probe('E-file-1'), probe('E-file-2')];
    const pipe = startPipeline(benchConfig({ source: { kubeconfig: api.kubeconfig, pageSize: 500 }, transforms: TRANSFORMS.one, sinks, out }));
    await waitFor(() => p1.acked >= history && p2.acked >= history, 'history acked', { pipe });
    const count = rate * seconds;
    const a1 = p1.acked;
    const a2 = p2.acked;
    p1.latenciesMs = [];
    p1.timing = true; // E reports the first sink's latency
    const res = sampleResources(1000);
    const threads0 = threadCpu();
    const window0 = performance.now();
    await api.request({ stamped: { rate, count } });
    await waitFor(() => p1.acked >= a1 + count && p2.acked >= a2 + count, 'steady events acked by both sinks', { timeoutMs: 60_000, pipe });
    const r = res.stop();
    // % of one core per thread group over the window (µs per event ÷ µs per event at 100%).
    const threads = threadCpuPerEvent(threads0, threadCpu(), (performance.now() - window0) * 10);
    const gc = afterGc();
    await pipe.stop();
    return {
      id: 'E',
      title: `steady ${rate} ev/s × ${seconds} s, redact + two file sinks`,
      mode: 'pipeline in this child process (RSS and CPU of that process, all threads); double in its own process',
      events: count,
      maxRssMb: round(r.maxRssMb, 1),
      memoryAtMax: r.atMax,
      rssSlopeMbPerMin: round(trendMbPerMin(r.samples), 2),
      cpuPercent: round(r.cpuPercent, 1),
      cpuPercentByThread: threads,
      afterGc: gc,
      latency: latencySummary(p1, rate, 1000),
      rss: r.samples.map((s) => [round(s.t, 1), round(s.v, 1)]),
    };
  } finally {
    await api.close();
    await rm(out, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
