/**
 * Builds a runnable pipeline from a loaded config: resolves and validates every plugin,
 * creates sink instances and their dispatchers, the dead-letter destination, the source and
 * filters, then runs and shuts down in order (source stops → sinks flush → dead letter flushes).
 */
import { join, resolve } from 'node:path';
import { K8streamError, errorMessage } from './errors.js';
import { DEFAULT_BATCH, DEFAULT_ENCODING } from './config/types.js';
import type { LoadedConfig, SinkConfig } from './config/types.js';
import type { SinkDefinition, SinkInstance } from './plugins/api.js';
import { loadSinkPlugin, validateSinkConfig } from './plugins/loader.js';
import { createDispatcher, emptyDispatchStats } from './dispatch/dispatcher.js';
import { createDeadLetterWriter } from './dispatch/deadletter.js';
import type { DispatchStats, SinkDispatcher } from './dispatch/types.js';
import { createSourceFilter, createMatcher } from './filter/index.js';
import { createSource } from './source/index.js';
import { createLiveStack } from './source/live.js';
import { createKubeClient } from './kube/client.js';
import { createFileStateStore, createLeaseStateStore } from './checkpoint/state-store.js';
import { createLeadership } from './leader/leadership.js';
import type { Leadership } from './leader/leadership.js';
import { openResume } from './checkpoint/resume.js';
import type { Resume } from './checkpoint/resume.js';
import type { ResumePoint } from './checkpoint/position.js';
import type { KubernetesSource } from './source/kubernetes/events-source.js';
import type { Enricher } from './enrich/enricher.js';
import { createTransformStage } from './transform/stage.js';
import { emptyPipelineCounters, runPipeline } from './pipeline.js';
import type { PipelineCounters, Route } from './pipeline.js';
import type { Logger } from './util/logger.js';
import { createOps } from './ops/ops.js';
import type { Ops } from './ops/ops.js';

/** A sink whose plugin was found and whose config validated; nothing created yet. */
export interface ResolvedSink {
  /** `sinks[i]` or `deadLetter`. */
  path: string;
  sink: SinkConfig;
  definition: SinkDefinition<unknown>;
  config: unknown;
  packageName: string;
  version: string | null;
}

export interface Resolution {
  sinks: ResolvedSink[];
  deadLetter: ResolvedSink | null;
  /** Every problem found, each naming its sink. */
  errors: K8streamError[];
}

/** Resolve every plugin and validate every plugin config, collecting all errors. No side effects. */
export async function resolvePlugins(loaded: LoadedConfig): Promise<Resolution> {
  const { config, dir } = loaded;
  const errors: K8streamError[] = [];
  const resolveOne = async (path: string, sink: SinkConfig): Promise<ResolvedSink | null> => {
    try {
      const plugin = await loadSinkPlugin(sink.use, { configDir: dir });
      const validated = validateSinkConfig(plugin.definition, sink.config, sink.name, path);
      return { path, sink, definition: plugin.definition, config: validated, packageName: plugin.packageName, version: plugin.version };
    } catch (err) {
      errors.push(asK8streamError(err, path));
      return null;
    }
  };
  const sinks = await Promise.all(config.sinks.map((s, i) => resolveOne(`sinks[${i}]`, s)));
  const dl = config.deadLetter;
  const deadLetter = await resolveOne('deadLetter', {
    name: 'deadletter',
    use: dl.use,
    config: dl.config,
    encoding: dl.encoding,
    batch: { maxEvents: 1000, maxAgeMs: 1000 },
    match: { namespaces: [], excludeNamespaces: [], types: [], reasons: [], kinds: [] },
    timeoutMs: 30_000,
    retry: { maxAttempts: null, initialBackoffMs: 500, maxBackoffMs: 30_000 },
    queue: { maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 },
  });
  return { sinks: sinks.filter((s): s is ResolvedSink => s !== null), deadLetter, errors };
}

export interface SinkSummary {
  name: string;
  destination: string;
  stats: DispatchStats;
  flushed: boolean;
  /** Undelivered events wait in a disk buffer for the next start (nothing is lost). */
  diskBuffered: boolean;
}

export interface RunSummary {
  counters: PipelineCounters;
  sinks: SinkSummary[];
  deadLetter: SinkSummary;
  /** With leader election: false when this replica stopped while on standby (it never streamed). */
  led: boolean;
  /** The resume state, when one is kept (`state.dir` or leader election). */
  resume: { store: string; from: ResumePoint; saved: ResumePoint | null; saveErrors: number } | null;
}

