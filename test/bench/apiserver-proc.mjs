// The API-server double in its own process for benchmarks, so its cost is not charged to the
// pipeline. Commands over IPC (each answered with one message):
//   { emit: N }                 → writes N simulated events (in slices, so the watch streams while
//                                 we write); answers { emitted, events, ms, cpuMs }.
//   { prepare: N }              → generates N simulated events now but holds them back from watches
//                                 (reads see them); answers { prepared, ms, cpuMs }.
//   { release: true }           → streams the held changes to the watches (in slices); answers
//                                 { events, ms, cpuMs }: the double's cost is then the
//                                 watch encoding and writing alone.
//   { fill: N }                 → emits until the store holds N distinct events; answers { events }.
//   { stamped: { rate, count } } → writes `count` events at `rate` events/s, each stamped with its
//                                 creation wall time in `eventTime` (ms precision), about running
//                                 simulated pods (so enrichment hits the warm cache); answers
//                                 { emitted, ms }.
//   { sample: N }               → answers { lines }: up to N stored events as watch-event JSON lines
//                                 (`{"type":"ADDED","object":…}`), the bytes the watch sends.
//   { close: true }             → closes the server and exits.
import { startApiServer, createClusterSimulation } from '@k8stream/apiserver-double';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const server = await startApiServer({ https: false, compactionWindow: 1_000_000 });
const sim = createClusterSimulation(server.store, { seed: 3 });
const kubeconfig = await server.writeKubeconfig(await mkdtemp(join(tmpdir(), 'k8stream-bench-api-')));
const running = sim.pods.filter((p) => p.nodeName !== '');
let stampedSeq = 0;

/** One event about a running pod, stamped now (ms) in `eventTime`. */
function stampedEvent() {
  const p = running[stampedSeq % running.length];
  const n = stampedSeq++;
  const now = new Date();
  const iso = now.toISOString();
  server.store.createObject('events', {
    metadata: { name: `${p.name}.bench${n.toString(16).padStart(12, '0')}`, namespace: p.namespace, creationTimestamp: iso.replace(/\.\d{3}Z$/, 'Z') },
    involvedObject: { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid, apiVersion: 'v1', fieldPath: `spec.containers{${p.container}}` },
    reason: 'Pulled',
    message: `Container image "${p.image}" already present on machine and can be accessed by the pod`,
    source: { component: 'kubelet', host: p.nodeName },
    firstTimestamp: iso.replace(/\.\d{3}Z$/, 'Z'),
    lastTimestamp: iso.replace(/\.\d{3}Z$/, 'Z'),
    eventTime: iso.replace('Z', '000Z'),
    count: 1,
    type: 'Normal',
    reportingComponent: 'kubelet',
    reportingInstance: p.nodeName,
  });
}

/** Writes `count` stamped events at `rate`/s, catching up in small bursts after timer lateness. */
async function stamped({ rate, count }) {
  const t0 = performance.now();
  let emitted = 0;
  while (emitted < count) {
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (emitted < due) {
      stampedEvent();
      emitted++;
    }
    const next = (emitted / rate) * 1000 - (performance.now() - t0);
    if (next > 0) await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next, 20))));
  }
  return performance.now() - t0;
}

/** Runs `work` and answers how long it took and how much CPU this process spent on it. */
async function measured(work) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

process.send({ ready: true, kubeconfig });
process.on('message', async (msg) => {
  if (msg.emit) {
    const cost = await measured(async () => {
      for (let left = msg.emit; left > 0; left -= 2000) {
        sim.emit(Math.min(left, 2000));
        await nextTurn();
      }
    });
    process.send({ emitted: msg.emit, events: server.store.count('events'), ...cost });
  }
  if (msg.prepare) {
    const cost = await measured(() => {
      server.store.holdNotifications();
      sim.emit(msg.prepare);
    });
    process.send({ prepared: msg.prepare, ...cost });
  }
  if (msg.release) {
    const cost = await measured(async () => {
      while (server.store.releaseHeld(2000) > 0) await nextTurn();
    });
    process.send({ events: server.store.count('events'), ...cost });
  }
  if (msg.fill) {
    // Until the store holds `fill` distinct events (recurrences update events in place).
    while (server.store.count('events') < msg.fill) sim.emit(Math.min(5000, msg.fill - server.store.count('events')));
    process.send({ events: server.store.count('events') });
  }
  if (msg.stamped) {
    const ms = await stamped(msg.stamped);
    process.send({ emitted: msg.stamped.count, ms });
  }
  if (msg.sample) {
    const { items } = server.store.list('events');
    const lines = items.slice(-msg.sample).map((object) => JSON.stringify({ type: 'ADDED', object }));
    process.send({ lines });
  }
  if (msg.close) {
    await server.close();
    process.exit(0);
  }
});
