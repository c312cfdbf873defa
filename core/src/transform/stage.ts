/**
 * The WASM transform stage: applies the configured chain to each record, in order (the output
 * of one transform feeds the next; fan-out multiplies), on a worker pool, and applies each
 * transform's `onError` policy to failures:
 * - `pass`: the record the transform was given continues unchanged;
 * - `drop`: the record is dropped (counted as an error, not as a drop);
 * - `deadletter` (default): the record the transform was given goes to the dead-letter
 *   destination with the error and the transform's name, then is dropped;
 * - `fail`: `apply` rejects with `TRANSFORM_FAILED` naming the transform and the record.
 * A transform's own drop (empty output) is a success and never confused with an error.
 * Each transform has a circuit breaker (`breaker.ts`, on unless `breaker: false`): after
 * `failures` consecutive failed calls it opens, and records take the `onError` path without
 * calling the module (counted in `shortCircuited`, and in `errors` or `timeouts` after the kind
 * of failure that opened it) until a probe record succeeds.
 * Every input record is, in the end, delivered (possibly changed or multiplied), dropped by a
 * transform, dropped by a `drop` policy, or dead-lettered. Output order follows input order.
 *
 * The dead-lettered record is the one the failing transform received (for the first transform,
 * the original record): for a chain it is never the pre-redaction original.
 */
import { K8streamError, errorMessage } from '../errors.js';
import type { TransformConfig } from '../config/types.js';
import type { DeadLetter, DeadLetterRecord } from '../dispatch/types.js';
import type { EventRecord } from '../record/types.js';
import { deadLetterRecord } from '../sink-kit/dead-letter.js';
import type { Logger } from '../util/logger.js';
import { loadTransforms, workerSpec } from './load.js';
import type { LoadOptions } from './load.js';
import { interpretText } from './output.js';
import { rememberJson, serialiseRecord } from '../record/serialized.js';
import { DEFAULT_BATCH_SIZE, createPool, defaultPoolSize } from './pool.js';
import type { PoolStats, RunOptions, StepRun, TransformPool } from './pool.js';
import { CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import type { BreakerSettings } from './breaker.js';
import type { RunResult } from './protocol.js';
import type { TransformStage } from './types.js';

/** Per-transform counters. */
export interface TransformCounters {
  /** Calls made (each record given to the transform once). */
  calls: number;
  /** Records the transform dropped itself (empty output or `[]`). */
  drops: number;
  /** Calls that returned an array (fan-out). */
  fanouts: number;
  /** Calls that failed: trap, error channel, invalid output (timeouts excluded). */
  errors: number;
  /**
   * Calls stopped at their deadline (and, while the breaker is open, records short-circuited
   * after a timeout opened it).
   */
  timeouts: number;
  /** µs spent in calls, in the workers. */
  micros: number;
  /**
   * Records given the `onError` policy without calling the module because its circuit breaker
   * was open (or half-open with its probe in flight). Also counted in `errors` or `timeouts`,
   * after the failure that opened the breaker; not in `calls`.
   */
  shortCircuited?: number;
  /** Times the circuit breaker opened (a failed probe re-opening it included). */
  trips?: number;
  /** 1 while the circuit breaker is open or half-open, else 0 (a gauge). The three breaker fields are always set by the stage. */
  breakerOpen?: number;
}

/** A transform failure, as reported to `onTransformError`. */
export interface TransformFailure {
  transform: string;
  recordId: string;
  code: string;
  message: string;
  policy: TransformConfig['onError'];
  /** The module was not called: its circuit breaker was open. */
  shortCircuited?: boolean;
}

export interface TransformStageOptions extends Omit<LoadOptions, 'configDir'> {
  /** Directory of the config file (paths, packages and `allowedPaths` resolve from here). */
  configDir: string;
  deadLetter: DeadLetter;
  logger: Logger;
  /**
   * Most worker threads: one starts with the stage, another only once records wait for a busy
   * worker (see the pool's `initialSize`). @default min(2, available cores)
   */
  workers?: number;
  /** Records per message to a worker. @default {@link DEFAULT_BATCH_SIZE} */
  batchSize?: number;
  /** Each worker's `resourceLimits.maxOldGenerationSizeMb`. @default V8's */
  workerHeapMb?: number;
  /** Called for every failure, whatever the policy (tests, `k8stream transform test`). */
  onTransformError?: (failure: TransformFailure) => void;
  /**
   * Instrumentation (metrics): called after each worker batch of a transform with the number
   * of calls and the µs they took in the worker. Errors it throws are ignored.
   */
  onRun?: (transform: string, calls: number, micros: number) => void;
  /** The circuit breakers' clock, in ms (tests). @default performance.now */
  now?: () => number;
}

/** The stage, with its counters. */
export interface WasmTransformStage extends TransformStage {
  /** Counters per transform name (copies). */
  counters(): Record<string, TransformCounters>;
  /** Worker replacements (timeouts, crashes). */
  poolStats(): PoolStats;
}

/**
 * A record between transforms: the object, and its JSON text once known (serialised to send it
 * to a worker, or the text a transform returned). Text rather than bytes: the workers' input
 * buffers take it directly, and the sink reuses it as is (`rememberJson`).
 */
interface Item {
  id: string;
  record: EventRecord;
  json: string | null;
}

function zeroCounters(): TransformCounters {
  return { calls: 0, drops: 0, fanouts: 0, errors: 0, timeouts: 0, micros: 0, shortCircuited: 0, trips: 0, breakerOpen: 0 };
}

/** A transform's breaker settings: its own, the defaults when unset, null when `breaker: false`. */
export function breakerSettings(config: TransformConfig): BreakerSettings | null {
  const own = config.breaker;
  if (own === false) return null;
  return own ?? DEFAULT_BREAKER;
}

/** Failed results at the end of `results` (a run of timeouts, say). */
function trailingFailures(results: readonly RunResult[]): number {
  let n = 0;
  for (let i = results.length - 1; i >= 0 && results[i]!.kind === 'error'; i--) n++;
  return n;
}

const NO_RUN: StepRun = { results: [], micros: 0 };

/** Logs failures at most once per second per transform, with the number left out. */
function failureLogger(logger: Logger): (failure: TransformFailure) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (failure) => {
    const now = Date.now();
    const entry = last.get(failure.transform);
    if (entry && now - entry.at < 1000) {
      entry.suppressed++;
      return;
    }
    logger.warn('transform failed', {
      transform: failure.transform,
      record: failure.recordId,
      code: failure.code,
      error: failure.message,
      onError: failure.policy,
      ...(entry && entry.suppressed > 0 ? { alsoFailedSinceLastLog: entry.suppressed } : {}),
    });
    last.set(failure.transform, { at: now, suppressed: 0 });
  };
}

