/**
 * Sink components: the dead-letter sink and each configured sink, each a plugin instance behind
 * its own dispatcher.
 *
 * Invariants:
 * - start creates the instance, runs its healthcheck, then opens the dispatcher (its disk
 *   buffer); when opening fails, the dispatcher is closed before the start rejects.
 * - The configured sinks form one group: they start one after the other and stop concurrently,
 *   sharing the deadline, before the dead letter (which they may write to while flushing) stops.
 * - stop closes the dispatcher with what remains of the deadline — nothing when flushing is
 *   skipped — and records whether it flushed, for the summary.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_BATCH, DEFAULT_ENCODING } from '../config/types.js';
import type { K8streamConfig, SinkConfig } from '../config/types.js';
import { createDeadLetterWriter } from '../dispatch/deadletter.js';
import { createDispatcher } from '../dispatch/dispatcher.js';
import type { DeadLetter, DispatcherOptions, SinkDispatcher } from '../dispatch/types.js';
import type { QueueBounds } from '../dispatch/queue.js';
import type { BatchOptions, SinkInstance } from '../plugins/api.js';
import type { Ops } from '../ops/ops.js';
import type { Logger } from '../util/logger.js';
import type { Component, StopContext } from './lifecycle.js';
import { remainingMs } from './lifecycle.js';
import { asK8streamError, pluginLabel } from './resolve.js';
import type { ResolvedSink } from './resolve.js';

/** The group of the configured sinks (they stop together). */
export const SINKS_GROUP = 'sinks';

export interface SinkComponent extends Component {
  readonly resolved: ResolvedSink;
  /** After start. */
  readonly dispatcher: SinkDispatcher;
  /** `describe()` of the instance, else the package name. */
  destination(): string;
  /** Whether the stop flushed everything (false until stopped). */
  readonly flushed: boolean;
}

export interface SinkComponentOptions {
  config: K8streamConfig;
  dir: string;
  ops: Ops;
  logger: Logger;
  /** `queue.maxBytes` of a sink whose config leaves it unset (the memory budget's). */
  queueMaxBytes: number;
  /** Where failed deliveries go; null for the dead-letter sink itself. Read at start. */
  deadLetter: () => DeadLetter | null;
  /** at-most-once with a resume point: the keeper's hook. Read at start. */
  beforeSend: () => DispatcherOptions['beforeSend'];
}

export interface DeadLetterComponent extends SinkComponent {
  /** The writer on its dispatcher, where the pipeline, the sinks and the transforms send failures (after start). */
  writer(): DeadLetter;
}

/** The dead-letter sink: not in the sinks group; no dead letter of its own. */
export function deadLetterComponent(resolved: ResolvedSink, options: Omit<SinkComponentOptions, 'deadLetter' | 'beforeSend'>): DeadLetterComponent {
  const component = sinkComponent(resolved, { ...options, deadLetter: () => null, beforeSend: () => undefined }, { name: 'dead letter', announce: false });
  let writer: DeadLetter | null = null;
  return Object.assign(component, { writer: (): DeadLetter => (writer ??= createDeadLetterWriter(component.dispatcher)) });
}

/** One configured sink, in the sinks group. */
export function configuredSinkComponent(resolved: ResolvedSink, options: SinkComponentOptions): SinkComponent {
  return sinkComponent(resolved, options, { name: `sink:${resolved.sink.name}`, group: SINKS_GROUP, announce: true });
}

function sinkComponent(resolved: ResolvedSink, options: SinkComponentOptions, as: { name: string; group?: string; announce: boolean }): SinkComponent {
  const { sink } = resolved;
  const logger = options.logger.child({ sink: sink.name });
  let instance: SinkInstance | null = null;
  let dispatcher: SinkDispatcher | null = null;
  let flushed = false;
  const destination = (): string => {
    try {
      return instance?.describe?.() ?? resolved.packageName;
    } catch {
      return resolved.packageName;
    }
  };
  return {
    name: as.name,
    ...(as.group !== undefined ? { group: as.group } : {}),
    resolved,
    get dispatcher(): SinkDispatcher {
      if (dispatcher === null) throw new Error(`${as.name} is not started`);
      return dispatcher;
    },
    get flushed() {
      return flushed;
    },
    destination,
    async start() {
      instance = await createInstance(resolved, options, logger);
      const opening = openDispatcher(resolved, instance, options, logger);
      try {
        await opening.opened();
      } catch (err) {
        await opening.close(0);
        throw err;
      }
      dispatcher = opening;
      options.ops.addSink(sink.name, sink.buffer?.type === 'disk' ? 'disk' : 'memory', () => opening.stats());
      if (as.announce) options.logger.info('sink ready', { sink: sink.name, plugin: pluginLabel(resolved), destination: destination() });
    },
    async stop(context: StopContext) {
      if (dispatcher === null) return;
      flushed = (await dispatcher.close(context.skipFlush ? 0 : remainingMs(context))).flushed;
    },
  };
}