export interface RunOptions {
  logger: Logger;
  /** Aborting stops the source; sinks then flush within `shutdown.graceMs`. */
  signal: AbortSignal;
  /** Live counters after every chunk (embedders, the demo). */
  onProgress?: (counters: Readonly<PipelineCounters>) => void;
  /** Called once the pipeline is built, with the live source (null for replay) for health checks. */
  onStart?: (parts: { source: KubernetesSource | null; enricher: Enricher | null }) => void;
  /** Called once the metrics/health server listens (`server.enabled`), with its `http://host:port`. */
  onServer?: (url: string) => void;
}

interface LiveSink {
  resolved: ResolvedSink;
  instance: SinkInstance;
  dispatcher: SinkDispatcher;
}

/**
 * Run the configured pipeline until the source ends or the signal aborts, then shut down in order.
 * The metrics/health server (`server`) and the heartbeat start first — a standby replica serves
 * them too (ready, `leader: false`) — and stop last, after the final flush.
 */
export async function run(loaded: LoadedConfig, options: RunOptions): Promise<RunSummary> {
  const { config } = loaded;
  if (config.sinks.length === 0) {
    throw new K8streamError('CONFIG_INVALID', 'no sinks configured: nothing would be written', {
      path: 'sinks',
      hint: 'add a sink, e.g. `sinks: [{ use: file, config: { dir: ./out } }]`',
    });
  }
  let leading: () => boolean = () => false;
  const ops = createOps(config, {
    logger: options.logger,
    ...(config.leaderElection.enabled && config.source.type === 'kubernetes' ? { leader: () => leading() } : {}),
  });
  await ops.start();
  if (ops.url !== null) options.onServer?.(ops.url);
  try {
    return await runWithOps(loaded, options, ops, (fn) => {
      leading = fn;
    });
  } finally {
    ops.setPhase('stopping');
    await ops.close();
  }
}

