/**
 * The list+watch engine, for any resource: a paginated list, then a watch resumed from the
 * last seen resourceVersion after every disconnect, forever.
 *
 * - list: `limit` + `continue` pages of one consistent snapshot (an expired continue token
 *   restarts the list; a second expiry lists without pages);
 * - watch: `allowWatchBookmarks=true` and a server `timeoutSeconds`; the resourceVersion moves
 *   with every event and bookmark, and each reconnect resumes from it;
 * - `410 Gone` / `Expired` (HTTP or an in-stream ERROR) → re-list, announced by a `gap` item
 *   (the consumer diffs the new list against its state); so are repeated empty 200 answers
 *   (a stale watch on events may get those instead of a 410, kubernetes/kubernetes#104171);
 * - retries wait per failure class (retry-policy.ts): 429 follows `Retry-After`; a 410 re-lists
 *   at once unless 410s repeat without progress; other failures (5xx, resets, stalls past the
 *   idle timeout, empty answers) back off exponentially with jitter up to 4 s. Every class
 *   starts over after a healthy cycle: a list completed, then a watch opened and delivered an
 *   event or a bookmark, or stayed open for `healthyWatchMs`. Retries are logged at INFO/WARN
 *   (rate-limited, retry-log.ts), so a stream that keeps failing never looks dead;
 * - readiness: failing since the first failure of a run, until a watch opens again;
 * - optional streaming list (`sendInitialEvents=true`), falling back to a plain list when
 *   the server does not support it.
 *
 * Only the first list may fail for good: 401/403/404, an unreachable or untrusted server →
 * `SOURCE_FAILED` from the first pull. Later failures are retried and shown in `state()`.
 * Pulling is backpressure: a small buffer fills, then the engine stops reading the socket.
 */
import { K8streamError, errorMessage } from '../errors.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { sleep as defaultSleep } from '../sink-kit/sleep.js';
import { describeRequest, describeTarget, KubeApiError, protocolError, statusEventError } from './api-error.js';
import type { BackoffOptions } from './backoff.js';
import { FAILURE_REASONS, failureReason, retryClassOf } from './failure.js';
import type { FailureReason } from './failure.js';
import { RetryLog } from './retry-log.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_BACKOFF, RetryPolicy } from './retry-policy.js';
import type { KubeClient, Query } from './client.js';
import { BoundedQueue } from './queue.js';

export type KubeObject = Record<string, unknown>;

