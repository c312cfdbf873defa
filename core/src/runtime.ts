/**
 * Runs a loaded config: resolves and validates every plugin, then runs one list of components
 * (see `runtime/lifecycle.ts`):
 *
 *   ops → leadership → resume point → dead letter → sinks → transform stage → source
 *
 * started in that order and stopped in reverse once the pipeline ends: the source stops, the
 * transform stage closes, the sinks flush (they may dead-letter while flushing), the dead letter
 * flushes, the final resume point is saved, the lease is released, ops stop last. A start that
 * fails stops what already started, in reverse. A lost lease sets the lifecycle's skip-flush
 * flag: nothing is flushed, saved or released (the resume point stops moving at once), and the
 * run fails with `LEADERSHIP_LOST`.
 */
import { K8streamError } from './errors.js';
import type { LoadedConfig } from './config/types.js';
import { createSourceFilter, createRouter } from './filter/index.js';
import { createKubeClient } from './kube/client.js';
import type { KubeClient } from './kube/client.js';
import type { KubernetesSource } from './source/kubernetes/events-source.js';
import type { Enricher } from './enrich/enricher.js';
import { runPipeline } from './pipeline.js';
import { archiveIdentity, archiveProgress, isArchiveSource } from './source/archive-source.js';
import type { ArchiveCounters } from './source/archive-source.js';
import { registerArchiveMetrics } from './ops/metrics.js';
import type { PipelineCounters } from './pipeline.js';
import type { Logger } from './util/logger.js';
import { memoryBudget } from './util/memory-limit.js';
import type { MemoryBudget } from './util/memory-limit.js';
import { createOps } from './ops/ops.js';
import type { Ops } from './ops/ops.js';
import { Lifecycle } from './runtime/lifecycle.js';
import { opsComponent } from './runtime/ops.js';
import { leadershipComponent } from './runtime/leadership.js';
import type { LeadershipComponent } from './runtime/leadership.js';
import { resumeComponent, resumeStore } from './runtime/resume.js';
import type { ResumeComponent } from './runtime/resume.js';
import { configuredSinkComponent, deadLetterComponent } from './runtime/sinks.js';
import type { DeadLetterComponent, SinkComponent } from './runtime/sinks.js';
import { transformComponent } from './runtime/transforms.js';
import type { TransformComponent } from './runtime/transforms.js';
import { sourceComponent } from './runtime/source.js';
import type { SourceComponent } from './runtime/source.js';
import { resolutionError, resolvePlugins } from './runtime/resolve.js';
import type { Resolution } from './runtime/resolve.js';
import { runSummary, standbySummary } from './runtime/summary.js';
import type { RunSummary as BaseRunSummary } from './runtime/summary.js';

export { pluginLabel, resolvePlugins } from './runtime/resolve.js';
export type { ResolvedSink, Resolution } from './runtime/resolve.js';
export type { SinkSummary } from './runtime/summary.js';
export type { ArchiveCounters } from './source/archive-source.js';

/** What a run reports when it ends (`runtime/summary.ts`), plus what the `archive` source did. */
export interface RunSummary extends BaseRunSummary {
  /** The archive source's counters (partitions, objects, records); null with another source. */
  archive: ArchiveCounters | null;
}

export interface RunOptions {
  logger: Logger;
  /** Aborting stops the source; sinks then flush within `shutdown.graceMs`. */
  signal: AbortSignal;
  /** Running counters after every chunk (embedders, the demo). */
  onProgress?: (counters: Readonly<PipelineCounters>) => void;
  /** Called once the pipeline is built, with the `kubernetes` source (null for replay) for health checks. */
  onStart?: (parts: { source: KubernetesSource | null; enricher: Enricher | null }) => void;
  /** Called once the metrics/health server listens (`server.enabled`), with its `http://host:port`. */
  onServer?: (url: string) => void;
  /**
   * Where the archive source's progress line goes (partitions, objects, records, rate), rewritten
   * in place: give a TTY only (the CLI passes stderr when it is one). Unset: no progress line.
   */
  progress?: NodeJS.WritableStream;
  /**
   * What to size from the memory limit: unset queue bounds, transform workers and their heaps.
   * @default memoryBudget(null): no limit (the CLI passes the one it read, util/memory-limit.ts)
   */
  budget?: MemoryBudget;
}

