/**
 * The memory limit this process runs under, and what k8stream sizes from it (issue 14).
 *
 * Node does not size V8 from a container's limit: inside a 128 MiB cgroup
 * `process.constrainedMemory()` says 128 MiB but V8's `heap_size_limit` stays ~259 MB, so the
 * heap may outgrow the container and the kernel OOM-kills the process. k8stream therefore reads
 * the limit itself ({@link readMemoryLimit}) and derives a {@link MemoryBudget} from it
 * ({@link memoryBudget}, a pure function): the main thread's old-space limit (applied by the CLI,
 * which re-execs itself with `--max-old-space-size`, see cli/heap-limit.ts), each transform
 * worker's `resourceLimits.maxOldGenerationSizeMb`, the number of transform workers and the
 * per-sink `queue.maxBytes` when the config leaves it unset.
 *
 * Where the limit comes from, first match wins:
 * 1. `K8STREAM_MEMORY_LIMIT` (a size: `128Mi`, `512MiB`, `2G`, bytes; `none` or `0` = no limit):
 *    for operators whose limit is not a cgroup one, and for tests that simulate a container;
 * 2. otherwise the smallest real limit among cgroup v2 `memory.max` and cgroup v1
 *    `memory.limit_in_bytes` (of this process's own group, read from /proc/self/cgroup, and of
 *    its ancestors: a pod's limit sits on the parent of the container's group) and
 *    `process.constrainedMemory()`. `max`, 0 and v1's "unlimited" (2^63 rounded down to a page)
 *    are not limits.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';
import { K8streamError } from '../errors.js';
import { tryParseSize } from '../schema/size.js';

/** The environment variable that overrides the detected limit. */
export const MEMORY_LIMIT_ENV = 'K8STREAM_MEMORY_LIMIT';

const MiB = 1024 * 1024;
/** At or above this, a cgroup value means "no limit" (v1 writes 2^63 rounded down to a page). */
const UNLIMITED = 2 ** 60;

export interface MemoryLimit {
  /** The limit in bytes, or null when there is none. */
  bytes: number | null;
  /** Where it was read: `K8STREAM_MEMORY_LIMIT`, `cgroup v2`, `cgroup v1`, `constrainedMemory` or `none`. */
  source: 'K8STREAM_MEMORY_LIMIT' | 'cgroup v2' | 'cgroup v1' | 'constrainedMemory' | 'none';
  /** The file it was read from (cgroups only). */
  file?: string;
}

/** Where {@link readMemoryLimit} looks; every part injectable for tests. */
export interface MemoryLimitSources {
  /** Only `K8STREAM_MEMORY_LIMIT` is read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default /proc/self/cgroup */
  procSelfCgroup?: string;
  /** Where the cgroup hierarchies are mounted (v2 at the root, v1's at `<root>/memory`). @default /sys/fs/cgroup */
  cgroupRoot?: string;
  /** @default process.constrainedMemory */
  constrainedMemory?: () => number | undefined;
}

/** A limit value from a cgroup file or `constrainedMemory`, or null when it is no limit. */
function realLimit(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) && value > 0 && value < UNLIMITED ? value : null;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The group path and each ancestor's, deepest first: `/a/b` → `/a/b`, `/a`, `/`. */
function groupAndAncestors(path: string): string[] {
  const out: string[] = [];
  let p = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = posix.dirname(p);
  }
}

/** The smallest limit in `file` under the group dir and its ancestors (the hierarchy's smallest applies). */
function smallestInGroup(mount: string, group: string, file: string): { bytes: number; file: string } | null {
  let best: { bytes: number; file: string } | null = null;
  for (const dir of groupAndAncestors(group)) {
    const path = posix.join(mount, dir, file);
    const text = readText(path)?.trim();
    if (text === undefined || text === 'max') continue;
    const bytes = realLimit(Number(text));
    if (bytes !== null && (best === null || bytes < best.bytes)) best = { bytes, file: path };
  }
  return best;
}

/**
 * The memory limit of this process (see the module doc for the order). Never throws: an
 * unreadable file or an invalid value counts as no limit; an invalid `K8STREAM_MEMORY_LIMIT`
 * throws, so a typo does not silently run unlimited.
 */