/** What the engine delivers, in order. */
export type ListWatchItem =
  /** A complete list: the initial one, or a re-list after a 410 (diff it against your state). */
  | { kind: 'sync'; objects: KubeObject[]; resourceVersion: string; reason: 'initial' | 'relist' }
  /**
   * With `streamPages`: one page of a paginated list, delivered as it arrives. `restart` marks
   * the first page of a list attempt (an earlier attempt may have delivered pages already). The
   * list ends with a `sync` item whose `objects` is empty.
   */
  | { kind: 'page'; objects: KubeObject[]; resourceVersion: string; reason: 'initial' | 'relist'; restart: boolean }
  /** A watch event (BOOKMARKs are consumed by the engine). */
  | { kind: 'event'; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
  /**
   * The watch could not resume from `fromResourceVersion`; the next item is a re-list at
   * `toResourceVersion`. Changes in between that the re-list no longer shows are lost.
   */
  | { kind: 'gap'; fromResourceVersion: string; toResourceVersion: string; cause: 'expired' | 'empty' };

export interface ListWatchState {
  /** The initial list (or streaming list) has been delivered. */
  synced: boolean;
  /** A watch stream is open right now. */
  watching: boolean;
  /** A watch has opened after the initial list (stays true): the engine is live. */
  established: boolean;
  /** The most recent failure (kept after recovery, for diagnosis). */
  lastError: string | null;
  /** Start of the current run of failures (ms since epoch), until a watch opens again; null while healthy. */
  failingSince: number | null;
  /** Where the next watch resumes. */
  resourceVersion: string | null;
  /**
   * When the last event or bookmark arrived on a watch (ms since epoch); until the first one,
   * when the engine started. Null before the first pull.
   */
  lastDataAt: number | null;
  /** Failures (any class) since the last healthy list+watch cycle. */
  consecutiveFailures: number;
  /** When the next attempt is due (ms since epoch) while waiting to retry; null otherwise. */
  nextRetryAt: number | null;
}

export interface ListWatchCounters {
  /** Full lists started (initial + re-lists + restarts after an expired continue). */
  lists: number;
  /** List pages received. */
  pages: number;
  /** Watch requests sent. */
  watches: number;
  /** Watch reconnects after a stream ended normally (server timeout, clean close). */
  restarts: number;
  /** Re-lists after 410 or repeated empty answers. */
  relists: number;
  /** 410 Gone / Expired on a watch (HTTP or in-stream). */
  gaps410: number;
  /** Re-lists forced by repeated empty watch answers. */
  gapsEmpty: number;
  bookmarks: number;
  /** Watch events delivered. */
  events: number;
  /** Failed requests and broken streams (not counting 410, 429 and empty answers). */
  errors: number;
  /** 410 Gone / Expired that ended a list or watch attempt (`gaps410` counts the watch ones). */
  expired: number;
  /** 5xx answers, and in-stream ERRORs with a 5xx code. */
  serverErrors: number;
  /** Other 4xx answers after startup (e.g. RBAC revoked). */
  clientErrors: number;
  /** Requests and streams that got no (complete) answer: refused, reset, TLS, DNS. */
  resets: number;
  /** Answers that break the protocol (invalid JSON, not a list, not a watch event). */
  invalid: number;
  /** Failures of any other kind. */
  otherErrors: number;
  /** Watch answers that closed without a single line (empty 200). */
  emptyResponses: number;
  /** Streams or requests ended by the idle/request timeout. */
  stalls: number;
  /** 429 answers. */
  throttled: number;
}

/** Every counter at zero (the engine's start, and the base a sum over several engines adds to). */
export function emptyListWatchCounters(): ListWatchCounters {
  return {
    lists: 0,
    pages: 0,
    watches: 0,
    restarts: 0,
    relists: 0,
    gaps410: 0,
    gapsEmpty: 0,
    bookmarks: 0,
    events: 0,
    errors: 0,
    expired: 0,
    serverErrors: 0,
    clientErrors: 0,
    resets: 0,
    invalid: 0,
    otherErrors: 0,
    emptyResponses: 0,
    stalls: 0,
    throttled: 0,
  };
}

/** The counter each failure reason is counted in. */
const REASON_COUNTER = {
  throttled: 'throttled',
  expired: 'expired',
  server_error: 'serverErrors',
  client_error: 'clientErrors',
  reset: 'resets',
  stall: 'stalls',
  empty: 'emptyResponses',
  invalid: 'invalid',
  other: 'otherErrors',
} as const satisfies Record<FailureReason, keyof ListWatchCounters>;

/** Failures by reason (`k8stream_watch_errors_total{reason}`), read from the counters. */
export function failuresByReason(c: ListWatchCounters): Record<FailureReason, number> {
  const out = {} as Record<FailureReason, number>;
  for (const reason of FAILURE_REASONS) out[reason] = c[REASON_COUNTER[reason]];
  return out;
}

export interface ListWatch extends AsyncIterable<ListWatchItem> {
  /** Waits for at least one item, then returns up to `max` that are ready; null when stopped. */
  nextBatch(max: number): Promise<ListWatchItem[] | null>;
  state(): ListWatchState;
  counters(): ListWatchCounters;
  /**
   * Calls `listener` (synchronously) whenever the state or a counter may have changed: for
   * readiness reporting, and for tests that await a condition. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void;
}

export interface ListWatchOptions {
  client: KubeClient;
  /** Collection path: `/api/v1/events`, `/api/v1/namespaces/shop/events`, `/apis/events.k8s.io/v1/events`. */
  path: string;
  query?: { fieldSelector?: string; labelSelector?: string };
  /** List page size (`limit`). @default 500 */
  pageSize?: number;
  /** Server-side watch timeout (`timeoutSeconds`). @default 300 */
  watchTimeoutSeconds?: number;
  /** Use a streaming list (`sendInitialEvents=true`) where the server supports it. @default false */
  sendInitialEvents?: boolean;
  /**
   * The retry curve of each failure class (each keeps its own counter; see retry-policy.ts).
   * Its `maxMs` bounds the wait still pending when the server recovers. @default { initialMs: 500, maxMs: 4000 }
   */
  backoff?: BackoffOptions;
  /** Longest `Retry-After` honoured on 429. @default 30000 */
  maxRetryAfterMs?: number;
  /**
   * A watch that stays open this long without an error completes a healthy cycle even without
   * data (every retry class starts over). @default 10000
   */
  healthyWatchMs?: number;
  /** At most one INFO/WARN retry line per failure class per this long (see retry-log.ts). @default 30000 */
  retryLogIntervalMs?: number;
  /** Stops the engine; the iterator then ends. */
  signal: AbortSignal;
  logger?: Logger;
  /** Jitter source. @default Math.random */
  random?: () => number;
  /** Waits (backoff, Retry-After); injectable for tests. @default timers */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** @default Date.now */
  now?: () => number;
  /**
   * A watch that sends nothing (no event, no bookmark) for this long is dropped and resumed;
   * servers send bookmarks about every minute. @default 90000
   */
  idleTimeoutMs?: number;
  /** Deadline of one list page. @default 60000 */
  requestTimeoutMs?: number;
  /** Consecutive empty watch answers that force a re-list. @default 3 */
  relistAfterEmpty?: number;
  /**
   * Objects prefetched and buffered for the consumer: a watch event counts 1, a list page its
   * objects (a page larger than this is buffered alone). @default 256
   */
  bufferSize?: number;
  /**
   * Deliver paginated lists page by page (`page` items, then an empty `sync`) instead of one
   * `sync` with every object: the consumer starts on the first page and never holds the whole
   * list. @default false
   */
  streamPages?: boolean;
  /**
   * `nextBatch` waits up to this long after the first ready item for more, so events arriving
   * one by one are handled in small batches (per-batch costs — enrichment, transform messages,
   * wake-ups — dominate at low rates). @default 0
   */
  lingerMs?: number;
}

type WatchOutcome =
  | { kind: 'closed'; lines: number }
  | { kind: 'expired'; message: string }
  /** A streaming list ended before its initial-events-end bookmark. */
  | { kind: 'noInitialEnd' };

/** Creates the engine; nothing is sent until the first pull. */
export function createListWatch(options: ListWatchOptions): ListWatch {
  return new ListWatchEngine(options);
}

class ListWatchEngine implements ListWatch {
  private readonly o: Required<Omit<ListWatchOptions, 'query' | 'logger'>> & { query: Query; logger: Logger };
  private readonly queue: BoundedQueue<ListWatchItem>;
  private readonly retry: RetryPolicy;
  private readonly retryLog: RetryLog;
  private readonly target: string;
  private started = false;
  private synced = false;
  private watching = false;
  private established = false;
  private lastError: string | null = null;
  private failingSince: number | null = null;
  private lastDataAt: number | null = null;
  private nextRetryAt: number | null = null;
  /** When the current watch went live (null while none is, and during a streaming list's initial events). */
  private openedAt: number | null = null;
  /** The current watch completed a healthy cycle (data, or open for `healthyWatchMs`). */
  private cycleHealthy = false;
  private rv: string | null = null;
  private useWatchList: boolean;
  private readonly listeners = new Set<() => void>();
  private readonly c: ListWatchCounters = emptyListWatchCounters();

  constructor(options: ListWatchOptions) {
    const query: Query = {};
    if (options.query?.fieldSelector) query['fieldSelector'] = options.query.fieldSelector;
    if (options.query?.labelSelector) query['labelSelector'] = options.query.labelSelector;
    this.o = {
      client: options.client,
      path: options.path,
      query,
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      sendInitialEvents: options.sendInitialEvents ?? false,
      backoff: options.backoff ?? DEFAULT_RETRY_BACKOFF,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
      healthyWatchMs: options.healthyWatchMs ?? 10_000,
      retryLogIntervalMs: options.retryLogIntervalMs ?? 30_000,
      signal: options.signal,
      logger: options.logger ?? silentLogger,
      random: options.random ?? Math.random,
      sleep: options.sleep ?? defaultSleep,
      now: options.now ?? Date.now,
      idleTimeoutMs: options.idleTimeoutMs ?? 90_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      relistAfterEmpty: options.relistAfterEmpty ?? 3,
      bufferSize: options.bufferSize ?? 256,
      streamPages: options.streamPages ?? false,
      lingerMs: options.lingerMs ?? 0,
    };
    this.queue = new BoundedQueue<ListWatchItem>(this.o.bufferSize, itemWeight);
    this.retry = new RetryPolicy({ backoff: this.o.backoff, maxRetryAfterMs: this.o.maxRetryAfterMs }, this.o.random);
    this.retryLog = new RetryLog({ logger: this.o.logger, now: this.o.now, intervalMs: this.o.retryLogIntervalMs });
    this.useWatchList = this.o.sendInitialEvents;
    this.target = describeTarget(describeRequest('GET', this.o.path));
  }

  state(): ListWatchState {
    this.settle();
    return {
      synced: this.synced,
      watching: this.watching,
      established: this.established,
      lastError: this.lastError,
      failingSince: this.failingSince,
      resourceVersion: this.rv,
      lastDataAt: this.lastDataAt,
      consecutiveFailures: this.retry.consecutive,
      nextRetryAt: this.nextRetryAt,
    };
  }

  counters(): ListWatchCounters {
    return { ...this.c };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.o.logger.warn('list+watch change listener failed', { error: errorMessage(err) });
      }
    }
  }

  async nextBatch(max: number): Promise<ListWatchItem[] | null> {
    this.start();
    let batch: ListWatchItem[] | null = await this.queue.take(Math.max(1, max));
    // Watch events arriving one by one: give the next ones a moment to join this batch.
    if (batch !== null && this.o.lingerMs > 0 && batch.length < max && batch.every((i) => i.kind === 'event')) {
      const more: ListWatchItem[] = await this.queue.takeWithin(max - batch.length, this.o.lingerMs);
      batch = [...(batch as ListWatchItem[]), ...more];
    }
    // The end is reported once the engine has really stopped (no request left open).
    if (batch === null) await this.stopped;
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ListWatchItem> {
    for (;;) {
      const batch = await this.nextBatch(64);
      if (batch === null) return;
      yield* batch;
    }
  }

  private stopped: Promise<void> = Promise.resolve();

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.lastDataAt = this.o.now();
    const { signal } = this.o;
    const onAbort = (): void => this.queue.end();
    signal.addEventListener('abort', onAbort, { once: true });
    this.stopped = this.run()
      .then(
        () => this.queue.end(),
        (err: unknown) => this.queue.end(signal.aborted ? undefined : err),
      )
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
        this.watching = false;
        this.notify();
      });
  }

  // ------------------------------------------------------------------ supervisor

  private async run(): Promise<void> {
    const { signal, logger } = this.o;
    let needList = true;
    let pendingGap: { from: string; cause: 'expired' | 'empty' } | null = null;
    let emptyStreak = 0;

    while (!signal.aborted) {
      this.notify();
      if (needList && !this.useWatchList) {
        let listed: { objects: KubeObject[]; resourceVersion: string };
        /** The revision this attempt announced the pending gap up to (its first page's); null before. */
        let gapDeliveredAt: string | null = null;
        const onPage = this.o.streamPages
          ? async (objects: KubeObject[], resourceVersion: string, restart: boolean): Promise<boolean> => {
              // The gap goes out before the first page. When the list restarts within the attempt
              // (its continue token expired) at a later revision, the stretch from the revision
              // announced to the new one is a gap of its own.
              const from = gapDeliveredAt === null ? pendingGap?.from : restart && resourceVersion !== gapDeliveredAt ? gapDeliveredAt : undefined;
              if (pendingGap !== null && from !== undefined) {
                gapDeliveredAt = resourceVersion;
                if (!(await this.queue.push({ kind: 'gap', fromResourceVersion: from, toResourceVersion: resourceVersion, cause: pendingGap.cause }))) return false;
              }
              return this.queue.push({ kind: 'page', objects, resourceVersion, reason: this.synced ? 'relist' : 'initial', restart });
            }
          : undefined;
        try {
          listed = await this.listAll(onPage);
          if (gapDeliveredAt !== null) pendingGap = null;
        } catch (err) {
          // The marker went out up to this attempt's revision, but the attempt broke off: the list
          // that completes is at a later one, and what changed in between and is superseded there
          // is missing too. The next attempt announces that stretch as a gap of its own.
          if (gapDeliveredAt !== null && pendingGap !== null) pendingGap = { from: gapDeliveredAt, cause: pendingGap.cause };
          if (signal.aborted) return;
          if (!this.synced && isFatal(err)) throw startupError(err);
          await this.failed('list', failureReason(err), errorMessage(err), err);
          continue;
        }
        if (!(await this.deliverSync(listed.objects, listed.resourceVersion, pendingGap))) return;
        pendingGap = null;
        needList = false;
      }

      const initial = needList; // true only with streaming lists (a plain list happened above)
      let outcome: WatchOutcome;
      this.initialDelivered = false;
      try {
        outcome = await this.watchOnce(initial, pendingGap);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof KubeApiError && err.expired) {
          outcome = { kind: 'expired', message: err.message };
        } else if (initial && err instanceof KubeApiError && err.kind === 'http' && (err.status === 400 || err.status === 422)) {
          logger.info('the server does not support streaming lists (sendInitialEvents); using paginated lists', { target: this.target, error: err.message });
          this.useWatchList = false;
          continue;
        } else {
          if (initial && !this.synced && isFatal(err)) throw startupError(err);
          if (this.initialDelivered) {
            pendingGap = null;
            needList = false;
          }
          emptyStreak = 0;
          await this.failed('watch', failureReason(err), errorMessage(err), err);
          continue;
        }
      }
      if (this.initialDelivered) {
        // The streaming list delivered its sync (and the pending gap) before going live.
        pendingGap = null;
        needList = false;
      }

      switch (outcome.kind) {
        case 'closed':
          // Data, or open long enough to count as healthy: a normal end (server timeout).
          if (outcome.lines > 0 || this.cycleHealthy) {
            emptyStreak = 0;
            this.c.restarts++;
            continue;
          }
          this.c.emptyResponses++;
          emptyStreak++;
          if (emptyStreak >= this.o.relistAfterEmpty && this.rv !== null && this.synced) {
            logger.warn('watch keeps answering empty; re-listing (its resourceVersion is probably too old)', {
              target: this.target,
              resourceVersion: this.rv,
              answers: emptyStreak,
            });
            emptyStreak = 0;
            this.c.gapsEmpty++;
            this.c.relists++;
            pendingGap = { from: this.rv, cause: 'empty' };
            needList = true;
            continue;
          }
          await this.failed('watch', 'empty', `watch ${this.target} answered 200 and closed without any data`);
          continue;
        case 'expired':
          emptyStreak = 0;
          this.c.gaps410++;
          this.c.relists++;
          if (this.rv !== null && this.synced) pendingGap = pendingGap ?? { from: this.rv, cause: 'expired' };
          needList = true;
          // Re-lists at once the first time; backs off when 410s repeat without a healthy cycle.
          await this.failed('watch', 'expired', outcome.message);
          continue;
        case 'noInitialEnd':
          logger.info('the streaming list ended without its initial-events-end bookmark; using paginated lists', { target: this.target });
          this.useWatchList = false;
          continue;
      }
    }
  }

  /** Set by a streaming list once it delivered its sync. */
  private initialDelivered = false;

  private async deliverSync(objects: KubeObject[], resourceVersion: string, gap: { from: string; cause: 'expired' | 'empty' } | null): Promise<boolean> {
    if (gap !== null && !(await this.queue.push({ kind: 'gap', fromResourceVersion: gap.from, toResourceVersion: resourceVersion, cause: gap.cause }))) return false;
    const reason = this.synced ? 'relist' : 'initial';
    this.rv = resourceVersion;
    this.synced = true;
    this.notify();
    return this.queue.push({ kind: 'sync', objects, resourceVersion, reason });
  }

  /**
   * A list or watch attempt failed: count it by reason, record it, log it, and wait as its
   * retry class says (429: Retry-After; first 410: no wait; otherwise exponential backoff).
   */
  private async failed(what: 'list' | 'watch', reason: FailureReason, message: string, err?: unknown): Promise<void> {
    this.countFailure(reason);
    this.lastError = message;
    this.failingSince ??= this.o.now();
    const cls = retryClassOf(reason);
    const wait = this.retry.next(cls, err instanceof KubeApiError ? err.retryAfterMs : null);
    this.retryLog.retry({ cls, reason, what, target: this.target, error: message, waitMs: wait, failures: this.retry.consecutive });
    if (wait <= 0) {
      this.notify();
      return;
    }
    this.nextRetryAt = this.o.now() + wait;
    this.notify();
    try {
      await this.o.sleep(wait, this.o.signal);
    } finally {
      this.nextRetryAt = null;
    }
  }

  /**
   * Counts a failure under its reason; `errors` counts the `failure` class (not 429 or 410). An
   * empty answer is counted in `emptyResponses` where it is seen (the one that forces a re-list
   * is not retried).
   */
  private countFailure(reason: FailureReason): void {
    if (reason === 'empty') return;
    this.c[REASON_COUNTER[reason]]++;
    if (retryClassOf(reason) === 'failure') this.c.errors++;
  }

  /**
   * The watch is live: opened (HTTP 200) after a completed list, or a streaming list sent its
   * initial-events-end bookmark. No longer failing, though not yet a healthy cycle.
   */
  private live(): void {
    this.established = true;
    this.openedAt = this.o.now();
    if (this.failingSince !== null) {
      this.o.logger.info('list+watch recovered: watching again', { target: this.target, failingForMs: this.openedAt - this.failingSince, failures: this.retry.consecutive });
      this.failingSince = null;
    }
  }

  /**
   * The watch delivered data after a completed list: a healthy cycle, so every retry class
   * starts over. Later lines only move `lastDataAt`.
   */
  private healthyCycle(): void {
    this.cycleHealthy = true;
    this.retry.reset();
    this.retryLog.reset();
  }

  /** A watch open for `healthyWatchMs` without an error is a healthy cycle too (checked lazily). */
  private settle(): void {
    if (this.watching && !this.cycleHealthy && this.openedAt !== null && this.o.now() - this.openedAt >= this.o.healthyWatchMs) this.healthyCycle();
  }

  // ------------------------------------------------------------------ list

  /**
   * Lists every page of one snapshot. With `onPage`, each page is handed over as it arrives
   * (resolving false stops: the consumer is gone) and the returned `objects` is empty.
   */
  private async listAll(
    onPage?: (objects: KubeObject[], resourceVersion: string, restart: boolean) => Promise<boolean>,
  ): Promise<{ objects: KubeObject[]; resourceVersion: string }> {
    const { client, path, signal } = this.o;
    let paged = true;
    for (let attempt = 0; ; attempt++) {
      this.c.lists++;
      let objects: KubeObject[] = [];
      let first = true;
      let cont: string | undefined;
      let resourceVersion: string | null = null;
      let expired = false;
      // With `onPage`, the next page is prefetched: requested while the consumer handles this
      // one, so the server's work and the transfer overlap with ours (an initial list of 100k
      // events is 200 pages). The request is abandoned if the list stops early.
      let prefetched: { page: Promise<unknown>; stop: AbortController } | null = null;
      const fetchPage = (c: string | undefined, stop?: AbortController): Promise<unknown> => {
        const query: Query = { ...this.o.query };
        if (paged) query['limit'] = this.o.pageSize;
        if (c !== undefined) query['continue'] = c;
        const signals = [signal, AbortSignal.timeout(this.o.requestTimeoutMs)];
        if (stop) signals.push(stop.signal);
        return client.getJSON(path, query, AbortSignal.any(signals));
      };
      try {
        do {
          let page: unknown;
          try {
            // A prefetched page is always the one for `cont` (this attempt's next page).
            const pending = prefetched?.page ?? fetchPage(cont);
            prefetched = null;
            page = await pending;
          } catch (err) {
            if (cont !== undefined && err instanceof KubeApiError && err.expired) {
              expired = true;
              break;
            }
            throw err;
          }
          this.c.pages++;
          this.notify();
          const { items, metadata, itemApiVersion, itemKind } = readList(page, path);
          for (const item of items) {
            if (item['apiVersion'] === undefined && itemApiVersion !== undefined) item['apiVersion'] = itemApiVersion;
            if (item['kind'] === undefined && itemKind !== undefined) item['kind'] = itemKind;
            objects.push(item);
          }
          resourceVersion = metadata.resourceVersion;
          cont = metadata.continue;
          if (onPage !== undefined) {
            if (cont !== undefined && !signal.aborted) {
              const stop = new AbortController();
              const next = fetchPage(cont, stop);
              next.catch(() => {}); // awaited (and its error seen) on the next turn, or abandoned
              prefetched = { page: next, stop };
            }
            const taken = objects;
            objects = [];
            if (!(await onPage(taken, resourceVersion, first))) throw signal.aborted ? signal.reason : new Error('the consumer stopped');
            first = false;
          }
        } while (cont !== undefined && !signal.aborted);
      } finally {
        prefetched?.stop.abort();
      }
      if (signal.aborted) throw signal.reason;
      if (expired) {
        // The snapshot was compacted between pages: start over (without pages the second time).
        this.o.logger.info('list continue token expired; listing again', { target: this.target, attempt: attempt + 1 });
        if (attempt >= 1) paged = false;
        continue;
      }
      return { objects, resourceVersion: resourceVersion! };
    }
  }

  // ------------------------------------------------------------------ watch

  private async watchOnce(initial: boolean, pendingGap: { from: string; cause: 'expired' | 'empty' } | null): Promise<WatchOutcome> {
    const { client, path, signal } = this.o;
    const query: Query = { ...this.o.query, watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: this.o.watchTimeoutSeconds };
    if (initial) {
      query['sendInitialEvents'] = 'true';
      query['resourceVersionMatch'] = 'NotOlderThan';
    } else {
      query['resourceVersion'] = this.rv ?? '';
    }
    this.c.watches++;
    const request = describeRequest('GET', path, query);
    const stream = await client.openLines(path, query, signal, { idleTimeoutMs: this.o.idleTimeoutMs });
    this.watching = true;
    this.cycleHealthy = false;
    if (!initial) this.live();
    this.o.logger.debug('watch open', { target: this.target, resourceVersion: this.rv, initial });
    this.notify();
    let lines = 0;
    let initialObjects: KubeObject[] | null = initial ? [] : null;
    try {
      // Checked once per network read: a composite signal's `aborted` is not free per event.
      for await (const group of stream.groups()) {
        if (signal.aborted) break;
        for (const line of group) {
          const ev = parseWatchLine(line, request);
          if (ev.type === 'ERROR') {
            const status = ev.object as { code?: unknown; reason?: unknown; message?: unknown };
            if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
              return { kind: 'expired', message: typeof status.message === 'string' ? status.message : 'Expired' };
            }
            throw statusEventError(request, status);
          }
          lines++;
          this.lastDataAt = this.o.now();
          if (!this.cycleHealthy && initialObjects === null) this.healthyCycle();
          const rv = resourceVersionOf(ev.object);
          if (ev.type === 'BOOKMARK') {
            this.c.bookmarks++;
            if (initialObjects !== null) {
              if (!isInitialEventsEnd(ev.object)) continue;
              if (rv === null) throw protocolError(request, 200, 'the initial-events-end bookmark has no resourceVersion');
              const objects = initialObjects;
              initialObjects = null;
              if (!(await this.deliverSync(objects, rv, pendingGap))) return { kind: 'closed', lines };
              this.initialDelivered = true;
              this.live();
              continue;
            }
            if (rv !== null) this.rv = rv;
            this.notify();
            continue;
          }
          if (initialObjects !== null) {
            if (ev.type === 'ADDED') initialObjects.push(ev.object);
            continue;
          }
          if (rv !== null) this.rv = rv;
          this.c.events++;
          this.notify();
          const item: ListWatchItem = { kind: 'event', type: ev.type, object: ev.object };
          if (!this.queue.offer(item) && !(await this.queue.push(item))) return { kind: 'closed', lines };
        }
      }
    } finally {
      this.settle();
      this.watching = false;
      this.openedAt = null;
      stream.close();
      this.o.logger.debug('watch closed', { target: this.target, resourceVersion: this.rv, lines });
      this.notify();
    }
    // A streaming list that sent objects but never its end bookmark: the server ignores it.
    return initialObjects !== null && lines > 0 ? { kind: 'noInitialEnd' } : { kind: 'closed', lines };
  }
}