/** The components of one run, registered in `lifecycle` in start order. */
export interface RunComponents {
  lifecycle: Lifecycle;
  ops: Ops;
  leadership: LeadershipComponent | null;
  resume: ResumeComponent | null;
  deadLetter: DeadLetterComponent;
  sinks: SinkComponent[];
  transforms: TransformComponent;
  source: SourceComponent;
}

/**
 * Run the configured pipeline until the source ends or the signal aborts, then shut down in
 * reverse start order. A standby replica stopped before it led returns the standby summary.
 */
export async function run(loaded: LoadedConfig, options: RunOptions): Promise<RunSummary> {
  if (loaded.config.sinks.length === 0) {
    throw new K8streamError('CONFIG_INVALID', 'no sinks configured: nothing would be written', {
      path: 'sinks',
      hint: 'add a sink, e.g. `sinks: [{ use: file, config: { dir: ./out } }]`',
    });
  }
  const resolution = await resolvePlugins(loaded);
  const invalid = resolutionError(resolution);
  if (invalid !== null) throw invalid;
  const parts = runComponents(loaded, resolution, options);
  if (!(await parts.lifecycle.start(options.signal))) {
    await parts.lifecycle.stop(0);
    return { ...standbySummary(), archive: null };
  }
  const outcome = await stream(loaded, parts, options);
  parts.ops.setPhase('stopping');
  await parts.lifecycle.stop(loaded.config.shutdown.graceMs);
  if ('failure' in outcome) throw outcome.failure;
  if (parts.leadership?.lost.aborted) {
    throw new K8streamError('LEADERSHIP_LOST', `lost the leader lease (${parts.leadership.leadership.describe}) while streaming; stopped so the new leader can take over`, {
      path: 'leaderElection',
      hint: 'the orchestrator restarts this replica as a standby; check API server latency if this repeats (renewDeadlineMs)',
    });
  }
  const watchBookmarks = parts.source.parts.events?.counters().bookmarks ?? 0;
  return { ...runSummary(outcome.counters, parts.sinks, parts.deadLetter, parts.resume?.resume ?? null, watchBookmarks), archive: archiveCounters(parts.source) };
}

