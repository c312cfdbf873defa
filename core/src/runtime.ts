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
import { createDispatcher } from './dispatch/dispatcher.js';
import { createDeadLetterWriter } from './dispatch/deadletter.js';
import type { DispatchStats, SinkDispatcher } from './dispatch/types.js';
import { createSourceFilter, createMatcher } from './filter/index.js';
import { createSource } from './source/index.js';
import { createLiveStack } from './source/live.js';
import type { KubernetesSource } from './source/kubernetes/events-source.js';
import type { Enricher } from './enrich/enricher.js';
import { createTransformStage } from './transform/stage.js';
import { runPipeline } from './pipeline.js';
import type { PipelineCounters, Route } from './pipeline.js';
import type { Logger } from './util/logger.js';

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
}

export interface RunOptions {
  logger: Logger;
  /** Aborting stops the source; sinks then flush within `shutdown.graceMs`. */
  signal: AbortSignal;
  /** Live counters after every chunk (embedders, the demo). */
  onProgress?: (counters: Readonly<PipelineCounters>) => void;
  /** Called once the pipeline is built, with the live source (null for replay) for health checks. */
  onStart?: (parts: { source: KubernetesSource | null; enricher: Enricher | null }) => void;
}

interface LiveSink {
  resolved: ResolvedSink;
  instance: SinkInstance;
  dispatcher: SinkDispatcher;
}

/** Run the configured pipeline until the source ends or the signal aborts, then shut down in order. */
export async function run(loaded: LoadedConfig, options: RunOptions): Promise<RunSummary> {
  const { config, dir } = loaded;
  const { logger, signal } = options;
  if (config.sinks.length === 0) {
    throw new K8streamError('CONFIG_INVALID', 'no sinks configured: nothing would be written', {
      path: 'sinks',
      hint: 'add a sink, e.g. `sinks: [{ use: file, config: { dir: ./out } }]`',
    });
  }
  const resolution = await resolvePlugins(loaded);
  if (resolution.errors.length > 0) throw aggregate(resolution.errors);

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
    return { resolved, instance, dispatcher };
  };

  const dlSink = await startSink(resolution.deadLetter!, null);
  const deadLetter = createDeadLetterWriter(dlSink.dispatcher);
  try {
    for (const resolved of resolution.sinks) live.push(await startSink(resolved, deadLetter));
  } catch (err) {
    await Promise.all([...live, dlSink].map((s) => s.dispatcher.close(0)));
    throw err;
  }
  for (const s of live) {
    logger.info('sink ready', { sink: s.resolved.sink.name, plugin: pluginLabel(s.resolved), destination: destinationOf(s) });
  }

  let transform: Awaited<ReturnType<typeof createTransformStage>>;
  try {
    transform = await createTransformStage(config.transforms, { configDir: dir, deadLetter, logger: logger.child({ stage: 'transform' }) });
  } catch (err) {
    await Promise.all([...live, dlSink].map((s) => s.dispatcher.close(0)));
    throw err;
  }

  const routes: Route[] = live.map((s) => ({ dispatcher: s.dispatcher, matches: createMatcher(s.resolved.sink.match) }));
  // Lookups and the Services watch outlive the source loop until the sinks have flushed.
  const lookups = new AbortController();
  const stack = config.source.type === 'kubernetes' ? createLiveStack(config, { dir, logger, signal: lookups.signal }) : null;
  const source = stack ? stack.source : createSource(config.source, { dir });
  options.onStart?.({ source: stack?.events ?? null, enricher: stack?.enricher ?? null });
  let counters: PipelineCounters;
  let failure: unknown = null;
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
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
      signal,
    );
  } catch (err) {
    failure = err;
    counters = { received: 0, invalid: 0, filtered: 0, deletedSkipped: 0, transformed: 0, unrouted: 0, routed: 0 };
  }
  await transform.close();
  lookups.abort();

  // Shutdown order: sinks flush (they may dead-letter while flushing), then the dead letter.
  const graceEnd = Date.now() + config.shutdown.graceMs;
  const closed = await Promise.all(live.map((s) => s.dispatcher.close(Math.max(0, graceEnd - Date.now()))));
  const dlClosed = await dlSink.dispatcher.close(Math.max(0, graceEnd - Date.now()));
  if (failure) throw failure;

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
