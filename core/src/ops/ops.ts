/**
 * The operations attachment of one run: metrics, the /metrics /healthz /readyz server and the
 * heartbeat. The runtime creates it first, starts it before anything else (so a standby
 * replica serves it too), hands it each part as it is built (sinks, source, transforms…),
 * installs its hooks, and closes it last.
 */
import { readFileSync } from 'node:fs';
import type { K8streamConfig } from '../config/types.js';
import type { DispatchStats, DispatcherOptions, ItemReceipt } from '../dispatch/types.js';
import type { PipelineCounters } from '../pipeline.js';
import type { KubernetesSource } from '../source/kubernetes/events-source.js';
import type { EnricherStats } from '../enrich/enricher.js';
import type { TransformCounters, TransformFailure } from '../transform/stage.js';
import type { Logger } from '../util/logger.js';
import { evaluateReadiness, SinkHealth } from './health.js';
import type { OpsPhase, Readiness } from './health.js';
import { startHeartbeat } from './heartbeat.js';
import type { Heartbeat } from './heartbeat.js';
import type { KubeResponseInfo } from './kube-request.js';
import { createOpsMetrics } from './metrics.js';
import type { MetricSources, OpsMetrics, TransformErrorKind } from './metrics.js';
import { startOpsServer } from './server.js';
import type { OpsServer } from './server.js';

export type OpsConfig = Pick<K8streamConfig, 'cluster' | 'server' | 'health' | 'heartbeat'> & { source: { type: string } };

export interface OpsOptions {
  logger: Logger;
  /** @default the @k8stream/core package version */
  version?: string;
  /** @default Date.now */
  now?: () => number;
  /** Set with leader election (the `k8stream_leader` gauge exists only then). */
  leader?: () => boolean;
  /** Heartbeat fetch (tests). */
  fetch?: typeof fetch;
}

export interface Ops {
  readonly metrics: OpsMetrics;
  /** `http://host:port` of the server once listening; null when disabled or it could not listen. */
  readonly url: string | null;
  /** Starts the server (if enabled) and the heartbeat (if a URL is set). Never rejects. */
  start(): Promise<void>;
  /** Stops the heartbeat and the server. */
  close(): Promise<void>;
  setPhase(phase: OpsPhase): void;
  addSink(name: string, buffer: 'memory' | 'disk', stats: () => DispatchStats): void;
  /** The pipeline's counters object, updated in place (read at scrape time). */
  setPipeline(counters: Readonly<PipelineCounters>): void;
  setSource(source: KubernetesSource | null): void;
  setEnricher(enricher: { stats(): EnricherStats } | null): void;
  setResume(stats: { readonly saves: number; readonly saveErrors: number }): void;
  setTransforms(counters: () => Record<string, TransformCounters>): void;
  readiness(): Readiness;
  /** Dispatcher options recording send duration, lag and sink health for `sink`. */
  dispatcherHooks(sink: string): Pick<DispatcherOptions, 'onSent' | 'onSendFailed'>;
  /** For the Kubernetes client's `onResponse`. */
  onKubeResponse(info: KubeResponseInfo): void;
  /** For the transform stage's `onRun`. */
  onTransformRun(transform: string, calls: number, micros: number): void;
  /** For the transform stage's `onTransformError`. */
  onTransformError(failure: TransformFailure): void;
}

/** The version of @k8stream/core. */
export function coreVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A transform failure code → the `kind` label. */
export function transformErrorKind(code: string): TransformErrorKind {
  switch (code) {
    case 'TRANSFORM_TRAP':
      return 'trap';
    case 'TRANSFORM_TIMEOUT':
      return 'timeout';
    case 'TRANSFORM_OUTPUT_INVALID':
      return 'invalid_output';
    default:
      return 'error';
  }
}

