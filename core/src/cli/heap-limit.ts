/**
 * Applies the memory budget's V8 old-space limit to the `run` command's own process (issue 14).
 *
 * V8 reads `--max-old-space-size` only at start-up, and Node does not size it from a container's
 * limit, so the binary replaces itself once, before it loads anything else, with the same Node,
 * flags and arguments plus `--max-old-space-size=<budget>` (and `--max-semi-space-size=<budget>`
 * unless that is set: Node 24's default young generation alone is 192 MB): `process.execve`
 * (Node ≥ 22.15, not on Windows), which keeps the pid (PID 1 in a container still receives the signals), the
 * standard streams and the environment, and leaves no parent process behind to hold memory. It
 * costs one more Node start-up before the first log line (measured in docs/performance.md).
 *
 * Not done when: the command is not `run`; the operator already passed `--max-old-space-size`
 * (in Node's flags or NODE_OPTIONS, which then wins); {@link HEAP_REEXEC_ENV} says this process is
 * the re-executed one; there is nothing to add (no limit, and the semi-space already set); or `process.execve` is missing (then the run goes on
 * with V8's default heap and the start-up line says so).
 */
import { setFlagsFromString } from 'node:v8';
import { parseCli } from './args.js';
import { hasHeapFlag, hasSemiSpaceFlag, memoryBudget, readMemoryLimit } from '../util/memory-limit.js';

/**
 * Added to the re-executed process's environment, each unless the operator set it (musl ignores
 * both):
 *
 * - `MALLOC_MMAP_THRESHOLD_`: glibc's malloc raises its mmap threshold to the size of every large
 *   block freed (up to 32 MiB), after which blocks of that size come from the heap arena, and
 *   freed ones stay resident there. Fixed at its start value (128 KiB), every buffer that large is
 *   mapped on its own and unmapped when freed. Measured on the unlimited 100k sync: peak RSS
 *   153–161 → 147–148 MB at the same CPU.
 * - `MALLOC_ARENA_MAX`: glibc gives each thread that mallocs concurrently an arena of its own, up
 *   to 8 per core; V8's compiler and GC threads and libuv's pool (zlib, fs) made five, ~4 MB
 *   resident between them at idle, mostly freed blocks each arena keeps. Two: idle RSS −1 MB
 *   (bench I), the same CPU for a 50k-event sync (1.38–1.45 s against 1.41–1.46 s) and with
 *   `redact` (30k events: 1.89–2.10 s against 1.91–2.00 s).
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024), MALLOC_ARENA_MAX: '2' };

/**
 * Added to the re-exec's flags (unless the operator chose the tiers): no optimizing compiler
 * during start-up; {@link deferOptimization} turns them back on once the pipeline keeps the process busy.
 */
export const DEFER_FLAGS: readonly string[] = ['--no-turbofan', '--no-maglev'];

/** What undoes {@link DEFER_FLAGS} (`v8.setFlagsFromString`). */
export const RESUME_FLAGS = '--turbofan --maglev';

/** A V8 flag that decides the optimizing tiers (V8 also accepts `_` for `-` and `--nofoo`). */
const TIER_FLAG = /^--(no-?)?(turbofan|opt|maglev|jitless|lite-mode|always-turbofan|always-opt)(=|$)/;

/** Whether one of `flags` (Node's) decides the optimizing tiers. */
export function hasTierFlag(flags: readonly string[]): boolean {
  return flags.some((f) => TIER_FLAG.test(f.replace(/_/g, '-')));
}

/** Set (to the flags added) in the environment of the re-executed process. */
export const HEAP_REEXEC_ENV = 'K8STREAM_HEAP_REEXEC';

/** Set in a process re-executed a second time, once the config asked for transforms (never a third). */
export const HEAP_RESIZE_ENV = 'K8STREAM_HEAP_RESIZED';

export interface HeapPlanInput {
  /** The CLI arguments (after the script). */
  argv: readonly string[];
  execArgv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** The old-space limit the budget asks for (MB), null for none. */
  heapMb: number | null;
  /** The semi-space the budget asks for (MB), null for none. */
  semiSpaceMb: number | null;
  /** Whether `process.execve` exists. */
  canExec: boolean;
}

