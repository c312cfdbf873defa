/**
 * Faults on a timer: a storm schedules faults that arrive at given times whether or not a
 * request is in flight. An arrived fault is pending until the next request it matches (several
 * can be pending; they apply in arrival order, one per request); a `live` stream fault arriving
 * while a matching watch is open acts on that stream at once instead. At `healthyAtMs` (or
 * `end()`) the storm is over: pending faults are dropped, silences end and faults waiting on
 * open streams are cancelled — from then on the server is healthy.
 */
import type { Fault, FaultMatcher, FaultRule, RequestInfo, Verb } from './faults.js';

/** One fault of a schedule. */
export interface ScheduledFault extends FaultMatcher {
  /** When it arrives, in ms after the schedule starts. */
  atMs: number;
  fault: Fault;
  /**
   * For `closeStream`, `reset`, `error410` and `silent`: when a matching watch is open as the
   * fault arrives, it acts on that open stream now (every open one that matches; `afterEvents`
   * is ignored). Otherwise, and for other faults, it waits for the next matching request.
   */
  live?: boolean;
  /** Only first list pages (no `continue`), or only continuation pages. @default either */
  page?: 'first' | 'continue';
}

/** What a storm may do to requests in progress (provided by the server). */
export interface LiveRequests {
  /** Applies `fault` now to the open watches `matcher` selects; returns how many it hit. */
  inject(matcher: FaultMatcher, fault: Fault): number;
  /** Ends every silence (silent watches catch up, silent requests are answered) and drops stream faults not yet triggered. */
  heal(): void;
}

/** Where the storm takes its pending faults from: the server's fault queue. */
export interface FaultQueue {
  add(rule: FaultRule): { cancel(): void; readonly remaining: number };
}

/** A fault the storm applied. */
export interface AppliedFault {
  /** When it was applied, in ms after the schedule started. */
  atMs: number;
  /** When it had arrived. */
  arrivedAtMs: number;
  fault: Fault;
  /** The request verb it was applied to; `open watch` for a live fault on an open stream. */
  on: Verb | 'open watch';
  /** Applied to a list continuation page. */
  continuePage: boolean;
}

export interface StormOptions {
  /** When the storm ends by itself, in ms after it starts. @default never (call `end()`) */
  healthyAtMs?: number;
  /** Verbs of entries that name none. @default ['list', 'watch'] */
  verbs?: readonly Verb[];
}

const STREAM_FAULTS = new Set<Fault['type']>(['closeStream', 'reset', 'error410', 'silent']);

/** A running schedule (see the module comment). */
export class FaultStorm {
  /** `performance.now()` when the schedule started. */
  readonly startedAt = performance.now();
  /** Faults applied so far, in order. */
  readonly applied: AppliedFault[] = [];
  /** Faults arrived so far. */
  arrived = 0;
  /** Resolves with `performance.now()` once the storm is over and the server healthy. */
  readonly healthy: Promise<number>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly waiting = new Set<{ cancel(): void; readonly remaining: number }>();
  private over = false;
  private resolveHealthy: (t: number) => void = () => {};
  private waiters: { pred: (s: FaultStorm) => boolean; resolve: () => void }[] = [];

  constructor(
    private readonly queue: FaultQueue,
    private readonly live: LiveRequests | undefined,
    entries: readonly ScheduledFault[],
    options: StormOptions = {},
  ) {
    this.healthy = new Promise((r) => (this.resolveHealthy = r));
    const verbs = options.verbs ?? ['list', 'watch'];
    for (const e of entries) this.timers.push(setTimeout(() => this.arrive(e, verbs), Math.max(0, e.atMs)));
    if (options.healthyAtMs !== undefined) this.timers.push(setTimeout(() => this.end(), Math.max(0, options.healthyAtMs)));
  }

  /** Arrived faults not yet applied. */
  get pending(): number {
    let n = 0;
    for (const h of this.waiting) n += h.remaining > 0 ? 1 : 0;
    return n;
  }

  /** Whether the storm is over. */
  get ended(): boolean {
    return this.over;
  }

  /** Resolves once `pred(storm)` holds (re-checked after every arrival and application). */
  until(pred: (s: FaultStorm) => boolean): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  private changed(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(this)) return true;
      w.resolve();
      return false;
    });
  }

  /** Ends the storm now: nothing pending, no silence, no fault waiting on an open stream. */
  end(): void {
    if (this.over) return;
    this.over = true;
    for (const t of this.timers) clearTimeout(t);
    for (const h of this.waiting) h.cancel();
    this.waiting.clear();
    this.live?.heal();
    this.resolveHealthy(performance.now());
    this.changed();
  }

  private elapsed(): number {
    return performance.now() - this.startedAt;
  }

  private arrive(e: ScheduledFault, verbs: readonly Verb[]): void {
    if (this.over) return;
    this.arrived++;
    const arrivedAtMs = this.elapsed();
    const { atMs: _at, fault, live, page, when, ...rest } = e;
    const matcher: FaultMatcher = { ...rest, verb: e.verb ?? verbs };
    const pageOk = (req: RequestInfo): boolean => page === undefined || (page === 'continue') === isContinue(req);
    matcher.when = when ? (req) => pageOk(req) && when(req) : pageOk;
    if (live === true && STREAM_FAULTS.has(fault.type) && this.live !== undefined) {
      const hit = this.live.inject({ ...matcher, verb: 'watch' }, fault);
      if (hit > 0) {
        this.applied.push({ atMs: arrivedAtMs, arrivedAtMs, fault, on: 'open watch', continuePage: false });
        this.changed();
        return;
      }
    }
    const handle = this.queue.add({
      ...matcher,
      fault,
      times: 1,
      onApply: (req) => {
        this.waiting.delete(handle);
        this.applied.push({ atMs: this.elapsed(), arrivedAtMs, fault, on: req.verb, continuePage: isContinue(req) });
        this.changed();
      },
    });
    this.waiting.add(handle);
    this.changed();
  }
}

function isContinue(req: RequestInfo): boolean {
  return req.verb === 'list' && (req.query.get('continue') ?? '') !== '';
}
