// Shared pieces of the scenarios: the API-server double process, the pipeline config, running
// the pipeline in this process with a deadline-bounded wait for acks, and the same-run floor.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { run } from '../../core/dist/runtime.js';
import { validateConfig } from '../../core/dist/config/index.js';
import { silentLogger } from '../../core/dist/util/logger.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');
export const BENCH_SINK = join(here, 'bench-sink.mjs');
const gzipAsync = promisify(gzip);

/** Forks the API-server double (own process); `request(msg)` sends a command and awaits its answer. */
export async function startDouble() {
  const child = fork(join(here, 'apiserver-proc.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = await once(child, 'message');
  const request = (m) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(m);
    });
  return {
    kubeconfig: msg.kubeconfig,
    request,
    close: async () => {
      child.send({ close: true });
      await once(child, 'exit');
    },
  };
}

/**
 * A sink entry using the bench sink (file sink + probe): gzip NDJSON, `batch` overrides.
 * `extra` goes into the plugin config (delayMs) or the sink entry (buffer, queue).
 */
export function benchSink(name, dir, { batch = {}, delayMs = 0, buffer, queue } = {}) {
  return {
    name,
    use: BENCH_SINK,
    batch: { maxEvents: 10_000, maxBytes: '64MiB', maxAgeMs: 50, ...batch },
    encoding: { format: 'ndjson', compression: process.env.BENCH_COMPRESSION ?? 'gzip' },
    config: { dir, fsync: false, probe: name, ...(delayMs > 0 ? { delayMs } : {}) },
    ...(buffer ? { buffer } : {}),
    ...(queue ? { queue } : process.env.BENCH_QUEUE ? { queue: JSON.parse(process.env.BENCH_QUEUE) } : {}),
  };
}

/** A validated config: no metrics server, dead letter under `out`. */
export function benchConfig({ source, transforms = [], sinks, out, graceMs = '30s' }) {
  return validateConfig({
    cluster: 'bench',
    source,
    transforms,
    sinks,
    deadLetter: { use: 'file', config: { dir: join(out, 'deadletter') } },
    server: { enabled: false },
    shutdown: { graceMs },
  });
}

/**
 * Starts the pipeline in this process. Returns `{ state, stop, done }`: `state.progress` holds the
 * latest counters, `state.ended` becomes `{ error }` when the run ends (error null: it returned),
 * `stop()` aborts the source and resolves with the run summary.
 */
export function startPipeline(config) {
  const ctrl = new AbortController();
  const state = { progress: { received: 0 }, ended: null };
  const done = run({ config, filepath: null, dir: repo }, { logger: silentLogger, signal: ctrl.signal, onProgress: (c) => (state.progress = c) });
  done.then(
    () => (state.ended ??= { error: null }),
    (error) => (state.ended = { error }),
  );
  return {
    state,
    done,
    async stop() {
      ctrl.abort();
      return done;
    },
  };
}

/**
 * Polls `cond()` every `everyMs` until true; throws after `timeoutMs` with `what` and, when
 * given, `detail()` (e.g. the pipeline's counters) for diagnosis. With `pipe` (from
 * `startPipeline`), throws as soon as that pipeline ends.
 */
export async function waitFor(cond, what, { timeoutMs = 120_000, everyMs = 5, detail, pipe } = {}) {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    // A pipeline that ended (failed, or its source stopped) will never satisfy `cond`.
    const ended = pipe?.state.ended;
    if (ended) throw new Error(`the pipeline ended while waiting for ${what}: ${ended.error ? (ended.error.stack ?? ended.error) : 'it returned'}`);
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The floor: a tight loop of JSON.parse + JSON.stringify + gzip (batches of `batch`) over
 * `events` watch lines, cycling through `lines`. Returns events/s (after a short warm-up).
 */
export async function floor(lines, events, batch = 10_000) {
  const once_ = async (n) => {
    const t0 = performance.now();
    let acc = [];
    const pending = [];
    for (let i = 0; i < n; i++) {
      acc.push(JSON.stringify(JSON.parse(lines[i % lines.length]).object));
      if (acc.length === batch) {
        pending.push(gzipAsync(acc.join('\n') + '\n'));
        acc = [];
      }
    }
    if (acc.length) pending.push(gzipAsync(acc.join('\n') + '\n'));
    await Promise.all(pending);
    return performance.now() - t0;
  };
  await once_(Math.min(events, 20_000));
  const ms = await once_(events);
  return { eventsPerSec: (events / ms) * 1000, usPerEvent: (ms * 1000) / events };
}
