// Small helpers for the benchmark suite: percentiles, trend slope, resource sampling, CPU per thread.
import { readdirSync, readFileSync } from 'node:fs';

/** The p-th percentile (0–100) of `values` by nearest rank; null for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Least-squares slope of `points` ([{ t, v }], t in seconds) in v-units per second, or null
 * with fewer than two points. Used for "RSS stays flat": a slope near 0 MB/s after warm-up.
 */
export function slope(points) {
  const n = points.length;
  if (n < 2) return null;
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Samples this process's RSS (MB) every `intervalMs` until `stop()`, which returns the samples
 * ([{ t: seconds since start, v: MB }]), their maximum, the main thread's memory at that maximum
 * (`atMax`: V8 heap committed and used, external, array buffers, MB: what the peak is made of;
 * the rest of RSS is code, worker threads and native memory), and the CPU% of one core over the
 * window (user + system of every thread of the process, divided by wall time).
 */
export function sampleResources(intervalMs = 1000) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const samples = [];
  let atMax = null;
  const take = () => {
    const m = process.memoryUsage();
    const v = m.rss / 1048576;
    samples.push({ t: (performance.now() - t0) / 1000, v });
    if (atMax === null || v > atMax.rssMb) {
      const mb = (x) => round(x / 1048576, 1);
      atMax = { rssMb: round(v, 1), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return {
        samples,
        maxRssMb: Math.max(...samples.map((s) => s.v)),
        atMax,
        cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        wallMs,
      };
    },
  };
}

/**
 * The RSS trend "after warm-up": the slope (MB/min) over the second half of the samples, where
 * heap growth from start-up has settled. Null with fewer than four samples.
 */
export function trendMbPerMin(samples) {
  if (samples.length < 4) return null;
  const half = samples[samples.length - 1].t / 2;
  return slope(samples.filter((s) => s.t >= half)) * 60;
}

/**
 * Growth of the RSS peaks (MB): the highest sample of the last third of the window minus the
 * highest of the middle third. Memory that is bounded but saw-tooths with garbage collection
 * gives about 0; a leak gives its growth over a third of the run. (A least-squares slope over a
 * short window mostly measures where the saw-tooth happens to stop.) Null with too few samples.
 */
export function peakGrowthMb(samples) {
  if (samples.length < 6) return null;
  const end = samples[samples.length - 1].t;
  const maxOf = (from, to) => Math.max(...samples.filter((s) => s.t >= from && s.t < to).map((s) => s.v));
  return maxOf((2 * end) / 3, end + 1) - maxOf(end / 3, (2 * end) / 3);
}

/**
 * Heap and RSS (MB) after a full GC (the child runs with --expose-gc): tells retained memory
 * from heap that V8 simply has not collected yet. Nulls without `gc`.
 */
export function afterGc() {
  if (typeof globalThis.gc !== 'function') return { heapUsedMb: null, rssMb: null };
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsedMb: round(m.heapUsed / 1048576, 1), rssMb: round(m.rss / 1048576, 1) };
}

/** Rounds to `digits` decimals (keeps JSON results readable). */
export function round(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Thread name (Linux /proc/<pid>/task/<tid>/comm) → what it does in a k8stream process. */
function threadGroup(name) {
  if (name === 'MainThread' || name === 'node') return 'main';
  if (/^V8/.test(name)) return 'V8 (GC, compiler)';
  if (name === 'libuv-worker') return 'libuv pool (zlib, fs)';
  if (/Worker|worker/.test(name)) return 'worker threads (transforms)';
  return 'other';
}

/**
 * CPU time (µs) of this process's threads, summed by what they do (see threadGroup), read from
 * /proc (clock ticks, usually 10 ms). Null where /proc is not there. Subtract two readings to
 * get a window's.
 * @returns {Record<string, number> | null}
 */
export function threadCpu() {
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const usPerTick = 1e6 / 100; // USER_HZ is 100 on Linux
  const out = {};
  for (const tid of tasks) {
    let stat;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const us = (Number(fields[11]) + Number(fields[12])) * usPerTick; // utime + stime
    const g = threadGroup(name);
    out[g] = (out[g] ?? 0) + us;
  }
  return out;
}

/** `after − before` per group, as µs per event (groups with nothing left out). */
export function threadCpuPerEvent(before, after, events) {
  if (before === null || after === null) return null;
  const out = {};
  for (const [g, us] of Object.entries(after)) {
    const d = us - (before[g] ?? 0);
    if (d > 0) out[g] = round(d / events, 2);
  }
  return out;
}

/** Prometheus text → the value of `name{sink="<sink>"}` (0 when absent). */
export function metricValue(text, name, sink) {
  const m = new RegExp(`^${name}\\{[^}]*sink="${sink}"[^}]*\\}\\s+(\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** The `le` → cumulative count pairs of histogram `name` for `sink`. */
export function histogramBuckets(text, name, sink) {
  const out = [];
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const m of text.matchAll(re)) {
    if (!m[1].includes(`sink="${sink}"`)) continue;
    const le = /le="([^"]+)"/.exec(m[1])?.[1];
    if (le !== undefined) out.push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(m[2]) });
  }
  return out.sort((a, b) => a.le - b.le);
}

/**
 * The p-th percentile (as the upper bound of its bucket) of what a histogram counted between two
 * scrapes; null with no observations in between.
 */
export function bucketPercentile(before, after, p) {
  const base = new Map(before.map((b) => [b.le, b.count]));
  const delta = after.map((b) => ({ le: b.le, count: b.count - (base.get(b.le) ?? 0) }));
  const total = delta.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  return delta.find((b) => b.count >= (p / 100) * total)?.le ?? null;
}

/**
 * Scenario I's reading of an idle window of RSS samples (MB, in time order): the median of the
 * last `lastN` samples (a GC or a timer firing can move one sample; the median does not follow
 * it) and the maximum over the whole window. Nulls for an empty window.
 */
export function idleRss(samplesMb, lastN = 10) {
  if (samplesMb.length === 0) return { medianMb: null, maxMb: null, samples: 0 };
  const tail = samplesMb.slice(-lastN).sort((a, b) => a - b);
  const mid = tail.length >> 1;
  const median = tail.length % 2 === 1 ? tail[mid] : (tail[mid - 1] + tail[mid]) / 2;
  return { medianMb: round(median, 1), maxMb: round(Math.max(...samplesMb), 1), samples: samplesMb.length };
}