/** Why the heap limit is what it is, for the start-up line. */
export type HeapSetBy = 're-exec' | 'operator' | 'V8 default' | 'V8 default (no process.execve)' | 'V8 default (not re-executed)';

/** `flags`: what to add to Node's flags when re-executing. */
export type HeapPlan = { reexec: true; flags: string[] } | { reexec: false; setBy: HeapSetBy };

/** Whether `argv` (the CLI arguments) is the `run` command (the default) and parses. */
export function isRun(argv: readonly string[]): boolean {
  if (argv[0] === 'transform' || argv[0] === 'plugins') return false;
  try {
    return parseCli(argv).command === 'run';
  } catch {
    return false; // the command itself reports the error
  }
}

/**
 * Decides whether to re-exec (pure). In the process that runs the pipeline it also says who set
 * the heap limit; `reexec: true` there means nobody did (`runCli` embedded in another program).
 */
export function planHeapLimit(input: HeapPlanInput): HeapPlan {
  if (input.env[HEAP_REEXEC_ENV] !== undefined && hasHeapFlag(input.execArgv)) return { reexec: false, setBy: 're-exec' };
  if (hasHeapFlag(input.execArgv) || hasHeapFlag(input.env.NODE_OPTIONS)) return { reexec: false, setBy: 'operator' };
  if (!isRun(input.argv)) return { reexec: false, setBy: 'V8 default' };
  const flags = input.heapMb === null ? [] : [`--max-old-space-size=${input.heapMb}`];
  // V8's default young generation (192 MB in Node 24) would come on top of the old space; without
  // a limit it still keeps ~200 MB committed under load for nothing. The operator's value wins, and
  // the re-executed process has it in its flags, so it never re-execs again.
  if (input.semiSpaceMb !== null && !hasSemiSpaceFlag(input.execArgv) && !hasSemiSpaceFlag(input.env.NODE_OPTIONS)) {
    flags.push(`--max-semi-space-size=${input.semiSpaceMb}`);
  }
  if (flags.length === 0) return { reexec: false, setBy: 'V8 default' };
  // Only with another reason to re-exec: on its own it would not pay for a second start-up.
  if (!hasTierFlag(input.execArgv)) flags.push(...DEFER_FLAGS);
  if (!input.canExec) return { reexec: false, setBy: 'V8 default (no process.execve)' };
  return { reexec: true, flags };
}

/**
 * Re-executes this process with the budget's heap limit when {@link planHeapLimit} says so (then
 * it does not return); otherwise returns. Call it first thing in the binary.
 */
export function applyHeapLimit(argv: readonly string[]): void {
  let budget;
  try {
    budget = memoryBudget(readMemoryLimit().bytes);
  } catch {
    return; // an invalid K8STREAM_MEMORY_LIMIT: `run` reports it
  }
  const plan = planHeapLimit({
    argv,
    execArgv: process.execArgv,
    env: process.env,
    heapMb: budget.heapMb,
    semiSpaceMb: budget.semiSpaceMb,
    canExec: process.execve !== undefined,
  });
  // If execve itself fails (E2BIG, a sandbox), the run goes on with V8's default; the start-up line says so.
  if (plan.reexec) reexec(process.execArgv, plan.flags, argv, {});
}

/**
 * The re-executed process's environment (pure): {@link MALLOC_ENV} unless the operator set those,
 * the current environment, `extra`, and the flags added in {@link HEAP_REEXEC_ENV}.
 */
export function reexecEnv(
  env: Readonly<Record<string, string | undefined>>,
  flags: readonly string[],
  extra: Readonly<Record<string, string>> = {},
): Record<string, string | undefined> {
  return { ...MALLOC_ENV, ...env, ...extra, [HEAP_REEXEC_ENV]: flags.join(' ') };
}

/**
 * Replaces this process (`process.execve`, same pid) with the same Node, `execArgv` plus `flags`,
 * the same script and `argv`; the flags go in {@link HEAP_REEXEC_ENV}, `env` is added. Returns
 * only when that is not possible or execve failed.
 */