/** Seconds from each acked item's timestamp to `nowMs` (items without a parseable timestamp skipped). */
function observeLag(items: readonly ItemReceipt[], nowMs: number, observe: (seconds: number) => void): void {
  // Events of a burst share timestamps: parse each distinct one once.
  let lastText: string | null = null;
  let lastMs = Number.NaN;
  for (const item of items) {
    if (item.timestamp === null) continue;
    if (item.timestamp !== lastText) {
      lastText = item.timestamp;
      lastMs = Date.parse(lastText);
    }
    if (!Number.isNaN(lastMs)) observe(Math.max(0, (nowMs - lastMs) / 1000));
  }
}

export function createOps(config: OpsConfig, options: OpsOptions): Ops {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const version = options.version ?? coreVersion();
  const startedAt = now();
  const sinkHealth = new SinkHealth(now);
  let phase: OpsPhase = 'starting';
  let everSynced = false;
  const leader = options.leader ?? null;
  const src: MetricSources = {
    sourceType: config.source.type,
    pipeline: null,
    sinks: new Map(),
    kube: null,
    enricher: null,
    resume: null,
    transforms: null,
    leader,
    ready: () => readiness().ready,
  };
  let replayStarted = false;

  function readiness(): Readiness {
    let source: Parameters<typeof evaluateReadiness>[0]['source'] = null;
    if (src.kube !== null) {
      const s = src.kube.state();
      everSynced ||= s.synced; // `established` needs no copy: it never goes back to false
      source = { type: 'kubernetes', synced: everSynced, established: s.established, watching: s.watching, failingSince: s.failingSince, lastError: s.lastError };
    } else if (replayStarted) {
      source = { type: 'replay' };
    }
    return evaluateReadiness(
      {
        phase,
        leader: leader === null ? null : leader(),
        source,
        sinks: [...src.sinks.keys()].map((name) => ({ name, failingSince: sinkHealth.failingSince(name) })),
      },
      config.health,
      now(),
    );
  }

  const metrics = createOpsMetrics(src, { version, now });
  let server: OpsServer | null = null;
  let heartbeat: Heartbeat | null = null;
  const uptimeSeconds = () => (now() - startedAt) / 1000;

  return {
    metrics,
    get url() {
      return server?.url ?? null;
    },
    async start() {
      if (config.server.enabled) {
        server = await startOpsServer({
          host: config.server.host,
          port: config.server.port,
          logger,
          metrics: async () => ({ contentType: metrics.contentType, body: await metrics.scrape() }),
          readiness,
          uptimeSeconds,
        });
        if (server.url !== null) logger.info('serving /metrics, /healthz and /readyz', { url: server.url });
      }
      if (config.heartbeat.url !== null) {
        heartbeat = startHeartbeat({
          url: config.heartbeat.url,
          intervalMs: config.heartbeat.intervalMs,
          timeoutMs: config.heartbeat.timeoutMs,
          logger: logger.child({ component: 'heartbeat' }),
          payload: () => ({ cluster: config.cluster, version, uptimeSeconds: Math.round(uptimeSeconds()), leader: leader === null ? null : leader() }),
          onResult: (r) => metrics.heartbeat(r),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
      }
    },
    async close() {
      await heartbeat?.stop();
      await server?.close();
    },
    setPhase(p) {
      phase = p;
    },
    addSink(name, buffer, stats) {
      src.sinks.set(name, { buffer, stats });
    },
    setPipeline(counters) {
      src.pipeline = counters;
    },
    setSource(source) {
      src.kube = source;
      replayStarted = source === null;
    },
    setEnricher(enricher) {
      src.enricher = enricher;
    },
    setResume(stats) {
      src.resume = stats;
    },
    setTransforms(counters) {
      src.transforms = counters;
    },
    readiness,
    dispatcherHooks(sink) {
      return {
        onSent(info) {
          sinkHealth.ok(sink);
          metrics.sendDuration(sink, info.durationMs / 1000);
          observeLag(info.items, now(), (s) => metrics.lag(sink, s));
        },
        onSendFailed() {
          sinkHealth.failed(sink);
        },
      };
    },
    onKubeResponse: (info) => metrics.kubeResponse(info),
    onTransformRun: (transform, calls, micros) => metrics.transformCalls(transform, calls, micros / 1e6),
    onTransformError: (failure) => metrics.transformError(failure.transform, transformErrorKind(failure.code)),
  };
}