export function readMemoryLimit(sources: MemoryLimitSources = {}): MemoryLimit {
  const env = sources.env ?? process.env;
  const override = env[MEMORY_LIMIT_ENV]?.trim();
  if (override !== undefined && override !== '') {
    if (/^(none|unlimited|max)$/i.test(override)) return { bytes: null, source: MEMORY_LIMIT_ENV };
    const bytes = tryParseSize(override);
    if (bytes === undefined) {
      throw new K8streamError('CONFIG_INVALID', `${MEMORY_LIMIT_ENV}: expected a size such as 128Mi, 512MiB or 2G (or "none"), got ${JSON.stringify(override)}`);
    }
    return { bytes: bytes === 0 ? null : bytes, source: MEMORY_LIMIT_ENV };
  }

  const root = sources.cgroupRoot ?? '/sys/fs/cgroup';
  const candidates: MemoryLimit[] = [];
  const lines = (readText(sources.procSelfCgroup ?? '/proc/self/cgroup') ?? '').split('\n');
  for (const line of lines) {
    // hierarchy-ID:controller-list:cgroup-path (the path may contain ':')
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const group = line.slice(second + 1);
    if (id === '0' && controllers === '') {
      const v2 = smallestInGroup(root, group, 'memory.max');
      if (v2) candidates.push({ bytes: v2.bytes, source: 'cgroup v2', file: v2.file });
    } else if (controllers.split(',').includes('memory')) {
      const v1 = smallestInGroup(posix.join(root, 'memory'), group, 'memory.limit_in_bytes');
      if (v1) candidates.push({ bytes: v1.bytes, source: 'cgroup v1', file: v1.file });
    }
  }
  const constrained = realLimit((sources.constrainedMemory ?? (() => process.constrainedMemory()))());
  if (constrained !== null) candidates.push({ bytes: constrained, source: 'constrainedMemory' });

  let best: MemoryLimit = { bytes: null, source: 'none' };
  for (const c of candidates) {
    // Ties keep the cgroup reading (it names its file).
    if (best.bytes === null || c.bytes! < best.bytes) best = c;
  }
  return best;
}

/** What k8stream sizes from the memory limit. */
export interface MemoryBudget {
  /** The limit it was derived from (bytes), null when there is none. */
  limitBytes: number | null;
  /** The main thread's V8 old-space limit (`--max-old-space-size`, MB). */
  heapMb: number;
  /**
   * The main thread's V8 semi-space (`--max-semi-space-size`, MB; the young generation is three
   * of them); null: V8's default, which in Node 24 is 64 MB, a 192 MB young generation on top of
   * the old space.
   */
  semiSpaceMb: number | null;
  /** A sink's `queue.maxBytes` when the config leaves it unset (bytes of JSON text). */
  queueMaxBytes: number;
  /** Each transform worker's `resourceLimits.maxOldGenerationSizeMb`; null: V8's default. */
  workerHeapMb: number | null;
  /** Transform worker threads. */
  transformWorkers: number;
  /**
   * Most events the source tracks per watch (one entry per event the API server holds, ~130 bytes
   * each); past it the least recently changed are evicted (source/kubernetes/tracker.ts).
   */
  trackedEvents: number;
}

/** The queue bound without a limit: the default it had before limits were read. */
export const UNLIMITED_QUEUE_MAX_BYTES = 64 * MiB;
/** Below this limit, one transform worker (each costs ~30 MB of RSS idle). */
const TWO_WORKERS_FROM = 512 * MiB;

/**
 * What one transform worker takes beside the main thread under load (MiB): its isolate, Node's
 * bootstrap in it, its heap and the module's memory. Measured: `redact` over a 25,000-event sync
 * in 96 MiB was OOM-killed with the main heap at 55% of the limit (52 MB), and fit with 40 MB.
 */
const WORKER_ALLOWANCE_MB = 24;

/** Tracked events without a limit: ~130 MB of entries. */
const UNLIMITED_TRACKED_EVENTS = 1_000_000;

/** The old space without a limit (MB). */
const UNLIMITED_HEAP_MB = 1024;

