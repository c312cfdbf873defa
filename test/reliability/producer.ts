/**
 * Writes new, distinct core/v1 Events into the API-server double's store — creates only, never
 * updates — so every produced record id (`uid:resourceVersion`) is one k8stream must deliver.
 */
import type { Store } from '@k8stream/apiserver-double';

export interface Producer {
  /** Every id produced so far (`uid:resourceVersion`), in order. */
  readonly ids: Set<string>;
  /** Creates `n` events at once; returns their ids. */
  burst(n: number): string[];
  /**
   * Creates events at `rate` per second (in 10 ms slices, so the watch streams meanwhile) until
   * `signal` aborts or `count` events were written; resolves with the number written.
   */
  run(options: { rate: number; count?: number; signal?: AbortSignal }): Promise<number>;
}

const REASONS = [
  ['Warning', 'BackOff', 'Back-off restarting failed container'],
  ['Normal', 'Pulled', 'Container image already present on machine'],
  ['Warning', 'Unhealthy', 'Readiness probe failed: context deadline exceeded'],
  ['Normal', 'Started', 'Started container'],
] as const;

/** A producer writing into `store` under `namespace`; `prefix` keeps names unique across producers. */
export function createProducer(store: Store, options: { namespace?: string; prefix?: string } = {}): Producer {
  const namespace = options.namespace ?? 'reliability';
  const prefix = options.prefix ?? 'ev';
  const ids = new Set<string>();
  let serial = 0;

  const createOne = (): string => {
    const i = serial++;
    const [type, reason, message] = REASONS[i % REASONS.length]!;
    const pod = `app-${i % 17}-7d9f8c6b5-x${(i % 97).toString(36)}`;
    const at = new Date(Date.UTC(2026, 10, 27, 12) + i).toISOString();
    const created = store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod}.${prefix}-${i}`, namespace },
      involvedObject: { kind: 'Pod', name: pod, namespace, apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
      reason,
      message: `${message} (${prefix} #${i})`,
      type,
      count: 1,
      source: { component: 'kubelet', host: `node-${i % 3}` },
      firstTimestamp: at,
      lastTimestamp: at,
      reportingComponent: 'kubelet',
      reportingInstance: `node-${i % 3}`,
    }) as { metadata: { uid: string; resourceVersion: string } };
    const id = `${created.metadata.uid}:${created.metadata.resourceVersion}`;
    ids.add(id);
    return id;
  };

  return {
    ids,
    burst: (n) => Array.from({ length: n }, createOne),
    async run({ rate, count = Infinity, signal }) {
      const sliceMs = 10;
      const start = performance.now();
      let written = 0;
      while (written < count && !signal?.aborted) {
        // Catch up to where the rate says we should be, then yield for one slice.
        const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        while (written < due) {
          createOne();
          written += 1;
        }
        await new Promise((r) => setTimeout(r, sliceMs));
      }
      return written;
    },
  };
}
