/**
 * Assembles what a `kubernetes` source run needs from config, on one shared API client: the
 * events source, the Services index (its own list+watch), the enricher, and the optional
 * service change records merged into the event stream. Replay sources get none of this (no
 * cluster to ask). Enrichment is assembled here, in the runtime: `source/` only makes sources.
 *
 * Invariant: everything here that runs on its own (the Services watch, the lookups) stops when
 * `signal` aborts — after the pipeline has drained, not when the events stream ends.
 */
import type { K8streamConfig } from '../config/types.js';
import type { ResumePoint } from '../checkpoint/position.js';
import { createEnricher } from '../enrich/enricher.js';
import type { Enricher } from '../enrich/enricher.js';
import { createTokenBucket } from '../enrich/rate-limit.js';
import { createServicesIndex } from '../enrich/services.js';
import type { ServicesIndex } from '../enrich/services.js';
import type { KubeClient } from '../kube/client.js';
import { createListWatch } from '../kube/listwatch.js';
import { createKubernetesSource } from '../source/kubernetes/events-source.js';
import type { KubernetesSource } from '../source/kubernetes/events-source.js';
import { mergeStreams } from '../source/merge-streams.js';
import type { Source } from '../source/types.js';
import type { Logger } from '../util/logger.js';

export interface KubernetesStack {
  /** What the pipeline pulls: the events, merged with service changes when configured. */
  source: Source;
  /** The events source alone (health, metrics). */
  events: KubernetesSource;
  enricher: Enricher | undefined;
}

export interface KubernetesStackOptions {
  dir: string;
  logger: Logger;
  client: KubeClient;
  /** Stops the Services watch and the lookups. */
  signal: AbortSignal;
  /** Saved resume point of the events watches (see `KubernetesSourceOptions.resume`). */
  resume?: ResumePoint;
  /** Most events tracked per watch (the memory budget's; see `KubernetesSourceOptions.maxTracked`). */
  maxTracked?: number;
}

export function createKubernetesStack(config: K8streamConfig, options: KubernetesStackOptions): KubernetesStack {
  const { logger, signal, client } = options;
  const events = createKubernetesSource(config.source, {
    client,
    clusterName: config.cluster,
    baseDir: options.dir,
    ...(options.resume !== undefined ? { resume: options.resume } : {}),
    ...(options.maxTracked !== undefined ? { maxTracked: options.maxTracked } : {}),
    sortLists: config.delivery === 'at-most-once',
  });
  const e = config.enrich;
  const anyLookup = e.objects || e.owners || e.nodes || e.services;
  if (!anyLookup && !e.serviceChanges) return { source: events, events, enricher: undefined };

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
  const changes = e.serviceChanges ? services : undefined;
  const source: Source = changes ? { kind: 'kubernetes', stream: (ctx) => mergeStreams([events.stream(ctx), changes.serviceChanges(ctx.signal)], ctx) } : events;
  return { source, events, enricher };
}