/** The semi-space without a limit (MB): the largest the budget gives, measured to cost no throughput. */
const UNLIMITED_SEMI_SPACE_MB = 8;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * The budget for a limit (bytes, null = none) on `cores` cores. Pure. With a limit:
 * - heap: 55% of the limit, at least 32 MB and at most 4096 MB — the rest is for Node itself
 *   (~40 MB of code and native memory), worker heaps and wasm memories, buffers and zlib;
 * - semi-space: 1/32 of the limit, 1 to 8 MB (the young generation is three semi-spaces: 12 MB
 *   under 128 MiB; the image's `--max-semi-space-size=8` was measured to cost no throughput);
 * - queue: 1/16 of the limit per sink, from 4 MiB to 64 MiB (the JSON text; on the heap it costs
 *   about twice that);
 * - worker heap: 10% of the limit, from 32 to 256 MB (a transform worker's JS is a thin loop
 *   around the wasm call; the cap turns a runaway worker into a worker crash, which the pool
 *   survives, instead of an OOM kill of the whole process);
 * - one transform worker under 512 MiB, else two (one on a single core); with `transforms`
 *   configured, heap and semi-space come from the limit less 24 MiB per worker;
 * - tracked events: one per KiB of the limit, 20,000 to 1,000,000 (~12% of the limit at ~130
 *   bytes each: 131,072 under 128 MiB, more than a 100,000-event cluster holds).
 * Without a limit: a 1 GiB old space, an 8 MB semi-space (V8's default young generation
 * kept ~200 MB committed under load for no throughput gain: RSS 310 → 190 MB at 1,000 events/s),
 * 64 MiB queues, two workers and 1,000,000 tracked events. The old-space cap is a ceiling far above need (7 million tracked
 * events) that also tempers V8's heap growth, which scales with the cap: under V8's default
 * (4 GiB on a 16 GiB machine) a 100,000-event sync peaked at 217–241 MB of RSS, under 1 GiB at
 * 162–176 MB, for the same CPU.
 */
export function memoryBudget(limitBytes: number | null, cores: number = availableParallelism(), transforms = 0): MemoryBudget {
  const maxWorkers = Math.max(1, Math.min(2, cores));
  if (limitBytes === null) {
    return {
      limitBytes: null,
      heapMb: UNLIMITED_HEAP_MB,
      semiSpaceMb: UNLIMITED_SEMI_SPACE_MB,
      queueMaxBytes: UNLIMITED_QUEUE_MAX_BYTES,
      workerHeapMb: null,
      transformWorkers: maxWorkers,
      trackedEvents: UNLIMITED_TRACKED_EVENTS,
    };
  }
  const limitMb = limitBytes / MiB;
  const workers = limitBytes < TWO_WORKERS_FROM ? 1 : maxWorkers;
  // With transforms, the main thread's heap is sized from what their workers leave.
  const mainMb = transforms > 0 ? Math.max(32, limitMb - workers * WORKER_ALLOWANCE_MB) : limitMb;
  return {
    limitBytes,
    heapMb: clamp(Math.floor(mainMb * 0.55), 32, 4096),
    semiSpaceMb: clamp(Math.floor(mainMb / 32), 1, 8),
    queueMaxBytes: clamp(Math.floor(limitBytes / 16 / MiB) * MiB, 4 * MiB, 64 * MiB),
    workerHeapMb: clamp(Math.floor(limitMb * 0.1), 32, 256),
    transformWorkers: workers,
    trackedEvents: clamp(Math.floor(limitBytes / 1024), 20_000, UNLIMITED_TRACKED_EVENTS),
  };
}

/** `--max-old-space-size` (or its `_` spelling) in a list of Node flags or a NODE_OPTIONS string. */
export function hasHeapFlag(flags: readonly string[] | string | undefined): boolean {
  return hasFlag(flags, /^--max[-_]old[-_]space[-_]size(=|$)/);
}

/** `--max-semi-space-size` (or its `_` spelling) in a list of Node flags or a NODE_OPTIONS string. */
export function hasSemiSpaceFlag(flags: readonly string[] | string | undefined): boolean {
  return hasFlag(flags, /^--max[-_]semi[-_]space[-_]size(=|$)/);
}

function hasFlag(flags: readonly string[] | string | undefined, flag: RegExp): boolean {
  if (flags === undefined) return false;
  const list = typeof flags === 'string' ? flags.split(/\s+/) : flags;
  return list.some((f) => flag.test(f));
}