async function runWithOps(loaded: LoadedConfig, options: RunOptions, ops: Ops, setLeader: (fn: () => boolean) => void): Promise<RunSummary> {
  const { config, dir } = loaded;
  const { logger, signal } = options;
  const resolution = await resolvePlugins(loaded);
  if (resolution.errors.length > 0) throw aggregate(resolution.errors);

  // Leadership comes first: a standby opens no sink and no watch.
  const client =
    config.source.type === 'kubernetes'
      ? createKubeClient({ kubeconfig: config.source.kubeconfig, context: config.source.context, baseDir: dir, onResponse: (r) => ops.onKubeResponse(r) })
      : null;
  const election = new AbortController();
  const lost = new AbortController();
  let leadership: Leadership | null = null;
  let electing: Promise<void> | null = null;
  let releasing = false;
  if (config.leaderElection.enabled && client !== null) {
    leadership = createLeadership(config.leaderElection, client, logger);
    const l = leadership;
    setLeader(() => l.elector.isLeader());
    electing = l.elector.run(election.signal);
    ops.setPhase('standby');
    logger.info('standby: waiting for the leader lease', { lease: l.describe, identity: l.identity });
    const led = await Promise.race([
      l.elector.whenLeading(signal).then(
        () => true,
        () => false,
      ),
      electing.then(() => false),
    ]).catch((err: unknown) => {
      throw err instanceof K8streamError ? err : new K8streamError('KUBE_API_FAILED', `leader election failed: ${errorMessage(err)}`, { path: 'leaderElection', cause: err });
    });
    if (!led) {
      election.abort();
      await electing.catch(() => undefined);
      logger.info('stopped while on standby', { lease: l.describe });
      return standbySummary();
    }
    logger.info('leading: this replica streams', { lease: l.describe, identity: l.identity });
    ops.setPhase('starting');
    l.elector.onChange((leading) => {
      if (!leading && !releasing) lost.abort();
    });
    electing.catch((err: unknown) => {
      if (!releasing) logger.error('leader election stopped', { error: errorMessage(err) });
      lost.abort();
    });
  }

  // The resume point: in the Lease with leader election, else in state.dir.
  let resume: Resume | null = null;
  if (client !== null) {
    const store = leadership
      ? createLeaseStateStore({
          describe: leadership.describe,
          readState: (s) => leadership.elector.readState(s),
          writeState: (v, s) => leadership.elector.writeState(v, s),
        })
      : config.state.dir !== null
        ? createFileStateStore(resolve(dir, config.state.dir))
        : null;
    if (store !== null) {
      try {
        resume = await openResume({ store, delivery: config.delivery, server: client.server, intervalMs: config.state.saveIntervalMs, logger, signal });
      } catch (err) {
        await stepDown();
        throw err;
      }
    }
  }
  if (resume !== null) ops.setResume(resume.keeper.stats);
  const beforeSend = config.delivery === 'at-most-once' && resume !== null ? resume.keeper.beforeSend : undefined;

  /** Stops the election; releases the lease (after the final save) unless it was lost. */
  async function stepDown(): Promise<void> {
    if (leadership === null) return;
    releasing = true;
    if (lost.signal.aborted) {
      election.abort();
      await electing?.catch(() => undefined);
      return;
    }
    try {
      await leadership.elector.release();
      logger.info('lease released', { lease: leadership.describe });
    } catch (err) {
      logger.warn('could not release the lease; the next leader waits for it to expire', { lease: leadership.describe, error: errorMessage(err) });
    }
    election.abort();
    await electing?.catch(() => undefined);
  }

  const live: LiveSink[] = [];
  const startSink = async (resolved: ResolvedSink, deadLetter: ReturnType<typeof createDeadLetterWriter> | null): Promise<LiveSink> => {
    const { sink, definition } = resolved;
    const sinkLogger = logger.child({ sink: sink.name });
    let instance: SinkInstance;
    try {
      instance = await definition.create(resolved.config, { name: sink.name, cluster: config.cluster, logger: sinkLogger, configDir: dir });
      await instance.healthcheck?.();
    } catch (err) {
      throw asK8streamError(err, `${resolved.path} (${sink.name})`, 'SINK_UNHEALTHY');
    }
    const dispatcher = createDispatcher({
      name: sink.name,
      cluster: config.cluster,
      sink: instance,
      batch: { ...DEFAULT_BATCH, ...definition.defaults?.batch, ...sink.batch },
      encoding: { ...DEFAULT_ENCODING, ...definition.defaults?.encoding, ...sink.encoding },
      timeoutMs: sink.timeoutMs,
      retry: sink.retry,
      queue: sink.queue,
      logger: sinkLogger,
      deadLetter,
      ...ops.dispatcherHooks(sink.name),
      ...(deadLetter !== null && beforeSend !== undefined ? { beforeSend } : {}),
      buffer:
        sink.buffer?.type === 'disk'
          ? {
              type: 'disk',
              dir: resolve(dir, sink.buffer.dir ?? join('k8stream-buffer', sink.name)),
              maxBytes: sink.buffer.maxBytes,
              fsync: sink.buffer.fsync === 'always' ? 'always' : { intervalMs: sink.buffer.fsync },
              overflow: sink.buffer.overflow,
            }
          : { type: 'memory' },
    });
    try {
      await dispatcher.opened();
    } catch (err) {
      await dispatcher.close(0);
      throw err;
    }
    ops.addSink(sink.name, sink.buffer?.type === 'disk' ? 'disk' : 'memory', () => dispatcher.stats());
    return { resolved, instance, dispatcher };
  };

  let dlSink: LiveSink;
  try {
    dlSink = await startSink(resolution.deadLetter!, null);
  } catch (err) {
    await stepDown();
    throw err;
  }
  const deadLetter = createDeadLetterWriter(dlSink.dispatcher);
  try {
    for (const resolved of resolution.sinks) live.push(await startSink(resolved, deadLetter));
  } catch (err) {
    await Promise.all([...live, dlSink].map((s) => s.dispatcher.close(0)));
    await stepDown();
    throw err;
  }
  for (const s of live) {
    logger.info('sink ready', { sink: s.resolved.sink.name, plugin: pluginLabel(s.resolved), destination: destinationOf(s) });
  }

  let transform: Awaited<ReturnType<typeof createTransformStage>>;
  try {
    transform = await createTransformStage(config.transforms, {
      configDir: dir,
      deadLetter,
      logger: logger.child({ stage: 'transform' }),
      onTransformError: (f) => ops.onTransformError(f),
      onRun: (t, calls, micros) => ops.onTransformRun(t, calls, micros),
    });
  } catch (err) {
    await Promise.all([...live, dlSink].map((s) => s.dispatcher.close(0)));
    await stepDown();
    throw err;
  }

  const routes: Route[] = live.map((s) => ({ dispatcher: s.dispatcher, matches: createMatcher(s.resolved.sink.match) }));
  // Lookups and the Services watch outlive the source loop until the sinks have flushed.
  const lookups = new AbortController();
  const stack =
    client !== null ? createLiveStack(config, { dir, logger, signal: lookups.signal, client, ...(resume !== null ? { resume: resume.from } : {}) }) : null;
  const source = stack ? stack.source : createSource(config.source, { dir });
  const t = transform;
  ops.setTransforms(() => t.counters());
  ops.setSource(stack?.events ?? null);
  ops.setEnricher(stack?.enricher ?? null);
  ops.setPhase('running');
  options.onStart?.({ source: stack?.events ?? null, enricher: stack?.enricher ?? null });
  let counters: PipelineCounters;
  let failure: unknown = null;
  resume?.keeper.start();
  try {
    counters = await runPipeline(
      {
        cluster: config.cluster,
        source,
        filter: createSourceFilter(config.source),
        ...(stack?.enrich ? { enrich: stack.enrich } : {}),
        transform,
        routes,
        deadLetter,
        logger,
        emitDeleted: config.source.emitDeleted,
        ...(resume !== null ? { checkpoints: resume.tracker } : {}),
        onProgress: (c) => {
          ops.setPipeline(c);
          options.onProgress?.(c);
        },
      },
      leadership !== null ? AbortSignal.any([signal, lost.signal]) : signal,
    );
  } catch (err) {
    failure = err;
    counters = emptyPipelineCounters();
  }
  ops.setPhase('stopping');
  await transform.close();
  lookups.abort();

  // Shutdown order: sinks flush (they may dead-letter while flushing), then the dead letter,
  // then the resume point is saved, then the lease is released. A replica that lost the lease
  // stops sending at once instead: the new leader re-sends what was not acked.
  const graceEnd = lost.signal.aborted ? Date.now() : Date.now() + config.shutdown.graceMs;
  const closed = await Promise.all(live.map((s) => s.dispatcher.close(Math.max(0, graceEnd - Date.now()))));
  const dlClosed = await dlSink.dispatcher.close(Math.max(0, graceEnd - Date.now()));
  if (resume !== null && !lost.signal.aborted) {
    try {
      await resume.keeper.finish();
    } catch (err) {
      logger.error('could not save the final resume point', { state: resume.store.describe, error: errorMessage(err) });
    }
  }
  await stepDown();
  if (failure) throw failure;
  if (lost.signal.aborted) {
    throw new K8streamError('LEADERSHIP_LOST', `lost the leader lease (${leadership?.describe ?? 'lease'}) while streaming; stopped so the new leader can take over`, {
      path: 'leaderElection',
      hint: 'the orchestrator restarts this replica as a standby; check API server latency if this repeats (renewDeadlineMs)',
    });
  }

  const summarise = (s: LiveSink, flushed: boolean): SinkSummary => ({
    name: s.resolved.sink.name,
    destination: destinationOf(s),
    stats: s.dispatcher.stats(),
    flushed,
    diskBuffered: s.resolved.sink.buffer?.type === 'disk',
  });
  return {
    counters,
    sinks: live.map((s, i) => summarise(s, closed[i]?.flushed ?? false)),
    deadLetter: summarise(dlSink, dlClosed.flushed),
    led: true,
    resume:
      resume === null
        ? null
        : { store: resume.store.describe, from: resume.from, saved: resume.keeper.stats.saved, saveErrors: resume.keeper.stats.saveErrors },
  };
}


