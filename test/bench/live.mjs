// Live-source benchmarks: the API-server double (separate process) → list/watch → filter →
// enrich (warm cache) → file sink (gzip ndjson).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../core/dist/runtime.js';
import { validateConfig } from '../../core/dist/config/index.js';
import { silentLogger } from '../../core/dist/util/logger.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

async function startDouble() {
  const child = fork(join(here, 'apiserver-proc.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = await once(child, 'message');
  const request = (m) => new Promise((resolve) => { child.once('message', resolve); child.send(m); });
  return { kubeconfig: msg.kubeconfig, request, close: async () => { child.send({ close: true }); await once(child, 'exit'); } };
}

function liveConfig(kubeconfig, out, transforms = []) {
  return validateConfig({
    cluster: 'bench',
    source: { kubeconfig, pageSize: 500 },
    transforms,
    sinks: [{ name: 'file', use: 'file', batch: { maxEvents: 10_000, maxBytes: '64MiB', maxAgeMs: '200ms' }, config: { dir: out, fsync: false } }],
    deadLetter: { use: 'file', config: { dir: join(out, 'dl') } },
  });
}

/**
 * Runs the pipeline; `drive(progress)` is called once the initial list is in (received ≥ `initial`)
 * and must resolve with the total number of events to wait for. Returns ms from `t0` to all acked.
 */
async function measure(kubeconfig, { initial, drive, transforms }) {
  const out = await mkdtemp(join(tmpdir(), 'k8stream-bench-live-'));
  const ctrl = new AbortController();
  let target = Infinity;
  let t0 = performance.now();
  let resolveDriven;
  const driven = new Promise((r) => (resolveDriven = r));
  let started = false;
  let last = 0;
  const onProgress = (c) => {
    last = c.received;
    if (!started && c.received >= initial) {
      started = true;
      resolveDriven();
    }
    if (c.received >= target) ctrl.abort();
  };
  t0 = performance.now();
  const running = run({ config: liveConfig(kubeconfig, out, transforms), filepath: null, dir: repo }, { logger: silentLogger, signal: ctrl.signal, onProgress });
  const listMs = await driven.then(() => performance.now() - t0);
  const t1 = performance.now();
  target = await drive();
  if (last >= target) ctrl.abort();
  const summary = await running;
  const ms = performance.now() - t1;
  await rm(out, { recursive: true, force: true });
  return { listMs, ms, delivered: summary.sinks[0].stats.eventsSent, received: summary.counters.received };
}

export async function liveBenchmarks({ events = 100_000 } = {}) {
  const results = [];
  // D: initial sync of a large list (paginated), to everything acked.
  {
    const api = await startDouble();
    const { events: total } = await api.request({ fill: events });
    const t0 = performance.now();
    const r = await measure(api.kubeconfig, { initial: total, drive: async () => total });
    const ms = performance.now() - t0;
    if (r.delivered !== total) throw new Error(`initial sync delivered ${r.delivered} of ${total}`);
    results.push({ scenario: `D: initial sync of a ${total}-event list → file`, events: total, ms: Math.round(ms), eventsPerSec: Math.round((total / ms) * 1000) });
    await api.close();
  }
  // A: watch stream → enrich (warm) → file. A small history warms the caches first.
  {
    const api = await startDouble();
    const { events: history } = await api.request({ emit: 500 });
    const r = await measure(api.kubeconfig, {
      initial: history,
      drive: async () => {
        await api.request({ emit: events });
        return history + events;
      },
    });
    if (r.delivered !== history + events) throw new Error(`watch delivered ${r.delivered} of ${history + events}`);
    results.push({ scenario: 'A: watch stream → enrich (warm) → file', events, ms: Math.round(r.ms), eventsPerSec: Math.round((events / r.ms) * 1000) });
    await api.close();
  }
  return results;
}
