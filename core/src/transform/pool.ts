/**
 * A `worker_threads` pool that runs transform calls off the main thread (which never runs
 * wasm). Every worker instantiates the whole chain; a task is one transform over up to
 * `batchSize` records, sent as one message (or more, if they overflow the worker's buffers).
 *
 * Deadline: each worker publishes which record's call is running and since when in its shared
 * control buffer. A watchdog timer per busy worker wakes when the running call would reach its
 * transform's `timeoutMs`; if that call is still running, the worker is terminated, the
 * records it finished keep their results (they are in the shared buffer), the running record
 * is marked timed out, and the rest of the message goes to a replacement worker. After the
 * first replacement the pool keeps one warm spare, so later timeouts cost little more than the
 * deadline itself. A worker that crashes (out of memory, a host error) is handled the same way,
 * its running record failing with TRANSFORM_TRAP. Before the rest of such a message is sent
 * again, the run's `stop` callback (the stage's circuit breaker) may leave it unsent; a task with
 * nothing left to send completes at once, without waiting for the replacement worker.
 */
import { channel } from 'node:diagnostics_channel';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import { K8streamError, errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { CONTROL_INITIAL_BYTES, F_MICROS, F_START, INPUT_INITIAL_BYTES, I_DONE, I_ITEM, RESULTS_OFFSET, epochMs, packRecordsInto, readResults } from './protocol.js';
import type { FromWorker, RunMessage, RunResult, WorkerInit, WorkerTransformSpec } from './protocol.js';
import type { KernelKind } from './host-api.js';

/** Which kernel serves each transform of a worker's chain, as the worker reported it once ready. */
export interface WorkerKernels {
  transforms: { name: string; kernel: KernelKind }[];
}

/**
 * `node:diagnostics_channel` name on which every worker that instantiated its chain publishes
 * {@link WorkerKernels} (nothing is built when no one subscribes). Also logged at debug.
 */
export const KERNEL_CHANNEL = 'k8stream:transform:kernels';
const kernelChannel = channel(KERNEL_CHANNEL);

/** A transform as the pool needs it: the worker spec plus its deadline. */
export interface PoolTransform extends WorkerTransformSpec {
  /** Deadline of one call, in ms. */
  timeoutMs: number;
}

export interface PoolOptions {
  transforms: PoolTransform[];
  /** Most worker threads. @default min(2, available cores) */
  size?: number;
  /**
   * Workers started before the pool is returned; the others start one at a time, up to `size`,
   * when a task has to wait because every started worker is busy (each worker costs ~16 MB of
   * RSS, so a pool that is never busy keeps one). @default size
   */
  initialSize?: number;
  /** Most records per message to a worker. @default {@link DEFAULT_BATCH_SIZE} */
  batchSize?: number;
  logger: Logger;
  /** How long a worker may take to instantiate the chain. @default 30000 */
  initTimeoutMs?: number;
  /** Keep a warm spare worker once a worker had to be replaced. @default true */
  spare?: boolean;
  /**
   * Each worker's `resourceLimits.maxOldGenerationSizeMb` (from the memory budget): a worker
   * that outgrows it dies and is replaced (its running record fails with TRANSFORM_TRAP) instead
   * of the process outgrowing its container. @default V8's
   */
  workerHeapMb?: number;
  /** The worker script (tests substitute one that crashes). @default ./worker.js */
  workerUrl?: URL;
}

/** Results of one transform over a list of records, in input order. */
export interface StepRun {
  /** One per record; null for a record never sent because `stop` said so (see {@link RunOptions}). */
  results: (RunResult | null)[];
  /** µs spent in calls (timed-out calls count their time up to the deadline). */
  micros: number;
}

export interface RunOptions {
  /**
   * Asked before the rest of a message is sent again after its worker was terminated (a call
   * overran its deadline) or died, with the results of that message's records so far: true
   * leaves the rest unsent (their results are null). The stage's circuit breaker stops a run of
   * timeouts this way, instead of paying a deadline and a worker replacement per record.
   */
  stop?: (results: readonly RunResult[]) => boolean;
}

export interface PoolStats {
  /** Workers terminated because a call overran its deadline. */
  timeouts: number;
  /** Workers that died on their own (out of memory, a crash). */
  crashes: number;
  /** Workers started to replace terminated or crashed ones. */
  respawns: number;
  /** Total ms work waited for replacement workers (from a worker's end to its replacement's start). */
  respawnMs: number;
  /**
   * Times a call past its `timeoutMs` was given more time because its worker had not had the CPU
   * for it (a starved process: a CPU quota, a busy core). See {@link STARVED_GRACE_MS}.
   */
  starved: number;
}

/**
 * A call past its `timeoutMs` of wall-clock time is stopped only once its worker thread also used
 * at least this share of `timeoutMs` in CPU time since the message started (a module that spins
 * does at once), or once it ran `timeoutMs` + max(`timeoutMs`, {@link STARVED_GRACE_MS}) of wall
 * time whatever its CPU (a module blocked in `http_request` or a WASI sleep, or one starved for
 * that long). A healthy call whose process was throttled (a cgroup CPU quota freezes it for up
 * to ~90 ms of each 100 ms period) or shared a busy core is then not mistaken for a runaway one.
 */
export const TIMEOUT_CPU_SHARE = 0.5;
/** See {@link TIMEOUT_CPU_SHARE}. */
export const STARVED_GRACE_MS = 250;

export interface TransformPool {
  /** Most workers. */
  readonly size: number;
  /** Workers started so far, one still starting included (`initialSize` to `size`). */
  readonly workers: number;
  /** Runs chain step `step` (the transform's index in the chain) over records (their JSON text); one result per record, in order. */
  run(step: number, records: readonly string[], options?: RunOptions): Promise<StepRun>;
  stats(): PoolStats;
  /** Terminates every worker; pending runs reject. */
  close(): Promise<void>;
}

/**
 * Most records per message to a worker, by default. Each message costs the main thread a round
 * trip (post, wake-up, `done`, timers, promises: tens of µs whatever its size), so fewer,
 * larger messages are cheaper; the stage still splits a chunk over the workers, so a pipeline
 * chunk of ~250–500 records goes out as one message per worker.
 */
export const DEFAULT_BATCH_SIZE = 250;

/** Default pool size: two workers, or one on a single core. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

interface Task {
  /** The transform's index in the chain. */
  step: number;
  /** The records' JSON text, written into a worker's input buffer when sent. */
  items: readonly string[];
  results: RunResult[];
  micros: number;
  /** Items before this index have results. */
  next: number;
  /** `next` when a worker last died running this task (-1: none did). */
  diedAt: number;
  /** See {@link RunOptions.stop}. */
  stop: RunOptions['stop'];
  resolve(): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  control: SharedArrayBuffer;
  /** Where the main thread writes the records of the next message (see protocol.ts). */
  input: SharedArrayBuffer;
  header: Int32Array;
  floats: Float64Array;
  task: Task | null;
  /** Items sent in the current message (from `task.next`). */
  sent: number;
  watchdog: NodeJS.Timeout | null;
  /** Set once the worker is being terminated or has died: its messages are ignored. */
  gone: boolean;
  /** The worker thread's CPU time when the current message was sent (null: not measurable). */
  cpuAtSend: Promise<NodeJS.CpuUsage | null> | null;
  /** Messages sent so far (tells a late CPU reading which message it was for). */
  sends: number;
}