function reexec(execArgv: readonly string[], flags: readonly string[], argv: readonly string[], env: Record<string, string>): void {
  const execve = process.execve?.bind(process);
  const script = process.argv[1];
  if (execve === undefined || script === undefined) return;
  try {
    // The experimental-feature warning is emitted on the next tick, which this process never reaches.
    execve(process.execPath, [process.execPath, ...execArgv, ...flags, script, ...argv], reexecEnv(process.env, flags, env));
  } catch {
    // the caller runs on with the heap it has
  }
}

/**
 * The flags of a second re-exec (pure), or null: the first re-exec happens before the config is
 * read, so it sizes the heap for a run without transforms; a config with transforms needs room
 * for their workers (`memoryBudget`'s `transforms`). Only a process this binary re-executed
 * (its added flags in {@link HEAP_REEXEC_ENV}), only once, and only when the flags differ.
 */
export function planHeapResize(input: { env: Readonly<Record<string, string | undefined>>; heapMb: number; semiSpaceMb: number | null }): string[] | null {
  const added = input.env[HEAP_REEXEC_ENV];
  if (added === undefined || input.env[HEAP_RESIZE_ENV] !== undefined) return null;
  const before = added.split(' ').filter((f) => f !== '');
  const after = before.map((f) => {
    if (/^--max-old-space-size=/.test(f)) return `--max-old-space-size=${input.heapMb}`;
    if (/^--max-semi-space-size=/.test(f) && input.semiSpaceMb !== null) return `--max-semi-space-size=${input.semiSpaceMb}`;
    return f;
  });
  return after.join(' ') === before.join(' ') ? null : after;
}

/**
 * Re-executes this process once more with {@link planHeapResize}'s flags (then it does not
 * return), replacing the ones the first re-exec added; otherwise returns. Call it after the config
 * is read and before anything is logged or started.
 */
export function applyHeapResize(budget: { heapMb: number; semiSpaceMb: number | null }): void {
  const flags = planHeapResize({ env: process.env, heapMb: budget.heapMb, semiSpaceMb: budget.semiSpaceMb });
  if (flags === null) return;
  const added = new Set((process.env[HEAP_REEXEC_ENV] ?? '').split(' '));
  // If execve fails, the run goes on with the first re-exec's heap; the start-up line says what it is.
  reexec(
    process.execArgv.filter((f) => !added.has(f)),
    flags,
    process.argv.slice(2),
    { [HEAP_RESIZE_ENV]: '1' },
  );
}

export interface DeferOptions {
  /** Node's flags of this process. @default process.execArgv */
  execArgv?: readonly string[];
  /** Where the re-exec said which flags it added ({@link HEAP_REEXEC_ENV}). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default v8.setFlagsFromString */
  setFlags?: (flags: string) => void;
  /** This process's CPU time so far, µs (user + system, every thread). @default process.cpuUsage() */
  cpuMicros?: () => number;
  /** A clock in ms. @default performance.now */
  now?: () => number;
  /** Calls `fn` every `ms` (unref'd: it never keeps the process alive). @default setInterval */
  setTimer?: (fn: () => void, ms: number) => { unref(): unknown };
  /** @default clearInterval */
  clearTimer?: (timer: { unref(): unknown }) => void;
}

/** How often a deferred process looks at its CPU use. */
export const DEFER_SAMPLE_MS = 500;

/** The share of one core a sample must reach to count as busy. */
export const DEFER_BUSY_SHARE = 0.3;

/** Busy samples in a row that bring the optimizing tiers back. */
export const DEFER_BUSY_SAMPLES = 2;

/** Entries pulled within {@link DEFER_BURST_MS} that bring them back at once (an initial sync, a burst). */
export const DEFER_BURST_EVENTS = 2000;

/** The window of {@link DEFER_BURST_EVENTS}. */
export const DEFER_BURST_MS = 1000;

/** What {@link deferOptimization} returns. */
export interface DeferredTiers {
  /**
   * The pipeline works (`received`: the entries it pulled so far): from now on, look at the
   * process's CPU every {@link DEFER_SAMPLE_MS}; and {@link DEFER_BURST_EVENTS} entries within
   * {@link DEFER_BURST_MS} bring the tiers back at once. Cheap: the binary calls it at every chunk.
   */
  watch(received?: number): void;
  /** Turns the optimizing tiers back on now (once) and stops watching. */
  resume(): void;
  /** Whether they are still off. */
  readonly deferred: boolean;
}

