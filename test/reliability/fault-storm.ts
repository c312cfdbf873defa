/**
 * The fault-storm property: for a seed, the API-server double runs a random fault schedule
 * (randomFaultSchedule) while a simulated cluster writes events, and the k8stream Kubernetes
 * events source consumes them in-process. Once the server is healthy again:
 *
 * - every event version the server produced is delivered, or covered by a gap marker (a
 *   version superseded inside the marker's resourceVersion window, which the re-list after a
 *   410 cannot show) — `lost` counts the rest and must be 0;
 * - the source is watching again within the recovery target: 5 s plus the largest Retry-After
 *   still in effect when the server became healthy, at most 35 s. Recovery is measured on the
 *   server: from the healthy moment to the opening of the watch stream the source is on at the
 *   end (0 when that stream was already open).
 *
 * The modules come from a {@link StormKit}, so the same property runs against the TypeScript
 * sources under vitest (core/src/source/kubernetes/fault-storm.test.ts) and against the build
 * in `npm run reliability` (storm-kit.ts). The source runs with its production timings.
 */
import type { AppliedFault, RandomSchedule, RandomScheduleOptions, ScheduledFault, StormOptions, WatchRecord } from '@k8stream/apiserver-double';

/** The parts of the API-server double a storm uses. */
export interface StormServer {
  readonly store: { readonly resourceVersion: number };
  readonly faults: { schedule(entries: readonly ScheduledFault[], options?: StormOptions): StormHandle };
  readonly stats: { readonly watchLog: readonly WatchRecord[] };
  kubeconfig(): string;
  close(): Promise<void>;
}

/** The parts of a running storm the property reads. */
export interface StormHandle {
  readonly applied: readonly AppliedFault[];
  readonly healthy: Promise<number>;
  readonly startedAt: number;
}

/** The parts of the cluster simulation used. */
export interface StormSimulation {
  readonly produced: readonly string[];
  emit(n: number): unknown;
  run(opts: { rate: number; signal?: AbortSignal }): Promise<number>;
}

/** The k8stream source, with its context bound by the kit. */
export interface StormSource {
  stream(signal: AbortSignal): AsyncIterable<readonly { object: Record<string, unknown> }[]>;
  state(): { synced: boolean; watching: boolean };
  counters(): { gaps: number };
  onChange(listener: () => void): () => void;
}

/** Where the modules come from (sources or build). */
export interface StormKit {
  startApiServer(options: { bookmarkIntervalMs?: number }): Promise<StormServer>;
  createClusterSimulation(store: StormServer['store'], options: { seed: number }): StormSimulation;
  randomFaultSchedule(options: RandomScheduleOptions): RandomSchedule;
  /** The events source against `server`, production timings, cluster-wide. */
  createSource(server: StormServer, config: { pageSize: number; watchTimeoutSeconds: number }): StormSource;
}

/** How big a storm is. */
export interface StormProfile {
  durationMs: number;
  meanGapMs: number;
  maxRetryAfterSeconds: number;
  maxSilentMs: number;
  /** Event writes per second during the storm. */
  rate: number;
  /** The source's list page size (small, so re-lists have continuation pages to fail). */
  pageSize: number;
}

export const STORM_PROFILES = {
  short: { durationMs: 2_500, meanGapMs: 120, maxRetryAfterSeconds: 1, maxSilentMs: 800, rate: 150, pageSize: 25 },
  long: { durationMs: 6_000, meanGapMs: 150, maxRetryAfterSeconds: 3, maxSilentMs: 2_000, rate: 300, pageSize: 50 },
} as const satisfies Record<string, StormProfile>;

/** The recovery target: 5 s + the largest Retry-After in effect at the healthy moment, at most 35 s. */
export const RECOVERY_BASE_MS = 5_000;
export const RECOVERY_CAP_MS = 35_000;

/** Events written when the server is healthy again: the watch must bring them. */
const TAIL_EVENTS = 10;
/** How long after the recovery target the property waits for delivery before it reports what is missing. */
const GRACE_MS = 5_000;

export interface StormResult {
  seed: number;
  /** Event versions (uid:resourceVersion) the server produced. */
  produced: number;
  /** Produced versions the source delivered. */
  delivered: number;
  /** Produced versions not delivered, inside a gap marker's window and superseded there. */
  covered: number;
  /** Produced versions neither delivered nor covered. */
  lost: number;
  /** Versions delivered more than once. */
  duplicated: number;
  /** Delivered ids the server never produced. */
  unknown: number;
  gapMarkers: number;
  faultsScheduled: number;
  faultsApplied: number;
  /** Healthy moment → the source's final watch stream opened; null if not watching at the end. */
  recoveryMs: number | null;
  targetMs: number;
  /** The largest Retry-After (s) still in effect at the healthy moment. */
  retryAfterInEffect: number;
  /** The first few lost ids, for the report. */
  lostIds: string[];
  /** What the storm applied, for the report (`429 list`, `silent open watch`…). */
  appliedLabels: string[];
}