/** Creates the run's components and registers them, in start order. Nothing starts here. */
export function runComponents(loaded: LoadedConfig, resolution: Resolution, options: RunOptions): RunComponents {
  const { config, dir } = loaded;
  const { logger, signal } = options;
  const leaderElection = config.leaderElection.enabled && config.source.type === 'kubernetes';
  let leadership: LeadershipComponent | null = null;
  const ops = createOps(config, { logger, ...(leaderElection ? { leader: () => leadership?.leadership.elector.isLeader() ?? false } : {}) });
  const client = kubeClient(loaded, ops);
  const lifecycle = new Lifecycle(logger).register(opsComponent(ops, options.onServer));

  // Leadership comes first: a standby opens no sink and no watch.
  if (leaderElection && client !== null) {
    leadership = leadershipComponent(config.leaderElection, client, { logger, signal, setPhase: (p) => ops.setPhase(p) });
    leadership.lost.addEventListener('abort', () => lifecycle.skipFlush(), { once: true });
    lifecycle.register(leadership);
  }
  // A resume point belongs to an API server, or (the archive source) to the archive being replayed.
  const resumeOwner = client !== null ? client.server : config.source.type === 'archive' && config.source.archive !== null ? archiveIdentity(config.source.archive, dir) : null;
  const store = resumeOwner !== null ? resumeStore(config, dir, leadership?.leadership ?? null) : null;
  const resume = store !== null && resumeOwner !== null ? resumeComponent(store, { config, server: resumeOwner, ops, logger, signal }) : null;
  if (resume !== null) lifecycle.register(resume);
  // A lost lease: the acks still arriving must not move the point the next leader now owns.
  if (leadership !== null && resume !== null) leadership.lost.addEventListener('abort', () => resume.abandon(), { once: true });

  const budget = options.budget ?? memoryBudget(null);
  const sinkOptions = { config, dir, ops, logger, queueMaxBytes: budget.queueMaxBytes };
  const deadLetter = deadLetterComponent(resolution.deadLetter!, sinkOptions);
  lifecycle.register(deadLetter);
  const writer = () => deadLetter.writer();
  const beforeSend = () => (config.delivery === 'at-most-once' && resume !== null ? resume.resume.keeper.beforeSend : undefined);
  const sinks = resolution.sinks.map((resolved) => configuredSinkComponent(resolved, { ...sinkOptions, deadLetter: writer, beforeSend }));
  for (const sink of sinks) lifecycle.register(sink);

  const transforms = transformComponent(config, { dir, ops, logger, deadLetter: writer, workers: budget.transformWorkers, workerHeapMb: budget.workerHeapMb });
  const source = sourceComponent(config, { dir, logger, ops, client, resumeFrom: () => resume?.resume.from, maxTracked: budget.trackedEvents });
  lifecycle.register(transforms).register(source);
  if (config.source.type === 'archive') registerArchiveMetrics(ops.metrics.registry, () => archiveCounters(source));
  return { lifecycle, ops, leadership, resume, deadLetter, sinks, transforms, source };
}

/** The archive source's counters once the source component started; null before, and with another source. */
function archiveCounters(component: SourceComponent): ArchiveCounters | null {
  let source;
  try {
    source = component.parts.source;
  } catch {
    return null; // not started yet
  }
  return isArchiveSource(source) ? { ...source.counters() } : null;
}

/** Runs the pipeline over the started components until the source ends, the signal aborts or the lease is lost. */
async function stream(loaded: LoadedConfig, parts: RunComponents, options: RunOptions): Promise<{ counters: PipelineCounters } | { failure: unknown }> {
  const { config } = loaded;
  const { ops, leadership, resume } = parts;
  const { source, events, enricher } = parts.source.parts;
  const deadLetter = parts.deadLetter.writer();
  ops.setPhase('running');
  options.onStart?.({ source: events, enricher });
  const progress = options.progress !== undefined && isArchiveSource(source) ? archiveProgress(options.progress, () => source.counters()) : null;
  try {
    const counters = await runPipeline(
      {
        cluster: config.cluster,
        source,
        filter: createSourceFilter(config.source),
        ...(enricher !== null ? { enrich: (records) => enricher.enrich(records) } : {}),
        transform: parts.transforms.stage,
        sinks: parts.sinks.map((s) => s.dispatcher),
        route: createRouter(parts.sinks.map((s) => s.resolved.sink)),
        deadLetter,
        logger: options.logger,
        emitDeleted: config.source.emitDeleted,
        ...(resume !== null ? { checkpoints: resume.resume.ledger } : {}),
        onProgress: (c) => {
          ops.setPipeline(c);
          progress?.update();
          options.onProgress?.(c);
        },
      },
      leadership !== null ? AbortSignal.any([options.signal, leadership.lost]) : options.signal,
    );
    return { counters };
  } catch (failure) {
    return { failure };
  } finally {
    progress?.done();
  }
}

/** The API client of a `kubernetes` source (null for replay); its responses feed the ops metrics. */
function kubeClient(loaded: LoadedConfig, ops: Ops): KubeClient | null {
  const { source } = loaded.config;
  if (source.type !== 'kubernetes') return null;
  return createKubeClient({ kubeconfig: source.kubeconfig, context: source.context, baseDir: loaded.dir, onResponse: (r) => ops.onKubeResponse(r) });
}