interface WatchLine {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseWatchLine(line: string, request: ReturnType<typeof describeRequest>): WatchLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw protocolError(request, 200, `a watch line is not JSON: ${line.slice(0, 80)}`);
  }
  const type = (v as { type?: unknown } | null)?.type;
  const object = (v as { object?: unknown } | null)?.object;
  if (typeof type !== 'string' || !WATCH_TYPES.has(type) || object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw protocolError(request, 200, `a watch line is not a watch event: ${line.slice(0, 80)}`);
  }
  return { type: type as WatchLine['type'], object: object as KubeObject };
}

function resourceVersionOf(obj: KubeObject): string | null {
  const rv = (obj['metadata'] as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : null;
}

function isInitialEventsEnd(obj: KubeObject): boolean {
  const ann = (obj['metadata'] as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  return ann?.['k8s.io/initial-events-end'] === 'true';
}

function readList(
  page: unknown,
  path: string,
): {
  items: KubeObject[];
  metadata: { resourceVersion: string; continue: string | undefined };
  itemApiVersion: string | undefined;
  itemKind: string | undefined;
} {
  const request = describeRequest('GET', path);
  if (page === null || typeof page !== 'object' || Array.isArray(page)) throw protocolError(request, 200, 'the list answer is not a JSON object');
  const p = page as { items?: unknown; metadata?: { resourceVersion?: unknown; continue?: unknown }; apiVersion?: unknown; kind?: unknown };
  const items = p.items ?? [];
  if (!Array.isArray(items)) throw protocolError(request, 200, 'the list answer has no items array');
  const rv = p.metadata?.resourceVersion;
  if (typeof rv !== 'string' || rv === '') throw protocolError(request, 200, 'the list answer has no metadata.resourceVersion');
  const cont = p.metadata?.continue;
  const kind = typeof p.kind === 'string' && p.kind.endsWith('List') ? p.kind.slice(0, -4) : undefined;
  return {
    items: items.filter((i): i is KubeObject => i !== null && typeof i === 'object' && !Array.isArray(i)),
    metadata: { resourceVersion: rv, continue: typeof cont === 'string' && cont !== '' ? cont : undefined },
    itemApiVersion: typeof p.apiVersion === 'string' ? p.apiVersion : undefined,
    itemKind: kind,
  };
}

function isFatal(err: unknown): boolean {
  return err instanceof KubeApiError ? err.fatalAtStartup : !(err instanceof Error && err.name === 'AbortError');
}

function startupError(err: unknown): K8streamError {
  if (err instanceof K8streamError) {
    const opts: { cause: unknown; hint?: string; path?: string } = { cause: err };
    if (err.hint !== undefined) opts.hint = err.hint;
    if (err.path !== undefined) opts.path = err.path;
    return new K8streamError('SOURCE_FAILED', err.message, opts);
  }
  return new K8streamError('SOURCE_FAILED', `cannot start the list+watch: ${errorMessage(err)}`, { cause: err });
}

/** An item's weight in the engine's buffer: a list page or sync counts its objects. */
function itemWeight(item: ListWatchItem): number {
  return item.kind === 'page' || item.kind === 'sync' ? Math.max(1, item.objects.length) : 1;
}