/**
 * Creates the sink's instance and runs its healthcheck. An instance whose healthcheck failed is
 * closed before the error goes up (its connections, sockets, timers), whatever its close says.
 */
export async function createInstance(resolved: ResolvedSink, options: Pick<SinkComponentOptions, 'config' | 'dir'>, logger: Logger): Promise<SinkInstance> {
  const { sink, definition } = resolved;
  let instance: SinkInstance | null = null;
  try {
    instance = await definition.create(resolved.config, { name: sink.name, cluster: options.config.cluster, logger, configDir: options.dir });
    await instance.healthcheck?.();
    return instance;
  } catch (err) {
    if (instance !== null) await instance.close?.().catch(() => undefined);
    throw asK8streamError(err, `${resolved.path} (${sink.name})`, 'SINK_UNHEALTHY');
  }
}

function openDispatcher(resolved: ResolvedSink, instance: SinkInstance, options: SinkComponentOptions, logger: Logger): SinkDispatcher {
  const { sink, definition } = resolved;
  const deadLetter = options.deadLetter();
  const beforeSend = options.beforeSend();
  const queue = queueBounds(sink, options.queueMaxBytes);
  return createDispatcher({
    name: sink.name,
    cluster: options.config.cluster,
    sink: instance,
    batch: batchOptions(definition.defaults?.batch, sink, queue),
    encoding: { ...DEFAULT_ENCODING, ...definition.defaults?.encoding, ...sink.encoding },
    timeoutMs: sink.timeoutMs,
    retry: sink.retry,
    queue,
    logger,
    deadLetter,
    ...options.ops.dispatcherHooks(sink.name),
    ...(deadLetter !== null && beforeSend !== undefined ? { beforeSend } : {}),
    buffer: bufferOf(sink, options.dir),
  });
}

/** The sink's queue bounds: `queue.maxBytes` as configured, the memory budget's when unset. */
export function queueBounds(sink: Pick<SinkConfig, 'queue'>, budgetMaxBytes: number): QueueBounds {
  return { maxEvents: sink.queue.maxEvents, maxBytes: sink.queue.maxBytes ?? budgetMaxBytes };
}

/** Smallest batch byte bound the queue-derived cap goes down to. */
const MIN_BATCH_BYTES = 256 * 1024;

/**
 * The sink's batch bounds: its config, then the plugin's defaults, then the core's. A byte bound
 * the config leaves unset is also kept to a quarter of the queue's, so a small queue (a small
 * memory limit) still holds a batch filling while others encode and send — with one batch as
 * large as the queue, the source would wait for each batch's whole round trip.
 */
export function batchOptions(pluginDefaults: Partial<BatchOptions> | undefined, sink: Pick<SinkConfig, 'batch'>, queue: QueueBounds): BatchOptions {
  const batch: BatchOptions = { ...DEFAULT_BATCH, ...pluginDefaults, ...sink.batch };
  if (sink.batch.maxBytes === undefined) batch.maxBytes = Math.min(batch.maxBytes, Math.max(MIN_BATCH_BYTES, Math.floor(queue.maxBytes / 4)));
  return batch;
}

function bufferOf(sink: SinkConfig, dir: string): DispatcherOptions['buffer'] {
  if (sink.buffer?.type !== 'disk') return { type: 'memory' };
  return {
    type: 'disk',
    dir: resolve(dir, sink.buffer.dir ?? join('k8stream-buffer', sink.name)),
    maxBytes: sink.buffer.maxBytes,
    fsync: sink.buffer.fsync === 'always' ? 'always' : { intervalMs: sink.buffer.fsync },
    overflow: sink.buffer.overflow,
  };
}
