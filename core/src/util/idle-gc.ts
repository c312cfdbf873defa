/**
 * Gives memory back once a thread goes quiet (issue 14, idle RSS).
 *
 * V8 keeps what a burst of work made it commit: the young generation stays at the size it grew
 * to (up to three 8 MB semi-spaces on the main thread), freed old-space pages stay in V8's pool,
 * and the bytecode of functions that ran once (start-up, config loading) stays compiled. It
 * gives them back only in a memory-reducing full collection, which its own memory reducer
 * starts late (8 s after a full GC, only once the heap grew) or never at a steady idle.
 *
 * {@link startIdleGc} runs that collection once a thread has seen no work for `idleMs`: one
 * full GC per quiet period (measured: 10–30 ms on the main thread after start-up), never while
 * work keeps arriving, and not again in a later quiet period unless the heap grew by
 * `minGrowthBytes` since the last one (sparse traffic does not pay a full GC per event).
 * Measured on the binary idling after 100 events (bench I): 90.5 → ~80 MB RSS (file sink).
 *
 * This module imports nothing, so the transform worker loads it at no cost; the thread that
 * starts the process's workers calls {@link exposeGc} first (util/expose-gc.ts).
 */

/** V8's `gc()` (from `--expose-gc`) with the options this module uses. */
export type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** The `gc` V8 installs on a context's global object under `--expose-gc`, if it did. */
export function globalGc(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
}

export interface IdleGcOptions {
  /** How long without {@link IdleGc.activity} before collecting. @default {@link IDLE_GC_MS} */
  idleMs?: number;
  /** Heap growth (bytes of `heapBytes()`) since the last idle collection that makes another worth it. @default 2 MiB */
  minGrowthBytes?: number;
  /** The collector. */
  gc: GcFunction;
  /** This thread's committed heap. @default `process.memoryUsage().heapTotal` */
  heapBytes?: () => number;
  /** A clock in ms. @default performance.now */
  now?: () => number;
  /** After each idle collection (logging, tests). */
  onCollect?: (info: { ms: number; heapBefore: number; heapAfter: number }) => void;
}

export interface IdleGc {
  /** Work happened: the thread is not idle; a later quiet period may collect. Cheap (a clock read). */
  activity(): void;
  /** Cancels the timer; no collection happens after this. */
  stop(): void;
}

/** Quiet time before an idle collection. */
export const IDLE_GC_MS = 2000;

/**
 * Collects (see the module comment) once no {@link IdleGc.activity} was reported for `idleMs`
 * after the last one. The timer is unref'd: it never keeps the process alive.
 */
export function startIdleGc(options: IdleGcOptions): IdleGc {
  const idleMs = options.idleMs ?? IDLE_GC_MS;
  const minGrowth = options.minGrowthBytes ?? 2 * 1024 * 1024;
  const now = options.now ?? (() => performance.now());
  const heapBytes = options.heapBytes ?? (() => process.memoryUsage().heapTotal);
  const { gc } = options;
  let last = now();
  /** Work was reported since the last collection (or start). */
  let worked = false;
  /** The heap right after the last idle collection; null before the first. */
  let collectedAt: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const arm = (ms: number): void => {
    timer = setTimeout(check, Math.max(1, Math.ceil(ms)));
    timer.unref();
  };

  function check(): void {
    timer = null;
    if (stopped || !worked) return;
    const quiet = now() - last;
    if (quiet < idleMs) {
      arm(idleMs - quiet);
      return;
    }
    worked = false;
    const heapBefore = heapBytes();
    if (collectedAt !== null && heapBefore < collectedAt + minGrowth) return;
    const t0 = now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const heapAfter = heapBytes();
    collectedAt = heapAfter;
    options.onCollect?.({ ms: now() - t0, heapBefore, heapAfter });
  }

  return {
    activity() {
      last = now();
      worked = true;
      if (timer === null && !stopped) arm(idleMs);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