/**
 * Keeps V8's optimizing compilers (Maglev, TurboFan) off until the process is busy: once
 * {@link DeferredTiers.watch} was called (the binary does at the pipeline's every chunk, the
 * first one when start-up's own work is over), a burst of {@link DEFER_BURST_EVENTS} entries
 * within {@link DEFER_BURST_MS} (a sync: the tiers are back after its first few pages), or
 * {@link DEFER_BUSY_SAMPLES} samples in a row that each used at least {@link DEFER_BUSY_SHARE}
 * of a core (work that is CPU-heavy at a low rate), turn them back on for good. They are off already in a
 * process the binary re-executed with {@link DEFER_FLAGS}; otherwise this turns them off
 * (`v8.setFlagsFromString`). Returns null, changing nothing, when the operator chose the tiers
 * with a Node flag.
 *
 * Why (issue 14, idle RSS): running a compiler once maps its code: ~7 MB of the node binary's
 * pages (TurboFan, Turboshaft, Maglev) that stay resident, and what it compiled stays too.
 * Loading `run`'s modules makes Node's module loader hot enough for V8 to optimise some forty of
 * its functions, code that never runs again; later, a few hundred events or a handful of
 * Prometheus scrapes are enough for it to optimise something. Measured (bench I and H, the
 * binary): a file sink idling after 100 events, 78 MB RSS with the tiers back at the first chunk
 * (the rule before this one), 70.6 MB with them off; 1,000 events/s with `redact` and two sinks,
 * 15.5% of a core and 129 MB with them on, 18.5% and 115 MB off. So they come back only when
 * there is work worth compiling for, at which point the ~0.4 s of interpreted work before is noise:
 * an initial sync, a transform chain under load. A cluster whose events cost little CPU keeps the
 * memory instead. The flags are process-wide: transform workers follow them.
 */
export function deferOptimization(options: DeferOptions = {}): DeferredTiers | null {
  const added = new Set((options.env ?? process.env)[HEAP_REEXEC_ENV]?.split(' ') ?? []);
  if (hasTierFlag((options.execArgv ?? process.execArgv).filter((f) => !added.has(f)))) return null;
  const setFlags = options.setFlags ?? setFlagsFromString;
  const cpuMicros =
    options.cpuMicros ??
    (() => {
      const u = process.cpuUsage();
      return u.user + u.system;
    });
  const now = options.now ?? (() => performance.now());
  const setTimer = options.setTimer ?? setInterval;
  const clearTimer = options.clearTimer ?? ((t) => clearInterval(t as NodeJS.Timeout));
  if (!DEFER_FLAGS.every((f) => added.has(f))) setFlags(DEFER_FLAGS.join(' '));
  let deferred = true;
  let timer: { unref(): unknown } | null = null;
  let busy = 0;
  let lastCpu = 0;
  let lastAt = 0;
  /** The current burst window: when it began, and the entries pulled before it. */
  let burstAt = 0;
  let burstBase: number | null = null;

  const resume = (): void => {
    if (!deferred) return;
    deferred = false;
    if (timer !== null) clearTimer(timer);
    timer = null;
    setFlags(RESUME_FLAGS);
  };
  const sample = (): void => {
    const cpu = cpuMicros();
    const at = now();
    const share = at > lastAt ? (cpu - lastCpu) / 1000 / (at - lastAt) : 0;
    lastCpu = cpu;
    lastAt = at;
    busy = share >= DEFER_BUSY_SHARE ? busy + 1 : 0;
    if (busy >= DEFER_BUSY_SAMPLES) resume();
  };
  return {
    watch(received?: number): void {
      if (!deferred) return;
      if (received !== undefined) {
        const at = now();
        if (burstBase === null || at - burstAt > DEFER_BURST_MS) {
          burstAt = at;
          burstBase = received;
        } else if (received - burstBase >= DEFER_BURST_EVENTS) {
          resume();
          return;
        }
      }
      if (timer !== null) return;
      lastCpu = cpuMicros();
      lastAt = now();
      timer = setTimer(sample, DEFER_SAMPLE_MS);
      timer.unref();
    },
    resume,
    get deferred() {
      return deferred;
    },
  };
}