const GAP = /^k8stream-gap-(\d+)-(\d+)$/;

/** Runs the property for one seed (its random schedule, or `schedule` when given). */
export async function runStorm(kit: StormKit, seed: number, profile: StormProfile, schedule: RandomSchedule = kit.randomFaultSchedule({ seed, ...profile })): Promise<StormResult> {
  const server = await kit.startApiServer({});
  const stop = new AbortController();
  try {
    const sim = kit.createClusterSimulation(server.store, { seed });
    const source = kit.createSource(server, { pageSize: profile.pageSize, watchTimeoutSeconds: 300 });
    const got = consume(source, stop.signal);
    await got.until(() => source.state().synced && source.state().watching);
    const startRv = server.store.resourceVersion;

    const storm = server.faults.schedule(schedule.entries, { healthyAtMs: schedule.healthyAtMs });
    const writing = new AbortController();
    const written = sim.run({ rate: profile.rate, signal: writing.signal });
    const healthyAt = await storm.healthy;
    writing.abort();
    await written;
    sim.emit(TAIL_EVENTS);

    const retryAfterInEffect = retryAfterAt(storm.applied, healthyAt - storm.startedAt);
    const targetMs = Math.min(RECOVERY_CAP_MS, RECOVERY_BASE_MS + retryAfterInEffect * 1000);
    const ledger = new Ledger(sim.produced, startRv);
    const settled = got.until(() => {
      ledger.read(got.items);
      return ledger.missing() === 0 && source.state().watching;
    });
    // A deadline past the worst allowed recovery, so a slow seed still reports its figures.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, healthyAt + RECOVERY_CAP_MS + GRACE_MS - performance.now()))));
    await Promise.race([settled, deadline, got.finished]);
    clearTimeout(timer);
    ledger.read(got.items);

    const open = server.stats.watchLog.filter((w) => w.closedAt === null).at(-1);
    return {
      seed,
      ...ledger.counts(),
      faultsScheduled: schedule.entries.length,
      faultsApplied: storm.applied.length,
      recoveryMs: open === undefined || !source.state().watching ? null : Math.max(0, Math.round(open.openedAt - healthyAt)),
      targetMs,
      retryAfterInEffect,
      appliedLabels: storm.applied.map(label),
    };
  } finally {
    stop.abort();
    await server.close();
  }
}

/** The largest Retry-After (s) of a 429 applied before `atMs` whose wait reaches past it. */
export function retryAfterAt(applied: readonly AppliedFault[], atMs: number): number {
  let max = 0;
  for (const a of applied) {
    const f = a.fault;
    if (f.type !== 'http' || f.status !== 429 || a.atMs > atMs) continue;
    const ra = f.retryAfterSeconds ?? 1;
    if (a.atMs + ra * 1000 > atMs) max = Math.max(max, ra);
  }
  return max;
}

function label(a: AppliedFault): string {
  const f = a.fault;
  const what = f.type === 'http' ? `${f.status}${f.status === 429 ? ` (Retry-After ${f.retryAfterSeconds ?? 1})` : ''}` : f.type;
  return `${Math.round(a.atMs)}ms ${what} ${a.on}${a.continuePage ? ' continue' : ''}`;
}

/**
 * Produced versions against delivered ones and gap markers. A version not delivered is covered
 * when a marker's window (from, to] holds it and a later version of the same event, also at or
 * before `to`, superseded it there: the re-list at `to` could only show the later one. Markers
 * whose windows touch count as one gap (a re-list that broke off and started over announces
 * the stretch to its new revision with a second marker).
 */
export class Ledger {
  private readonly versions = new Map<string, number[]>();
  private readonly expected: { id: string; uid: string; rv: number }[] = [];
  private readonly seen = new Map<string, number>();
  private readonly gaps: { from: number; to: number }[] = [];
  private cursor = 0;
  private readonly produced: ReadonlySet<string>;

  constructor(produced: readonly string[], startRv: number) {
    this.produced = new Set(produced);
    for (const id of produced) {
      const [uid, rv] = splitId(id);
      const list = this.versions.get(uid);
      if (list) list.push(rv);
      else this.versions.set(uid, [rv]);
    }
    // Versions superseded before the source's first list were never observable.
    for (const id of produced) {
      const [uid, rv] = splitId(id);
      if (rv > startRv || this.versions.get(uid)!.every((o) => o <= rv || o > startRv)) this.expected.push({ id, uid, rv });
    }
  }

