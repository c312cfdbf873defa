// The API-server double in its own process for benchmarks, so its cost is not charged to the
// pipeline. Commands over IPC: { emit: N } → writes N simulated events, answers { emitted, rv }.
import { startApiServer, createClusterSimulation } from '@k8stream/apiserver-double';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const server = await startApiServer({ https: false, compactionWindow: 1_000_000 });
const sim = createClusterSimulation(server.store, { seed: 3 });
const kubeconfig = await server.writeKubeconfig(await mkdtemp(join(tmpdir(), 'k8stream-bench-api-')));
process.send({ ready: true, kubeconfig });
process.on('message', async (msg) => {
  if (msg.emit) {
    // In slices, so the watch streams while we write.
    let left = msg.emit;
    while (left > 0) {
      const n = Math.min(left, 2000);
      sim.emit(n);
      left -= n;
      await new Promise((r) => setImmediate(r));
    }
    process.send({ emitted: msg.emit, events: server.store.count('events') });
  }
  if (msg.fill) {
    // Until the store holds `fill` distinct events (recurrences update events in place).
    while (server.store.count('events') < msg.fill) sim.emit(Math.min(5000, msg.fill - server.store.count('events')));
    process.send({ events: server.store.count('events') });
  }
  if (msg.close) {
    await server.close();
    process.exit(0);
  }
});
