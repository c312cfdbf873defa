/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics:
 *
 * - A replica acquires the lease when it is absent (create; 409 AlreadyExists means another
 *   replica won), released (empty holder), held by itself, or expired. Expiry is judged by the
 *   local time at which this replica last saw the lease's election fields change, plus the
 *   lease duration the holder published — never by comparing the remote `renewTime` with the
 *   local clock.
 * - The leader renews every `retryPeriodMs`. When no renewal has succeeded for
 *   `renewDeadlineMs` (measured from the moment the last successful renewal was *sent*) it steps
 *   down at once, even with a request still in flight. Since `renewDeadlineMs < leaseDurationMs`
 *   and the others start counting only after they observed that renewal, the old leader has
 *   stopped before anyone else can acquire.
 * - Every write is a PUT carrying `metadata.resourceVersion`; a 409 Conflict means the lease
 *   changed under us and the attempt is repeated from a fresh read.
 * - `release()` writes an empty holder with `leaseDurationSeconds: 1`, so a standby acquires on
 *   its next attempt instead of waiting for expiry.
 */
import { errorMessage, K8streamError, ValidationError } from '../errors.js';
import type { ValidationIssue } from '../errors.js';
import { KubeApiError } from '../kube/api-error.js';
import type { KubeClient } from '../kube/client.js';
import { sleep } from '../sink-kit/sleep.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { createLease, getLease, isStatus, microTime, specKey, STATE_ANNOTATION, updateLease } from './lease.js';
import type { Lease, LeaseRef, LeaseSpec } from './lease.js';

/** Options of {@link createLeaderElector}. */
export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease. */
  name: string;
  /** This replica's identity (pod name), written as `holderIdentity`. Must be unique per replica. */
  identity: string;
  /** How long others wait, after last seeing the lease change, before taking it. @default 15000 */
  leaseDurationMs?: number;
  /** How long the leader keeps leading without a successful renewal. @default 10000 */
  renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts. @default 2000 */
  retryPeriodMs?: number;
  /** Clock (epoch ms) for observation times and written timestamps. @default Date.now */
  now?: () => number;
  logger?: Logger;
}

/** A leader elector for one Lease. */
export interface LeaderElector {
  /**
   * Tries to acquire the lease, then renews it while leading; after a step-down it goes back
   * to trying. Resolves when `signal` aborts or `release()` is called (stepping down first);
   * rejects with a `KUBE_API_FAILED` error when the API refuses access to the lease (401/403).
   */
  run(signal: AbortSignal): Promise<void>;
  /** True while this replica leads. */
  isLeader(): boolean;
  /** Calls `cb` synchronously on every change of leadership; returns an unsubscribe function. */
  onChange(cb: (leading: boolean) => void): () => void;
  /** Resolves once this replica leads (at once if it does); rejects when `signal` aborts. */
  whenLeading(signal?: AbortSignal): Promise<void>;
  /**
   * Stops `run` (stepping down first), waits for it to end, then — if this replica still holds
   * the lease — writes an empty holder, `leaseDurationSeconds: 1` and a fresh `renewTime`, so a
   * standby takes over on its next attempt. Call it after flushing and saving state.
   */
  release(signal?: AbortSignal): Promise<void>;
  /** The `k8stream.io/state` annotation of the lease; `null` when absent (or no lease). */
  readState(signal?: AbortSignal): Promise<string | null>;
  /**
   * Writes the `k8stream.io/state` annotation (read-modify-write with optimistic concurrency;
   * creates the lease without a holder when it does not exist). Fenced: rejects with
   * `LEADERSHIP_LOST` when another replica holds the lease, so a leader that lost it never
   * overwrites its successor's resume point.
   */
  writeState(value: string, signal?: AbortSignal): Promise<void>;
}

/** Extra acquire-retry delay, as a fraction of `retryPeriodMs` (0–20 %), so replicas do not move in lockstep. */
const JITTER = 0.2;
/** Read-modify-write attempts on conflicts before giving up (`writeState`, `release`). */
const MAX_CONFLICTS = 10;

/** Validates the options and creates an elector (nothing is sent until `run`). */
export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  return new Elector(opts);
}

interface Attempt {
  ok: boolean;
  /** Local time at which the attempt started (its read was sent). */
  sentAt: number;
  /** Another replica validly holds the lease. */
  heldByOther: boolean;
}

class Elector implements LeaderElector {
  private readonly client: KubeClient;
  private readonly ref: LeaseRef;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly listeners = new Set<(leading: boolean) => void>();
  private leading = false;
  private observedKey: string | null = null;
  private observedTime = 0;
  private runCtl: AbortController | null = null;
  private running: Promise<void> | null = null;

