/**
 * Transform benchmark: µs per event and events per second through the transform stage (worker
 * pool included) for a ~1.2 KB record, a chain of one or more transforms. Used by
 * `npm run bench` and `k8stream transform bench`.
 */
import { validateConfig } from '../config/validate.js';
import type { TransformConfig } from '../config/types.js';
import type { EventRecord } from '../record/types.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { defaultPoolSize } from './pool.js';
import { createTransformStage } from './stage.js';
import type { TransformCounters } from './stage.js';

/** A transform to benchmark: a `use` reference, or a (partial) `.k8streamrc` transform entry. */
export type BenchTransform = string | ({ use: string } & Record<string, unknown>);

export interface BenchOptions {
  /** Records measured (after the warm-up). @default 20000 */
  records?: number;
  /** Transforms in the chain: the given ones repeated in turn. @default the number given */
  chain?: number;
  /** Records per `apply` call, like a pipeline chunk. @default 1000 */
  chunk?: number;
  /** Records run before measuring. @default 2000 */
  warmup?: number;
  /** The record sent through; defaults to a realistic ~1.2 KB record. */
  record?: EventRecord;
  /** Where relative `use` paths resolve. @default process.cwd() */
  configDir?: string;
  /** Worker threads. @default min(2, cores) */
  workers?: number;
  /** Records per worker message. @default DEFAULT_BATCH_SIZE (pool.ts) */
  batchSize?: number;
  logger?: Logger;
}

export interface BenchResult {
  eventsPerSec: number;
  /** Wall-clock µs per input event through the whole chain. */
  usPerEvent: number;
  /** `usPerEvent` divided by the chain length. */
  usPerEventPerStep: number;
  /**
   * CPU µs per input event spent on the calling (main) thread: what the stage costs the thread
   * that also runs the rest of the pipeline (the workers' CPU excluded). Unlike wall time, it is
   * barely affected by other processes competing for the cores.
   */
  mainThreadUsPerEvent: number;
  /** Bytes of the record's JSON. */
  recordBytes: number;
  records: number;
  chain: number;
  workers: number;
  /** Records that came out (differs from `records` when transforms drop or fan out). */
  outputs: number;
  counters: Record<string, TransformCounters>;
}

/** A ~1.2 KB `k8stream.event/v1` record like those a busy cluster produces. */
export function benchRecord(i = 0): EventRecord {
  const ns = `team-${i % 7}`;
  const app = `app-${i % 23}`;
  const pod = `${app}-7d9f8c6b5-${(i % 997).toString(36).padStart(5, 'x')}`;
  const uid = `0b7c1f2e-0000-4c1d-9e7a-${i.toString(16).padStart(12, '0')}`;
  const ts = new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + i * 10).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    schema: 'k8stream.event/v1',
    id: `${uid}:${1000 + i}`,
    cluster: 'prod-eu-1',
    uid,
    resourceVersion: String(1000 + i),
    firstTimestamp: ts,
    lastTimestamp: ts,
    eventTime: null,
    count: 3,
    type: 'Warning',
    reason: 'BackOff',
    message: `Back-off restarting failed container ${app}`,
    action: 'ADDED',
    namespace: ns,
    involvedObject: { kind: 'Pod', name: pod, namespace: ns, uid: `5f1e2d3c-0001-4a5b-8c7d-0e1f2a3b4c5d`, apiVersion: 'v1', fieldPath: `spec.containers{${app}}` },
    source: { component: 'kubelet', host: `node-${i % 50}` },
    reportingController: 'kubelet',
    reportingInstance: `node-${i % 50}`,
    apiVersion: 'v1',
    eventAction: '',
    related: null,
    series: null,
    enrichment: {
      labels: { app },
      annotations: {},
      owners: [{ kind: 'ReplicaSet', name: `${app}-7d9f8c6b5`, uid: '6a7b8c9d-0001-4e5f-8a9b-0c1d2e3f4a5b', apiVersion: 'apps/v1' }],
      workload: { kind: 'Deployment', name: app, uid: '7b8c9d0e-0001-4f5a-9b0c-1d2e3f4a5b6c', apiVersion: 'apps/v1' },
      node: { name: `node-${i % 50}`, addresses: [{ type: 'InternalIP', address: `10.0.0.${i % 50}` }] },
      pod: { ip: `10.1.${i % 50}.7`, hostIP: `10.0.0.${i % 50}`, phase: 'Running', startTime: ts },
      services: [{ name: app, namespace: ns }],
      errors: [],
    },
  };
}

/** Resolved transform configs (defaults applied, names assigned) for the benchmark's chain. */
function chainConfigs(transforms: readonly BenchTransform[], chain: number): TransformConfig[] {
  const entries = Array.from({ length: chain }, (_, i) => {
    const t = transforms[i % transforms.length]!;
    return typeof t === 'string' ? { use: t } : { ...t };
  });
  return validateConfig({ transforms: entries }).transforms;
}

/**
 * Runs `records` events through a chain built from `transforms` and measures it. Dead letters
 * are discarded; the stage is closed before returning.
 */
export async function benchTransform(transforms: readonly BenchTransform[], options: BenchOptions = {}): Promise<BenchResult> {
  if (transforms.length === 0) throw new Error('benchTransform needs at least one transform');
  const records = options.records ?? 20_000;
  const chain = options.chain ?? transforms.length;
  const chunk = Math.max(1, options.chunk ?? 1000);
  const warmup = options.warmup ?? 2000;
  const configs = chainConfigs(transforms, chain);
  const stage = await createTransformStage(configs, {
    configDir: options.configDir ?? process.cwd(),
    deadLetter: { write: async () => {} },
    logger: options.logger ?? silentLogger,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  try {
    const base = options.record ?? benchRecord();
    const batch = (n: number, offset: number): EventRecord[] => Array.from({ length: n }, (_, i) => ({ ...base, id: `${base.id}-${offset + i}` }));
    for (let done = 0; done < warmup; done += chunk) await stage.apply(batch(Math.min(chunk, warmup - done), -warmup + done));
    const warm = stage.counters();
    let outputs = 0;
    const cpu0 = process.threadCpuUsage();
    const t0 = performance.now();
    for (let done = 0; done < records; done += chunk) {
      outputs += (await stage.apply(batch(Math.min(chunk, records - done), done))).length;
    }
    const ms = performance.now() - t0;
    const cpu = process.threadCpuUsage(cpu0);
    const counters = stage.counters();
    for (const [name, c] of Object.entries(counters)) {
      const w = warm[name]!;
      // Gauges (breakerOpen) keep their value at the end.
      counters[name] = {
        ...c,
        shortCircuited: (c.shortCircuited ?? 0) - (w.shortCircuited ?? 0),
        trips: (c.trips ?? 0) - (w.trips ?? 0),
        calls: c.calls - w.calls,
        drops: c.drops - w.drops,
        fanouts: c.fanouts - w.fanouts,
        errors: c.errors - w.errors,
        timeouts: c.timeouts - w.timeouts,
        micros: c.micros - w.micros,
      };
    }
    const usPerEvent = (ms * 1000) / records;
    return {
      eventsPerSec: Math.round((records / ms) * 1000),
      usPerEvent,
      usPerEventPerStep: usPerEvent / chain,
      mainThreadUsPerEvent: (cpu.user + cpu.system) / records,
      recordBytes: Buffer.byteLength(JSON.stringify(base)),
      records,
      chain,
      workers: options.workers ?? defaultPoolSize(),
      outputs,
      counters,
    };
  } finally {
    await stage.close();
  }
}