  /** Takes in what was added to `items` (everything delivered so far, one growing array) since the last call. */
  read(items: readonly Record<string, unknown>[]): void {
    for (; this.cursor < items.length; this.cursor++) {
      const meta = items[this.cursor]!['metadata'] as { uid?: unknown; resourceVersion?: unknown } | undefined;
      const uid = String(meta?.uid);
      const gap = GAP.exec(uid);
      if (gap) this.gaps.push({ from: Number(gap[1]), to: Number(gap[2]) });
      else {
        const id = `${uid}:${String(meta?.resourceVersion)}`;
        this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
      }
    }
  }

  private covered(uid: string, rv: number): boolean {
    return this.windows().some((g) => g.from < rv && rv <= g.to && this.versions.get(uid)!.some((o) => o > rv && o <= g.to));
  }

  /** The markers' windows, with touching or overlapping ones merged: (a, b] and (b, c] announce one gap (a, c]. */
  private windows(): { from: number; to: number }[] {
    const sorted = [...this.gaps].sort((x, y) => x.from - y.from);
    const out: { from: number; to: number }[] = [];
    for (const g of sorted) {
      const last = out.at(-1);
      if (last !== undefined && g.from <= last.to) last.to = Math.max(last.to, g.to);
      else out.push({ ...g });
    }
    return out;
  }

  /** Expected versions neither delivered nor covered yet. */
  missing(): number {
    let n = 0;
    for (const e of this.expected) if (!this.seen.has(e.id) && !this.covered(e.uid, e.rv)) n++;
    return n;
  }

  counts(): Pick<StormResult, 'produced' | 'delivered' | 'covered' | 'lost' | 'duplicated' | 'unknown' | 'gapMarkers' | 'lostIds'> {
    let delivered = 0;
    let covered = 0;
    const lostIds: string[] = [];
    for (const e of this.expected) {
      if (this.seen.has(e.id)) delivered++;
      else if (this.covered(e.uid, e.rv)) covered++;
      else lostIds.push(e.id);
    }
    let duplicated = 0;
    let unknown = 0;
    for (const [id, n] of this.seen) {
      if (n > 1) duplicated++;
      if (!this.produced.has(id)) unknown++;
    }
    return { produced: this.expected.length, delivered, covered, lost: lostIds.length, duplicated, unknown, gapMarkers: this.gaps.length, lostIds: lostIds.slice(0, 10) };
  }
}

function splitId(id: string): [string, number] {
  const i = id.lastIndexOf(':');
  return [id.slice(0, i), Number(id.slice(i + 1))];
}

/** The source consumed in the background; `until` re-checks on every chunk and state change. */
function consume(source: StormSource, signal: AbortSignal): { items: Record<string, unknown>[]; finished: Promise<void>; until(pred: () => boolean): Promise<void> } {
  const items: Record<string, unknown>[] = [];
  let waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const changed = (): void => {
    waiters = waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  };
  source.onChange(changed);
  const finished = (async () => {
    for await (const chunk of source.stream(signal)) {
      for (const item of chunk) items.push(item.object);
      changed();
    }
  })();
  finished.catch(() => {}); // seen through the race in runStorm; not unhandled after it
  return {
    items,
    finished,
    until: (pred) => (pred() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve }))),
  };
}

/** Runs `seeds` with at most `concurrency` at a time; results in seed order. */
export async function runStorms(kit: StormKit, seeds: readonly number[], profile: StormProfile, concurrency: number, onResult?: (r: StormResult) => void): Promise<StormResult[]> {
  const results = new Map<number, StormResult>();
  const queue = [...seeds];
  const worker = async (): Promise<void> => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      const r = await runStorm(kit, seed, profile);
      results.set(seed, r);
      onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, seeds.length) }, worker));
  return seeds.map((s) => results.get(s)!);
}

/** Whether a seed kept the property; the reasons it did not, as sentences. */
export function stormViolations(r: Pick<StormResult, 'lost' | 'duplicated' | 'unknown' | 'recoveryMs' | 'targetMs'>): string[] {
  const out: string[] = [];
  if (r.lost > 0) out.push(`${r.lost} versions lost`);
  if (r.duplicated > 0) out.push(`${r.duplicated} versions delivered twice`);
  if (r.unknown > 0) out.push(`${r.unknown} delivered ids never produced`);
  if (r.recoveryMs === null) out.push('not watching at the end');
  else if (r.recoveryMs > r.targetMs) out.push(`recovery ${(r.recoveryMs / 1000).toFixed(1)} s > target ${(r.targetMs / 1000).toFixed(1)} s`);
  return out;
}

/** The `q` quantile (0…1) of `values` (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