  constructor(opts: LeaderElectorOptions) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    validate(opts, this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    this.client = opts.client;
    this.ref = { namespace: opts.namespace, name: opts.name };
    this.identity = opts.identity;
    this.now = opts.now ?? Date.now;
    this.log = (opts.logger ?? silentLogger).child({ component: 'leader-election', lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  onChange(cb: (leading: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  whenLeading(signal?: AbortSignal): Promise<void> {
    if (this.leading) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        off();
        reject(abortReason(signal));
      };
      const off = this.onChange((leading) => {
        if (!leading) return;
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  run(signal: AbortSignal): Promise<void> {
    if (this.running) return Promise.reject(new K8streamError('INTERNAL', `leader election on lease ${this.leaseName()} is already running`));
    const ctl = new AbortController();
    this.runCtl = ctl;
    const p = this.loop(AbortSignal.any([signal, ctl.signal])).finally(() => {
      this.setLeading(false);
      if (this.runCtl === ctl) this.runCtl = null;
      this.running = null;
    });
    this.running = p;
    return p;
  }

  async release(signal?: AbortSignal): Promise<void> {
    this.setLeading(false);
    this.runCtl?.abort();
    // No renewal of ours may race the release.
    await this.running?.catch(() => undefined);
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const lease = await this.call(() => getLease(this.client, this.ref, signal));
      if (lease === null || (lease.spec?.holderIdentity ?? '') !== this.identity) return;
      const t = this.now();
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: microTime(t),
        renewTime: microTime(t),
        leaseTransitions: lease.spec?.leaseTransitions ?? 0,
      };
      try {
        const updated = await this.call(() => updateLease(this.client, this.ref, { ...lease, spec }, signal));
        this.observe(updated, this.now());
        this.log.info('released the lease');
        return;
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
      }
    }
    throw this.conflictError('release');
  }

  async readState(signal?: AbortSignal): Promise<string | null> {
    const lease = await this.call(() => getLease(this.client, this.ref, signal));
    return lease?.metadata.annotations?.[STATE_ANNOTATION] ?? null;
  }

  async writeState(value: string, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const lease = await this.call(() => getLease(this.client, this.ref, signal));
      try {
        if (lease === null) {
          await this.call(() => createLease(this.client, this.ref, {}, { [STATE_ANNOTATION]: value }, signal));
        } else {
          const holder = lease.spec?.holderIdentity ?? '';
          if (holder !== '' && holder !== this.identity) {
            throw new K8streamError('LEADERSHIP_LOST', `not writing the resume state on lease ${this.leaseName()}: it is held by ${holder}, not by ${this.identity}`, {
              path: 'leaderElection',
            });
          }
          const annotations = { ...lease.metadata.annotations, [STATE_ANNOTATION]: value };
          await this.call(() => updateLease(this.client, this.ref, { ...lease, metadata: { ...lease.metadata, annotations } }, signal));
        }
        return;
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
      }
    }
    throw this.conflictError('write the state annotation of');
  }

  /** Acquire, lead until stepping down, repeat. */
  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const acquiredAt = await this.acquire(signal);
      if (acquiredAt === null) return;
      await this.lead(signal, acquiredAt);
    }
  }

  /** Tries every retry period (with jitter) until acquired; returns the attempt's start time, or null when aborted. */
  private async acquire(signal: AbortSignal): Promise<number | null> {
    let waiting = false;
    while (!signal.aborted) {
      // A stalled request must not keep a standby from retrying.
      const r = await this.attempt(AbortSignal.any([signal, AbortSignal.timeout(this.renewDeadlineMs)]));
      if (r.ok && !signal.aborted) return r.sentAt;
      if (!waiting && r.heldByOther) this.log.debug('lease held by another replica; waiting');
      waiting = true;
      await sleep(this.retryPeriodMs * (1 + Math.random() * JITTER), signal);
    }
    return null;
  }

  /** Leads: renews every retry period; steps down when the renew deadline passes or another replica holds the lease. */
  private async lead(signal: AbortSignal, acquiredAt: number): Promise<void> {
    const stepDown = new AbortController();
    const leadSignal = AbortSignal.any([signal, stepDown.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = (renewedAt: number) => {
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          this.log.warn('no successful renewal within the renew deadline; stepping down', { renewDeadlineMs: this.renewDeadlineMs });
          this.setLeading(false);
          stepDown.abort();
        },
        Math.max(0, renewedAt + this.renewDeadlineMs - this.now()),
      );
    };
    arm(acquiredAt);
    this.log.info('acquired the lease; leading');
    this.setLeading(true);
    try {
      while (!leadSignal.aborted) {
        await sleep(this.retryPeriodMs, leadSignal);
        if (leadSignal.aborted) break;
        const r = await this.attempt(leadSignal);
        if (leadSignal.aborted) break;
        if (r.ok) {
          arm(r.sentAt);
        } else if (r.heldByOther) {
          this.log.warn('the lease is held by another replica; stepping down');
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      this.setLeading(false);
    }
  }

  /**
   * One acquire-or-renew attempt (client-go's tryAcquireOrRenew). Transient failures are
   * logged and reported as not acquired; access errors (401/403) are thrown.
   */
  private async attempt(signal: AbortSignal): Promise<Attempt> {
    const sentAt = this.now();
    try {
      const lease = await getLease(this.client, this.ref, signal);
      if (lease === null) {
        try {
          const created = await createLease(this.client, this.ref, this.spec(sentAt, undefined), undefined, signal);
          this.observe(created, this.now());
          return { ok: true, sentAt, heldByOther: false };
        } catch (err) {
          if (isStatus(err, 409)) return { ok: false, sentAt, heldByOther: false };
          throw err;
        }
      }
      const t = this.now();
      this.observe(lease, t);
      const holder = lease.spec?.holderIdentity ?? '';
      if (holder !== '' && holder !== this.identity && this.observedTime + this.durationOf(lease.spec) > t) {
        return { ok: false, sentAt, heldByOther: true };
      }
      try {
        const updated = await updateLease(this.client, this.ref, { ...lease, spec: this.spec(t, lease.spec) }, signal);
        this.observe(updated, this.now());
        return { ok: true, sentAt, heldByOther: false };
      } catch (err) {
        if (isStatus(err, 409)) return { ok: false, sentAt, heldByOther: false };
        throw err;
      }
    } catch (err) {
      if (signal.aborted) return { ok: false, sentAt, heldByOther: false };
      if (isAccessError(err)) throw this.accessError(err);
      this.log.warn('lease request failed', { error: errorMessage(err) });
      return { ok: false, sentAt, heldByOther: false };
    }
  }

  /** The spec to write when taking or renewing the lease at time `t`. */
  private spec(t: number, old: LeaseSpec | undefined): LeaseSpec {
    const mine = old !== undefined && (old.holderIdentity ?? '') === this.identity;
    return {
      ...old,
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: mine && old.acquireTime !== undefined ? old.acquireTime : microTime(t),
      renewTime: microTime(t),
      leaseTransitions: old === undefined ? 0 : mine ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
    };
  }

  /** Records the local time at which the election fields were first seen with these values. */
  private observe(lease: Lease, t: number): void {
    const key = specKey(lease.spec);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedTime = t;
    }
  }

  /** The lease duration the holder published (falling back to ours). */
  private durationOf(spec: LeaseSpec | undefined): number {
    const s = spec?.leaseDurationSeconds;
    return typeof s === 'number' && s > 0 ? s * 1000 : this.leaseDurationMs;
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    for (const cb of [...this.listeners]) {
      try {
        cb(leading);
      } catch (err) {
        this.log.error('leadership change listener failed', { error: errorMessage(err) });
      }
    }
  }

  /** Runs a request, turning access errors into the elector's error. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isAccessError(err)) throw this.accessError(err);
      throw err;
    }
  }

  private leaseName(): string {
    return `${this.ref.namespace}/${this.ref.name}`;
  }

  private accessError(err: KubeApiError): K8streamError {
    return new K8streamError('KUBE_API_FAILED', `leader election on lease ${this.leaseName()} failed: ${err.message}`, {
      cause: err,
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    });
  }

  private conflictError(what: string): K8streamError {
    return new K8streamError('KUBE_API_FAILED', `cannot ${what} lease ${this.leaseName()}: still conflicting after ${MAX_CONFLICTS} attempts`);
  }
}

function isAccessError(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && (err.kind === 'config' || (err.kind === 'http' && (err.status === 401 || err.status === 403)));
}

function validate(opts: LeaderElectorOptions, lease: number, renew: number, retry: number): void {
  const issues: ValidationIssue[] = [];
  for (const [field, v] of [
    ['namespace', opts.namespace],
    ['name', opts.name],
    ['identity', opts.identity],
  ] as const) {
    if (typeof v !== 'string' || v === '') issues.push({ path: `leaderElection.${field}`, message: 'must be a non-empty string' });
  }
  let numbersValid = true;
  for (const [field, v] of [
    ['leaseDurationMs', lease],
    ['renewDeadlineMs', renew],
    ['retryPeriodMs', retry],
  ] as const) {
    if (Number.isFinite(v) && v > 0) continue;
    numbersValid = false;
    issues.push({ path: `leaderElection.${field}`, message: `must be a positive number of milliseconds, got ${String(v)}` });
  }
  if (numbersValid) {
    if (renew >= lease) issues.push({ path: 'leaderElection.renewDeadlineMs', message: `must be less than leaseDurationMs (${lease}), got ${renew}` });
    if (retry >= renew) issues.push({ path: 'leaderElection.retryPeriodMs', message: `must be less than renewDeadlineMs (${renew}), got ${retry}` });
  }
  if (issues.length > 0) throw new ValidationError('CONFIG_INVALID', issues);
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('aborted', 'AbortError');
}