/** The worker thread's own CPU time (`Worker.cpuUsage`, Node ≥ 22.19 / 24.6); null when not available. */
function workerCpu(worker: Worker): Promise<NodeJS.CpuUsage | null> {
  const w = worker as Worker & { cpuUsage?: () => Promise<NodeJS.CpuUsage> };
  if (typeof w.cpuUsage !== 'function') return Promise.resolve(null);
  return w.cpuUsage().catch(() => null);
}

const WORKER_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_URL = new URL(`./worker${WORKER_EXT}`, import.meta.url);

/**
 * A small young generation per worker: the JS a worker runs is a thin loop around the wasm call,
 * and V8's default lets each worker keep tens of MB committed for nothing.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** The `resourceLimits` of a worker, with the budget's old-generation limit when there is one. */
function workerResourceLimits(workerHeapMb: number | undefined): ResourceLimits {
  return workerHeapMb === undefined ? { ...WORKER_LIMITS } : { ...WORKER_LIMITS, maxOldGenerationSizeMb: workerHeapMb };
}

/** Starts a worker thread on `worker.js` (or, when the core runs from sources, `worker.ts`). */
function startWorker(init: WorkerInit, url: URL | undefined, resourceLimits: ResourceLimits): Worker {
  if (url) return new Worker(url, { workerData: init, resourceLimits });
  if (WORKER_EXT === '.js') return new Worker(WORKER_URL, { workerData: init, resourceLimits });
  // Running from TypeScript sources (tests): Node strips the types, and this resolve hook maps
  // the `.js` specifiers of relative imports to their `.ts` files.
  const boot = `
const { registerHooks } = require('node:module');
registerHooks({ resolve(specifier, context, next) {
  try { return next(specifier, context); } catch (err) {
    if (/^\\.\\.?\\//.test(specifier) && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
    throw err;
  }
} });
import(${JSON.stringify(WORKER_URL.href)});`;
  return new Worker(boot, { eval: true, workerData: init, resourceLimits });
}

