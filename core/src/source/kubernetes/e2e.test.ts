/**
 * The whole path with the live source: `.k8streamrc` (kubeconfig relative to the config file)
 * → runtime → kubernetes source → records → a sink. Records carry SYNC for the initial list,
 * recurrences arrive with their new ids, and a compaction gap arrives as a WatchGap record.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, onTestFailed } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../../../test/apiserver/src/index.js';
import { validateConfig } from '../../config/validate.js';
import type { EventRecord } from '../../record/types.js';
import { run } from '../../runtime.js';
import { createLogger } from '../../util/logger.js';

let server: ApiServerDouble | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Hook {
  records: EventRecord[];
  onBatch: () => void;
}
const g = globalThis as unknown as { __k8streamLiveE2E?: Hook };

it('streams live events through the pipeline to a sink', async () => {
  const logs: string[] = [];
  // eslint-disable-next-line prefer-const -- assigned below; the failure hook, registered first, reads it
  let hookRef: Hook | undefined;
  onTestFailed(() => console.log(logs.join('\n'), JSON.stringify(hookRef?.records.map((r) => [r.action, r.reason, r.id])))); // the debug log, on failure only
  const s = (server = await startApiServer({ https: true, token: 'e2e-token' }));
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-live-e2e-'));
  await s.writeKubeconfig(path.join(dir, 'kube'));
  await writeFile(
    path.join(dir, 'memory-sink.mjs'),
    `export default {
      name: 'memory', apiVersion: '^1.0.0',
      validate: (raw) => raw ?? {},
      create: () => ({ async send(batch) { const h = globalThis.__k8streamLiveE2E; h.records.push(...batch.records); h.onBatch(); } }),
    };\n`,
  );
  const ev = (name: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name, namespace: 'shop' },
    involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace: 'shop', apiVersion: 'v1' },
    reason: 'BackOff',
    type: 'Warning',
    message: `back-off ${name}`,
    count: 1,
    lastTimestamp: '2026-03-01T12:00:00Z',
    ...extra,
  });
  const first = s.store.create('events', ev('first'));

  const hook: Hook = { records: [], onBatch: () => {} };
  g.__k8streamLiveE2E = hook;
  hookRef = hook;
  const until = (pred: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      hook.onBatch = () => pred() && resolve();
      hook.onBatch();
    });
  const config = validateConfig({
    cluster: 'e2e',
    source: { kubeconfig: './kube/kubeconfig', types: ['Warning'] },
    sinks: [{ use: './memory-sink.mjs', batch: { maxEvents: 1, maxAgeMs: 20 } }],
    deadLetter: { config: { dir: path.join(dir, 'deadletter') } },
    log: { level: 'error' },
  });
  const stop = new AbortController();
  const running = run(
    { config, filepath: path.join(dir, '.k8streamrc'), dir },
    { logger: createLogger({ level: 'debug', write: (l) => logs.push(`${Math.round(performance.now())} ${l}`) }), signal: stop.signal },
  );

  await until(() => hook.records.length === 1);
  const recurred = s.store.patch('events', 'shop/first', { count: 2, lastTimestamp: '2026-03-01T12:05:00Z' });
  s.store.create('events', ev('normal', { type: 'Normal' })); // types: [Warning] → filtered by the server (type=Warning)
  const second = s.store.create('events', ev('second'));
  const id = (o: Record<string, unknown>): string => `${String((o['metadata'] as { uid: string }).uid)}:${String((o['metadata'] as { resourceVersion: string }).resourceVersion)}`;
  await until(() => hook.records.some((r) => r.id === id(second)));

  // A compaction gap: the watch is held back while history is compacted.
  const held = s.faults.next({ verb: 'watch' }, { type: 'delay', ms: 100 });
  s.closeWatches();
  await held.applied();
  const third = s.store.create('events', ev('third'));
  s.compact();
  await until(() => hook.records.some((r) => r.id === id(third)));
  stop.abort();
  const summary = await running;

  expect(hook.records.map((r) => [r.action, r.reason, r.id])).toEqual([
    ['SYNC', 'BackOff', id(first)],
    ['MODIFIED', 'BackOff', id(recurred)],
    ['ADDED', 'BackOff', id(second)],
    ['ADDED', 'WatchGap', expect.stringMatching(/^k8stream-gap-\d+-\d+:\d+$/)],
    ['ADDED', 'BackOff', id(third)],
  ]);
  expect(hook.records.every((r) => r.cluster === 'e2e')).toBe(true);
  expect(hook.records[1]!.count).toBe(2);
  expect(summary.counters).toMatchObject({ received: 5, invalid: 0, filtered: 0 });
  delete g.__k8streamLiveE2E;
});
