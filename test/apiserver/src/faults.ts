/**
 * Fault injection. Tests queue rules (`add`, `next`); each request takes the first rule that
 * matches its verb/resource/namespace/name and applies the rule's fault: HTTP error statuses,
 * delays, empty 200s, stalls, abrupt socket resets, and — on watch streams — a clean close,
 * a reset or an in-stream ERROR 410 after N events.
 */
import { resolveResource, resourceId, type ResourceType } from './resources.js';
import type { StatusReason } from './status.js';
import { FaultStorm, type LiveRequests, type ScheduledFault, type StormOptions } from './storm.js';

/** Request verbs, as in RBAC, plus `discovery` for /api, /apis, /version… */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'discovery';

/** A fault to apply to one request. */
export type Fault =
  /** End a watch cleanly after `afterEvents` events (default 0). Other verbs: close the connection (FIN) without answering. */
  | { type: 'closeStream'; afterEvents?: number }
  /** Destroy the socket abruptly (TCP RST), on a watch after `afterEvents` events. */
  | { type: 'reset'; afterEvents?: number }
  /** On a watch: an in-stream `ERROR` with a 410 Expired Status after `afterEvents` events, then end. Other verbs: HTTP 410. */
  | { type: 'error410'; afterEvents?: number }
  /** Answer with this HTTP status and a Status body (429 gets `Retry-After`). */
  | { type: 'http'; status: number; reason?: StatusReason; message?: string; retryAfterSeconds?: number }
  /** Wait `ms` before handling the request normally (or applying another matching fault). */
  | { type: 'delay'; ms: number }
  /** A 200 with an empty body (the real server does this for some stale event watches). */
  | { type: 'empty200' }
  /** Accept and send nothing (no headers); on a watch with `afterEvents`, go silent after N events. */
  | { type: 'stall'; afterEvents?: number }
  /**
   * A silent server, for `ms` (default: until healed — a storm's end — or the client gives up).
   * On a watch: headers, `afterEvents` events (default 0), then nothing at all, neither events
   * nor BOOKMARKs; when the silence ends the stream sends what it held back and streams again.
   * Other verbs: no answer until the silence ends, then the normal answer.
   */
  | { type: 'silent'; afterEvents?: number; ms?: number };

/** What a request is, as seen by matchers, stats and RBAC. */
export interface RequestInfo {
  verb: Verb;
  method: string;
  path: string;
  query: URLSearchParams;
  /** Undefined for discovery and unknown paths. */
  type?: ResourceType;
  /** `resourceId(type)`: `events`, `events.events.k8s.io`, `leases.coordination.k8s.io`… or `''`. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Which requests a rule applies to; omitted fields match anything. */
export interface FaultMatcher {
  /** `pods`, `events` (core), `events.events.k8s.io`, `leases`… */
  resource?: string;
  verb?: Verb | readonly Verb[];
  namespace?: string;
  name?: string;
  /** Any further condition. */
  when?: (req: RequestInfo) => boolean;
}

/** A queued fault. */
export interface FaultRule extends FaultMatcher {
  fault: Fault;
  /** How many requests it applies to. @default 1 (use Infinity for "always") */
  times?: number;
  /** Called with each request the rule is applied to. */
  onApply?: (req: RequestInfo) => void;
}

/** A handle on a queued rule. */
export interface FaultHandle {
  /** Requests this rule was applied to so far. */
  readonly hits: number;
  /** Applications left. */
  readonly remaining: number;
  /** Resolves when the rule has been applied `n` times (default 1). */
  applied(n?: number): Promise<void>;
  /** Removes the rule. */
  cancel(): void;
}

interface Rule {
  matcher: FaultMatcher;
  resourceId: string | undefined;
  fault: Fault;
  remaining: number;
  hits: number;
  waiters: { n: number; resolve: () => void }[];
  onApply: ((req: RequestInfo) => void) | undefined;
}

/** The fault queue of one server. */
export class Faults {
  private rules: Rule[] = [];
  private readonly live: LiveRequests | undefined;
  private readonly storms = new Set<FaultStorm>();

  /** `live` lets storms act on requests in progress (the server passes itself). */
  constructor(live?: LiveRequests) {
    this.live = live;
  }

  /**
   * Starts a storm: faults that arrive on a timer, pending until the next matching request (or
   * acting on an open watch, with `live`), until `healthyAtMs` or `end()`. See storm.ts.
   */
  schedule(entries: readonly ScheduledFault[], options: StormOptions = {}): FaultStorm {
    const storm = new FaultStorm(this, this.live, entries, options);
    this.storms.add(storm);
    void storm.healthy.then(() => this.storms.delete(storm));
    return storm;
  }

  /** Queues a rule; rules are tried in the order they were added. */
  add(rule: FaultRule): FaultHandle {
    const { fault, times, onApply, ...matcher } = rule;
    const r: Rule = {
      matcher,
      resourceId: matcher.resource === undefined ? undefined : resourceId(resolveResource(matcher.resource)),
      fault,
      remaining: times ?? 1,
      hits: 0,
      waiters: [],
      onApply,
    };
    this.rules.push(r);
    return {
      get hits() {
        return r.hits;
      },
      get remaining() {
        return r.remaining;
      },
      applied: (n = 1) => (r.hits >= n ? Promise.resolve() : new Promise<void>((resolve) => r.waiters.push({ n, resolve }))),
      cancel: () => {
        this.rules = this.rules.filter((x) => x !== r);
      },
    };
  }

  /** Queues a one-shot fault for the next request matching `matcher`. */
  next(matcher: FaultMatcher, fault: Fault): FaultHandle {
    return this.add({ ...matcher, fault, times: 1 });
  }

  /** Removes every queued rule and ends every storm. */
  clear(): void {
    for (const storm of [...this.storms]) storm.end();
    this.rules = [];
  }

  /** Rules still queued. */
  get pending(): number {
    return this.rules.length;
  }

  /**
   * Takes the fault for a request (consuming one application of the first matching rule), or
   * undefined. `skipDelays` ignores delay rules (used after a delay was applied).
   */
  take(req: RequestInfo, skipDelays = false): Fault | undefined {
    for (const r of this.rules) {
      if (skipDelays && r.fault.type === 'delay') continue;
      if (!matches(r, req)) continue;
      r.remaining--;
      r.hits++;
      if (r.remaining <= 0) this.rules = this.rules.filter((x) => x !== r);
      const ready = r.waiters.filter((w) => r.hits >= w.n);
      r.waiters = r.waiters.filter((w) => r.hits < w.n);
      for (const w of ready) w.resolve();
      r.onApply?.(req);
      return r.fault;
    }
    return undefined;
  }
}

/** Whether `req` is one `matcher` selects. */
export function matchesRequest(matcher: FaultMatcher, req: RequestInfo): boolean {
  return matches({ matcher, resourceId: matcher.resource === undefined ? undefined : resourceId(resolveResource(matcher.resource)) }, req);
}

function matches(r: Pick<Rule, 'matcher' | 'resourceId'>, req: RequestInfo): boolean {
  const m = r.matcher;
  if (m.verb !== undefined) {
    const verbs = typeof m.verb === 'string' ? [m.verb] : m.verb;
    if (!verbs.includes(req.verb)) return false;
  }
  if (r.resourceId !== undefined && r.resourceId !== req.resource) return false;
  if (m.namespace !== undefined && m.namespace !== req.namespace) return false;
  if (m.name !== undefined && m.name !== req.name) return false;
  if (m.when && !m.when(req)) return false;
  return true;
}