/** What a replica that never led reports. */
function standbySummary(): RunSummary {
  const none: SinkSummary = { name: 'deadletter', destination: '(standby)', stats: emptyDispatchStats(), flushed: true, diskBuffered: false };
  return {
    counters: emptyPipelineCounters(),
    sinks: [],
    deadLetter: none,
    led: false,
    resume: null,
  };
}

export function pluginLabel(r: ResolvedSink): string {
  return r.version ? `${r.packageName}@${r.version}` : r.packageName;
}

function destinationOf(s: LiveSink): string {
  try {
    return s.instance.describe?.() ?? s.resolved.packageName;
  } catch {
    return s.resolved.packageName;
  }
}

function asK8streamError(err: unknown, where: string, code: 'PLUGIN_LOAD_FAILED' | 'SINK_UNHEALTHY' = 'PLUGIN_LOAD_FAILED'): K8streamError {
  if (err instanceof K8streamError) return err;
  return new K8streamError(code, `${where}: ${errorMessage(err)}`, { path: where, cause: err });
}

function aggregate(errors: K8streamError[]): K8streamError {
  if (errors.length === 1) return errors[0]!;
  const first = errors[0]!;
  return new K8streamError(first.code, errors.map((e) => e.toUserString()).join('\n'), { cause: errors });
}
