/**
 * Assembles the live Kubernetes stack from config: one API client shared by the events source,
 * the Services index (its own list+watch) and the enricher, plus the optional service change
 * records merged into the event stream. Replay sources get none of this (no cluster to ask).
 */
import type { K8streamConfig } from '../config/types.js';
import type { ResumePoint } from '../checkpoint/position.js';
import type { EventRecord } from '../record/types.js';
import { createEnricher } from '../enrich/enricher.js';
import type { Enricher } from '../enrich/enricher.js';
import { createTokenBucket } from '../enrich/rate-limit.js';
import { createServicesIndex } from '../enrich/services.js';
import type { ServicesIndex } from '../enrich/services.js';
import type { Logger } from '../util/logger.js';
import { createKubeClient } from '../kube/client.js';
import type { KubeClient } from '../kube/client.js';
import { createKubernetesSource } from './kubernetes/events-source.js';
import type { KubernetesSource } from './kubernetes/events-source.js';
import { createListWatch } from '../kube/listwatch.js';
import type { Source, SourceContext, SourceItem } from './types.js';

export interface LiveStack {
  source: Source;
  events: KubernetesSource;
  enrich: ((records: EventRecord[]) => Promise<void>) | undefined;
  enricher: Enricher | undefined;
  services: ServicesIndex | undefined;
  client: KubeClient;
}

export interface LiveStackOptions {
  dir: string;
  logger: Logger;
  /** Stops the Services watch and the lookups. */
  signal: AbortSignal;
  /** A ready client (tests); default: from `source.kubeconfig` / `source.context`. */
  client?: KubeClient;
  /** Saved resume point of the events watches (see `KubernetesSourceOptions.resume`). */
  resume?: ResumePoint;
}

export function createLiveStack(config: K8streamConfig, options: LiveStackOptions): LiveStack {
  const { logger, signal } = options;
  const client = options.client ?? createKubeClient({ kubeconfig: config.source.kubeconfig, context: config.source.context, baseDir: options.dir });
  const events = createKubernetesSource(config.source, {
    client,
    clusterName: config.cluster,
    baseDir: options.dir,
    ...(options.resume !== undefined ? { resume: options.resume } : {}),
    sortLists: config.delivery === 'at-most-once',
  });
  const e = config.enrich;
  const anyLookup = e.objects || e.owners || e.nodes || e.services;
  if (!anyLookup && !e.serviceChanges) return { source: events, events, enrich: undefined, enricher: undefined, services: undefined, client };

  const get = (path: string, s?: AbortSignal) => client.getJSON(path, {}, s ?? signal);
  const limiter = createTokenBucket({ qps: e.qps, burst: e.burst });
  let services: ServicesIndex | undefined;
  if (e.services || e.serviceChanges) {
    services = createServicesIndex({ logger: logger.child({ component: 'services' }), ...(e.serviceChanges ? { changes: { get, limiter, signal } } : {}) });
    const feed = createListWatch({ client, path: '/api/v1/services', signal, logger: logger.child({ watch: 'services' }) });
    services.run(feed, signal).catch((err: unknown) => {
      if (!signal.aborted) logger.error('services watch stopped; events are delivered without services', { error: (err as Error).message });
    });
  }
  const enricher = anyLookup
    ? createEnricher({ get, config: e, ...(e.services && services ? { services } : {}), limiter, logger: logger.child({ stage: 'enrich' }), signal })
    : undefined;
  const source: Source =
    e.serviceChanges && services
      ? { kind: 'kubernetes', stream: (ctx) => mergeStreams([events.stream(ctx), services.serviceChanges(ctx.signal)], ctx) }
      : events;
  return { source, events, enrich: enricher ? (records) => enricher.enrich(records) : undefined, enricher, services, client };
}

/**
 * Interleaves chunk streams as they produce. One pull outstanding per stream, so each keeps its
 * own backpressure. Ends when the first stream (the events) ends; throws its errors.
 */
export async function* mergeStreams(
  streams: readonly AsyncIterable<readonly SourceItem[]>[],
  ctx: SourceContext,
): AsyncGenerator<readonly SourceItem[]> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  type Next = { index: number; result: IteratorResult<readonly SourceItem[]> };
  const pending = new Map<number, Promise<Next>>();
  const pull = (index: number) => pending.set(index, iterators[index]!.next().then((result) => ({ index, result })));
  iterators.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0 && !ctx.signal.aborted) {
      const { index, result } = await Promise.race(pending.values());
      pending.delete(index);
      if (result.done) {
        if (index === 0) return;
        continue;
      }
      yield result.value;
      pull(index);
    }
  } finally {
    // Not awaited: a generator with a pull outstanding only returns once that pull settles.
    for (const it of iterators) void it.return?.()?.catch(() => {});
  }
}