/** Creates the pool and waits until every worker instantiated the chain. */
export async function createPool(options: PoolOptions): Promise<TransformPool> {
  const size = Math.max(1, options.size ?? defaultPoolSize());
  const initialSize = Math.min(size, Math.max(1, options.initialSize ?? size));
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const initTimeoutMs = options.initTimeoutMs ?? 30_000;
  const { transforms, logger } = options;
  const maxMemory = Math.max(...transforms.map((t) => t.memoryBytes));
  const controlMax = Math.max(256 * 1024 * 1024, 4 * maxMemory);
  const specs: WorkerTransformSpec[] = transforms.map(({ timeoutMs: _, ...spec }) => spec);
  const resourceLimits = workerResourceLimits(options.workerHeapMb);

  const stats: PoolStats = { timeouts: 0, crashes: 0, respawns: 0, respawnMs: 0, starved: 0 };
  const queue: Task[] = [];
  let slots: Slot[] = [];
  let spare: Promise<Slot> | null = null;
  let wantSpare = false;
  let closed = false;
  let respawning = 0;
  /** A worker being added because tasks wait (one at a time); false once adding one failed. */
  let growing = false;
  let canGrow = true;

  /** Starts a worker and resolves once the chain is instantiated in it. */
  const spawn = (): Promise<Slot> => {
    const control = new SharedArrayBuffer(CONTROL_INITIAL_BYTES, { maxByteLength: controlMax });
    const header = new Int32Array(control, 0, RESULTS_OFFSET / 4);
    header[I_ITEM] = -1;
    const worker = startWorker({ transforms: specs, control }, options.workerUrl, resourceLimits);
    const slot: Slot = {
      worker,
      control,
      input: new SharedArrayBuffer(INPUT_INITIAL_BYTES, { maxByteLength: controlMax }),
      header,
      floats: new Float64Array(control, 0, RESULTS_OFFSET / 8),
      task: null,
      sent: 0,
      watchdog: null,
      gone: false,
      cpuAtSend: null,
      sends: 0,
    };
    return new Promise<Slot>((resolve, reject) => {
      let started = false;
      const fail = (message: string, transform?: string) => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        slot.gone = true;
        void worker.terminate();
        reject(
          new K8streamError('TRANSFORM_INVALID', transform ? `transform "${transform}" could not be instantiated: ${message}` : `transform worker failed to start: ${message}`, {
            ...(transform ? { plugin: transform } : {}),
          }),
        );
      };
      const timer = setTimeout(() => fail(`the chain did not instantiate within ${initTimeoutMs} ms`), initTimeoutMs);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready' && !started) {
          started = true;
          clearTimeout(timer);
          const report: WorkerKernels = { transforms: specs.map((spec, i) => ({ name: spec.name, kernel: message.kernels[i]! })) };
          logger.debug('transform worker ready', { kernels: Object.fromEntries(report.transforms.map((t) => [t.name, t.kernel])) });
          if (kernelChannel.hasSubscribers) kernelChannel.publish(report);
          worker.unref();
          resolve(slot);
        } else if (message.type === 'init-failed') {
          fail(message.message, message.transform);
        } else {
          onMessage(slot, message);
        }
      });
      worker.on('error', (err) => {
        if (!started) fail(errorMessage(err));
        else void onDeath(slot, `worker crashed: ${errorMessage(err)}`);
      });
      worker.on('exit', (code) => {
        if (!started) fail(`worker exited with code ${code}`);
        else void onDeath(slot, `worker exited with code ${code}`);
      });
    });
  };

  const onMessage = (slot: Slot, message: FromWorker): void => {
    if (slot.gone) return;
    if (message.type === 'log') {
      logger[message.level]('transform log', { transform: message.transform, message: message.message });
      return;
    }
    if (message.type !== 'done' || slot.task === null) return;
    disarm(slot);
    collect(slot, Atomics.load(slot.header, I_DONE), slot.floats[F_MICROS]!);
    continueTask(slot);
  };

  /** Appends the first `count` results of the current message to the slot's task. */
  const collect = (slot: Slot, count: number, micros: number): void => {
    const task = slot.task!;
    const bytes = new Uint8Array(slot.control, RESULTS_OFFSET);
    const results = readResults(bytes, new DataView(slot.control, RESULTS_OFFSET), 0, count);
    for (const r of results) task.results.push(r);
    task.next += count;
    task.micros += micros;
  };

  /** Sends the task's remaining items, or completes it and picks the next task. */
  const continueTask = (slot: Slot): void => {
    const task = slot.task;
    if (task === null) return;
    if (task.next < task.items.length) {
      send(slot, task);
      return;
    }
    slot.task = null;
    slot.worker.unref();
    task.resolve();
    pump();
  };

  const send = (slot: Slot, task: Task): void => {
    // The worker is idle (its last message is done, or it is new): its input buffer is ours.
    const { data, offsets, count } = packRecordsInto(slot.input, task.items, task.next, task.items.length - task.next);
    if (count === 0) {
      // A record larger than the input buffer may ever grow (far beyond any memory cap).
      task.results.push({ kind: 'error', code: 'TRANSFORM_TRAP', message: `record too large for a transform worker (${Buffer.byteLength(task.items[task.next]!)} bytes)` });
      task.next++;
      continueTask(slot);
      return;
    }
    const message: RunMessage = { type: 'run', step: task.step, data, offsets, count };
    slot.sent = count;
    slot.sends++;
    slot.worker.ref();
    slot.cpuAtSend = workerCpu(slot.worker);
    slot.worker.postMessage(message);
    arm(slot, transforms[task.step]!.timeoutMs);
  };

  const disarm = (slot: Slot): void => {
    if (slot.watchdog !== null) clearTimeout(slot.watchdog);
    slot.watchdog = null;
  };

  /** Wakes in `ms` and checks the running call against its deadline. */
  const arm = (slot: Slot, ms: number): void => {
    disarm(slot);
    slot.watchdog = setTimeout(() => check(slot), Math.max(1, Math.ceil(ms)));
  };

  const check = (slot: Slot): void => {
    slot.watchdog = null;
    const task = slot.task;
    if (slot.gone || task === null) return;
    const timeoutMs = transforms[task.step]!.timeoutMs;
    const item = Atomics.load(slot.header, I_ITEM);
    if (item < 0) {
      arm(slot, timeoutMs);
      return;
    }
    const elapsed = epochMs() - slot.floats[F_START]!;
    if (elapsed < timeoutMs) {
      arm(slot, timeoutMs - elapsed);
      return;
    }
    if (elapsed >= hardDeadline(timeoutMs) || slot.cpuAtSend === null) {
      void kill(slot, item, elapsed);
      return;
    }
    void confirm(slot, item, timeoutMs);
  };

  /** Wall time after which a call is stopped whatever CPU it had. */
  const hardDeadline = (timeoutMs: number): number => timeoutMs + Math.max(timeoutMs, STARVED_GRACE_MS);

  /**
   * The call at `item` is past its deadline: stops it if its worker had the CPU for it (see
   * {@link TIMEOUT_CPU_SHARE}), else waits for the CPU time it lacks (up to the hard deadline).
   */
  const confirm = async (slot: Slot, item: number, timeoutMs: number): Promise<void> => {
    const sends = slot.sends;
    const [base, now] = await Promise.all([slot.cpuAtSend, workerCpu(slot.worker)]);
    // Meanwhile the message may have finished, or the worker died: start over from its state.
    if (slot.gone || slot.task === null || slot.sends !== sends || slot.watchdog !== null) return;
    if (Atomics.load(slot.header, I_ITEM) !== item) {
      check(slot);
      return;
    }
    const elapsed = epochMs() - slot.floats[F_START]!;
    const cpuMs = base === null || now === null ? Infinity : (now.user + now.system - base.user - base.system) / 1000;
    const wantMs = timeoutMs * TIMEOUT_CPU_SHARE;
    if (cpuMs >= wantMs || elapsed >= hardDeadline(timeoutMs)) {
      void kill(slot, item, elapsed);
      return;
    }
    stats.starved++;
    arm(slot, Math.min(hardDeadline(timeoutMs) - elapsed, Math.max(1, wantMs - cpuMs)));
  };

  /** Terminates a worker whose call at `item` overran its deadline, and carries on. */
  const kill = async (slot: Slot, item: number, elapsed: number): Promise<void> => {
    slot.gone = true;
    stats.timeouts++;
    await slot.worker.terminate();
    const task = slot.task!;
    const done = Atomics.load(slot.header, I_DONE);
    collect(slot, done, slot.floats[F_MICROS]!);
    if (done === item) {
      const name = transforms[task.step]!.name;
      const timeoutMs = transforms[task.step]!.timeoutMs;
      task.results.push({
        kind: 'error',
        code: 'TRANSFORM_TIMEOUT',
        message: `call ran longer than its ${timeoutMs} ms deadline; the worker running ${name} was terminated`,
      });
      task.next++;
      task.micros += elapsed * 1000;
    }
    // else: that call finished while the worker was being stopped; the interrupted one is sent again.
    await replace(slot, finishEarly(task) ? null : task);
  };

  /** A worker died on its own: fail its running record (if any) and carry on. */
  const onDeath = async (slot: Slot, reason: string): Promise<void> => {
    if (slot.gone) return;
    slot.gone = true;
    disarm(slot);
    if (closed) return;
    stats.crashes++;
    logger.warn('transform worker died; replacing it', { reason });
    const task = slot.task;
    if (task === null) {
      await replace(slot, null);
      return;
    }
    const done = Atomics.load(slot.header, I_DONE);
    const item = Atomics.load(slot.header, I_ITEM);
    collect(slot, done, slot.floats[F_MICROS]!);
    // Blame the record whose call was running; when none was, the next record — but only after
    // a second death without progress, so a poison record cannot kill workers forever.
    if (item === done || task.diedAt === task.next) {
      task.results.push({ kind: 'error', code: 'TRANSFORM_TRAP', message: reason });
      task.next++;
      task.diedAt = -1;
    } else {
      task.diedAt = task.next;
    }
    await replace(slot, finishEarly(task) ? null : task);
  };

  /** Asks the task's `stop` (errors it throws count as no). */
  const stopped = (task: Task): boolean => {
    try {
      return task.stop!(task.results);
    } catch {
      return false;
    }
  };

  /**
   * After its worker was terminated or died: completes the task at once when nothing is left to
   * send, or `stop` says to send no more (a probe, or a breaker about to open), instead of making
   * it wait for the replacement worker. True when it did.
   */
  const finishEarly = (task: Task): boolean => {
    if (task.next < task.items.length && !(task.stop !== undefined && stopped(task))) return false;
    task.next = task.items.length;
    task.resolve();
    return true;
  };

  /** Puts a fresh worker (the spare when there is one) in `old`'s place and resumes `task`. */
  const replace = async (old: Slot, task: Task | null): Promise<void> => {
    respawning++;
    const t0 = performance.now();
    let fresh: Slot;
    try {
      if (closed) throw new K8streamError('TRANSFORM_FAILED', 'transform pool closed');
      fresh = await takeSpareOrSpawn();
    } catch (err) {
      respawning--;
      slots = slots.filter((s) => s !== old);
      const failure =
        err instanceof K8streamError && err.code === 'TRANSFORM_FAILED'
          ? err
          : new K8streamError('TRANSFORM_FAILED', `a transform worker could not be restarted: ${errorMessage(err)}`, { cause: err });
      task?.reject(failure);
      if (slots.length === 0 && respawning === 0) {
        for (const t of queue.splice(0)) t.reject(failure);
      }
      return;
    }
    respawning--;
    stats.respawns++;
    stats.respawnMs += performance.now() - t0;
    if (closed) {
      void fresh.worker.terminate();
      return;
    }
    slots = slots.map((s) => (s === old ? fresh : s));
    if (task) {
      fresh.task = task;
      continueTask(fresh);
    } else {
      pump();
    }
  };

  const takeSpareOrSpawn = async (): Promise<Slot> => {
    const pending = spare;
    spare = null;
    // From now on keep a spare: start the next one while this replacement gets ready.
    if (options.spare !== false) {
      wantSpare = true;
      refillSpare();
    }
    const slot = pending ? await pending.catch(() => null) : null;
    return slot ?? spawn();
  };

  const refillSpare = (): void => {
    if (!wantSpare || spare || closed) return;
    const pending = spawn();
    pending.catch((err: unknown) => {
      logger.warn('could not start a spare transform worker', { error: errorMessage(err) });
      if (spare === pending) spare = null;
    });
    spare = pending;
  };

  const pump = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.task !== null || slot.gone) continue;
      slot.task = queue.shift()!;
      continueTask(slot);
    }
    if (queue.length > 0) grow();
  };

  /** Tasks wait and every worker is busy: start one more, up to `size`. */
  const grow = (): void => {
    if (growing || !canGrow || closed || slots.length >= size) return;
    growing = true;
    spawn().then(
      (slot) => {
        growing = false;
        if (closed) {
          void slot.worker.terminate();
          return;
        }
        slots = [...slots, slot];
        pump();
      },
      (err: unknown) => {
        growing = false;
        canGrow = false;
        logger.warn('could not start another transform worker; carrying on with fewer', { workers: slots.length, error: errorMessage(err) });
      },
    );
  };

  const initial = await Promise.allSettled(Array.from({ length: initialSize }, () => spawn()));
  const failedInit = initial.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failedInit) {
    await Promise.all(initial.flatMap((r) => (r.status === 'fulfilled' ? [r.value.worker.terminate()] : [])));
    throw failedInit.reason;
  }
  slots = initial.map((r) => (r as PromiseFulfilledResult<Slot>).value);

  return {
    size,
    get workers() {
      return slots.length + (growing ? 1 : 0);
    },
    stats: () => ({ ...stats }),
    run(step: number, items: readonly string[], runOptions: RunOptions = {}): Promise<StepRun> {
      if (closed) return Promise.reject(new K8streamError('TRANSFORM_FAILED', 'transform pool closed'));
      if (items.length === 0) return Promise.resolve({ results: [], micros: 0 });
      const tasks: Task[] = [];
      const done: Promise<void>[] = [];
      for (let at = 0; at < items.length; at += batchSize) {
        let resolve!: () => void;
        let reject!: (err: unknown) => void;
        done.push(
          new Promise<void>((res, rej) => {
            resolve = res;
            reject = rej;
          }),
        );
        const task: Task = { step, items: items.slice(at, at + batchSize), results: [], micros: 0, next: 0, diedAt: -1, stop: runOptions.stop, resolve, reject };
        tasks.push(task);
        queue.push(task);
      }
      pump();
      return Promise.all(done).then(() => {
        const results: (RunResult | null)[] = [];
        let micros = 0;
        for (const t of tasks) {
          for (const r of t.results) results.push(r);
          // Records left unsent because `stop` said so.
          for (let i = t.results.length; i < t.items.length; i++) results.push(null);
          micros += t.micros;
        }
        return { results, micros };
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const failure = new K8streamError('TRANSFORM_FAILED', 'transform pool closed');
      for (const t of queue.splice(0)) t.reject(failure);
      const all = [...slots];
      slots = [];
      for (const s of all) {
        disarm(s);
        s.gone = true;
        s.task?.reject(failure);
        s.task = null;
      }
      const pendingSpare = spare;
      spare = null;
      await Promise.all([...all.map((s) => s.worker.terminate()), pendingSpare?.then((s) => s.worker.terminate()).catch(() => undefined)]);
    },
  };
}