/** The identity stage, with empty counters: used when no transform is configured. */
export function identityTransformStage(): WasmTransformStage {
  return {
    apply: (records) => records,
    close: async () => {},
    counters: () => ({}),
    poolStats: () => ({ timeouts: 0, crashes: 0, respawns: 0, respawnMs: 0, starved: 0 }),
  };
}

/**
 * Loads the transforms, starts the worker pool (each worker instantiates the whole chain) and
 * returns the stage. With no transforms, the identity stage. Rejects with a coded
 * K8streamError when a module cannot be resolved, read, compiled or instantiated.
 */
export async function createTransformStage(configs: readonly TransformConfig[], options: TransformStageOptions): Promise<WasmTransformStage> {
  if (configs.length === 0) return identityTransformStage();
  const { deadLetter, logger } = options;
  const loaded = await loadTransforms(configs, options);
  for (const l of loaded) {
    logger.debug('transform loaded', { transform: l.config.name, sha256: l.sha256, wasi: l.importsWasi });
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const pool: TransformPool = await createPool({
    transforms: loaded.map((l) => ({ ...workerSpec(l, options.configDir), timeoutMs: l.config.timeoutMs })),
    size: options.workers ?? defaultPoolSize(),
    initialSize: 1,
    ...(options.workerHeapMb !== undefined ? { workerHeapMb: options.workerHeapMb } : {}),
    batchSize,
    logger,
  });
  const counters = configs.map(zeroCounters);
  const logFailure = failureLogger(logger);
  const report = (failure: TransformFailure): void => {
    // A short-circuited record is no new failure: the breaker logged its opening once.
    if (failure.shortCircuited !== true) logFailure(failure);
    try {
      options.onTransformError?.(failure);
    } catch {
      // instrumentation only
    }
  };
  const now = options.now ?? (() => performance.now());
  const breakers = configs.map((config, t): CircuitBreaker | null => {
    const settings = breakerSettings(config);
    if (settings === null) return null;
    const c = counters[t]!;
    return new CircuitBreaker(settings, {
      now,
      onOpen: (o) => {
        c.trips = (c.trips ?? 0) + 1;
        c.breakerOpen = 1;
        logger.warn(o.probe ? 'transform circuit breaker re-opened: the probe failed' : 'transform circuit breaker opened', {
          transform: config.name,
          failures: o.failures,
          coolDownMs: o.coolDownMs,
          code: o.code,
          error: o.message,
          onError: config.onError,
        });
      },
      onProbe: () => logger.debug('transform circuit breaker half-open: sending one probe event', { transform: config.name }),
      onClose: ({ openMs }) => {
        c.breakerOpen = 0;
        logger.info('transform circuit breaker closed: the probe succeeded', { transform: config.name, openMs: Math.round(openMs) });
      },
    });
  });
  const stopOn = breakers.map((breaker): RunOptions | undefined => (breaker === null ? undefined : { stop: (results) => breaker.wouldOpen(trailingFailures(results)) }));

  const jsonOf = (item: Item): string => (item.json ??= serialiseRecord(item.record));

  /** Runs one chunk of records through the whole chain. */
  const runChunk = async (records: readonly EventRecord[]): Promise<EventRecord[]> => {
    let items: Item[] = records.map((record) => ({ id: record.id, record, json: null }));
    const letters: DeadLetterRecord[] = [];
    let failure: K8streamError | null = null;
    for (let t = 0; t < configs.length && items.length > 0; t++) {
      const config = configs[t]!;
      const c = counters[t]!;
      const breaker = breakers[t]!;
      // The breaker decides how many records go to the module: all, one probe, or none.
      const admitted = breaker === null ? { count: items.length, probe: false } : breaker.admit(items.length);
      const sent = admitted.count;
      const run = sent === 0 ? NO_RUN : await pool.run(t, (sent === items.length ? items : items.slice(0, sent)).map(jsonOf), admitted.probe ? undefined : stopOn[t]);
      const called = run.results.reduce((n, r) => (r === null ? n : n + 1), 0);
      c.micros += Math.round(run.micros);
      if (options.onRun !== undefined && called > 0) {
        try {
          options.onRun(config.name, called, run.micros);
        } catch {
          // instrumentation only
        }
      }
      const next: Item[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const raw = i < sent ? run.results[i]! : null;
        let code: string;
        let message: string;
        let shortCircuited = false;
        if (raw === null) {
          // Not called: the breaker is open (or its probe is in flight), or it opened mid-run.
          const last = breaker?.lastFailure ?? { code: 'TRANSFORM_ERROR', message: '' };
          shortCircuited = true;
          c.shortCircuited = (c.shortCircuited ?? 0) + 1;
          code = last.code;
          message = `circuit breaker open: "${config.name}" was not called (it opened after repeated failures; last: ${last.message})`;
        } else {
          c.calls++;
          if (raw.kind === 'error') {
            code = raw.code;
            message = raw.message;
          } else if (raw.kind === 'same') {
            // Returned unchanged (a filter keeping it, say): the record it was given, no re-parse.
            breaker?.success(admitted.probe);
            next.push(item);
            continue;
          } else {
            const result = raw.kind === 'drop' ? raw : interpretText(raw.text, raw.bytes, item.id);
            if (result.kind === 'ok') {
              breaker?.success(admitted.probe);
              if (result.fanout) c.fanouts++;
              for (const out of result.outputs) next.push(out);
              continue;
            }
            if (result.kind === 'drop') {
              breaker?.success(admitted.probe);
              c.drops++;
              continue;
            }
            code = 'TRANSFORM_OUTPUT_INVALID';
            message = result.message;
          }
          breaker?.failure(code, message, admitted.probe);
        }
        if (code === 'TRANSFORM_TIMEOUT') c.timeouts++;
        else c.errors++;
        report({ transform: config.name, recordId: item.id, code, message, policy: config.onError, ...(shortCircuited ? { shortCircuited } : {}) });
        switch (config.onError) {
          case 'pass':
            next.push(item);
            break;
          case 'drop':
            break;
          case 'deadletter':
            letters.push(deadLetterRecord({ stage: 'transform', component: config.name, id: item.id, error: { code, message }, record: item.record }));
            break;
          case 'fail':
            failure ??= new K8streamError('TRANSFORM_FAILED', `transform "${config.name}" failed on record ${item.id}: [${code}] ${message}`, {
              plugin: config.name,
              path: item.id,
              hint: 'onError: fail stops k8stream; use deadletter, drop or pass to keep going',
            });
            break;
        }
      }
      if (failure) break;
      items = next;
    }
    if (letters.length > 0) await deadLetter.write(letters);
    if (failure) throw failure;
    return items.map((item) => {
      // The JSON the last transform produced (or was given) is this record: reuse it downstream.
      if (item.json !== null) rememberJson(item.record, item.json);
      return item.record;
    });
  };

  let closed = false;
  return {
    async apply(records: EventRecord[]): Promise<EventRecord[]> {
      if (closed) throw new K8streamError('TRANSFORM_FAILED', 'the transform stage is closed');
      if (records.length === 0) return [];
      // Chunks small enough to keep every started worker busy, at most batchSize each (with one
      // worker started, a chunk the size of a batch or less stays whole and starts no other).
      const chunkSize = Math.max(1, Math.min(batchSize, Math.ceil(records.length / pool.workers)));
      const chunks: EventRecord[][] = [];
      for (let at = 0; at < records.length; at += chunkSize) chunks.push(records.slice(at, at + chunkSize));
      const outputs = await Promise.all(chunks.map(runChunk));
      return outputs.length === 1 ? outputs[0]! : outputs.flat();
    },
    async close(): Promise<void> {
      closed = true;
      await pool.close().catch((err: unknown) => logger.warn('closing the transform pool failed', { error: errorMessage(err) }));
    },
    counters(): Record<string, TransformCounters> {
      const out: Record<string, TransformCounters> = {};
      configs.forEach((config, i) => {
        out[config.name] = { ...counters[i]! };
      });
      return out;
    },
    poolStats: () => pool.stats(),
  };
}
