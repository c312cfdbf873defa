/**
 * The live `kubernetes` source: Kubernetes Events (core/v1, or events.k8s.io/v1) through the
 * list+watch engine, with the event semantics of `tracker.ts`, gap markers, the involved-object
 * label selector, and server-side field selectors where the API allows them (`plan.ts`).
 *
 * With `source.namespaces`, there is one list+watch per namespace (namespaced RBAC suffices
 * and nothing else is transferred); otherwise one cluster-wide list+watch. Their streams are
 * merged; pulling is backpressure all the way down to the sockets.
 */
import { K8streamError } from '../../errors.js';
import type { SourceConfig } from '../../config/types.js';
import type { Logger } from '../../util/logger.js';
import type { Source, SourceChunk, SourceContext, SourceItem } from '../types.js';
import { rvNumber } from '../../checkpoint/position.js';
import type { ResumePoint } from '../../checkpoint/position.js';
import { createKubeClient } from '../../kube/client.js';
import type { KubeClient } from '../../kube/client.js';
import { gapMarkerEvent } from './gap-marker.js';
import { createLabelsLookup } from './involved-labels.js';
import type { InvolvedRef, LabelsLookup } from './involved-labels.js';
import { compileLabelSelector } from '../../kube/label-selector.js';
import type { LabelMatcher } from '../../kube/label-selector.js';
import { createListWatch, emptyListWatchCounters } from '../../kube/listwatch.js';
import type { KubeObject, ListWatch, ListWatchCounters, ListWatchItem, ListWatchOptions, ListWatchState } from '../../kube/listwatch.js';
import { mergeBatches } from './merge.js';
import { planWatches } from './plan.js';
import type { WatchTarget } from './plan.js';
import { EventTracker, resourceVersionOf, sortByVersion } from './tracker.js';
import type { Emission, TrackerCounters } from './tracker.js';

/** Engine settings a caller (tests, benchmarks) may tune. */
export type ListWatchTuning = Partial<
  Pick<
    ListWatchOptions,
    | 'backoff'
    | 'maxRetryAfterMs'
    | 'healthyWatchMs'
    | 'retryLogIntervalMs'
    | 'random'
    | 'sleep'
    | 'now'
    | 'idleTimeoutMs'
    | 'requestTimeoutMs'
    | 'relistAfterEmpty'
    | 'bufferSize'
    | 'lingerMs'
  >
>;

export interface KubernetesSourceOptions {
  /** The API client; default: created from `config.kubeconfig` / `config.context`. */
  client?: KubeClient;
  /** Logger; default: the one handed to `stream()`. */
  logger?: Logger;
  /** Clock (ms since epoch) for `receivedAt`, `maxEventAge` and gap markers. @default Date.now */
  now?: () => number;
  /** Names the gap markers' involved object. @default "k8stream" */
  clusterName?: string;
  /** Directory a relative `kubeconfig` path is resolved against. @default process.cwd() */
  baseDir?: string;
  /** Looks up involved-object labels for `labelSelector`; default: cached GETs through the client. */
  labelsLookup?: LabelsLookup;
  /** Largest chunk yielded. @default 500 */
  maxChunk?: number;
  /** Most events tracked per watch (the least recently changed are evicted past it; see tracker.ts). @default unbounded */
  maxTracked?: number;
  /**
   * Saved resume point (watch path → resourceVersion): the initial list of each watch emits only
   * events newer than it. Ignored for a watch whose list is older than the saved version.
   */
  resume?: ResumePoint;
  /**
   * Emit each list whole, in resourceVersion order, so the resume point can move inside it (a
   * crash in the middle of a large list then repeats nothing: at-most-once). Otherwise pages are
   * emitted as they arrive and the position moves when the list is complete. @default false
   */
  sortLists?: boolean;
  /**
   * Without `sortLists`: the most events a restart's list (resuming after a saved point: it emits
   * only what changed while k8stream was down) or a re-list after a 410 may emit and still be
   * emitted in resourceVersion order at its end, with a position after every few of them. A list
   * that emits more goes on page by page, its position moving only at its end. 0: never hold.
   * @default 2000
   */
  holdList?: number;
  listWatch?: ListWatchTuning;
}

/**
 * The source as a whole (every watch synced / watching / established; the earliest failure and
 * the stalest `lastDataAt`; the most consecutive failures and the latest retry), and each watch.
 */
export interface KubernetesSourceState extends ListWatchState {
  /** Per watch (one per namespace, or one cluster-wide); `watch` is the namespace, or `*`. */
  watches: (ListWatchState & { path: string; watch: string })[];
}

export interface KubernetesSourceCounters extends ListWatchCounters, TrackerCounters {
  /** Gap marker records emitted (one per re-list after a 410 or repeated empty answers). */
  gaps: number;
  /** Events currently tracked (the compact uid map). */
  tracked: number;
  /** Events dropped by `labelSelector` (their object's labels did not match). */
  labelFiltered: number;
  /** Events kept because their object's labels could not be looked up. */
  labelUnknown: number;
}

export interface KubernetesSource extends Source {
  readonly kind: 'kubernetes';
  /** The watches this config needs. */
  readonly targets: readonly WatchTarget[];
  /** Readiness: synced and watching; `failingSince` while a watch keeps failing. */
  state(): KubernetesSourceState;
  counters(): KubernetesSourceCounters;
  /** Calls `listener` whenever state or counters may have changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/**
 * How long the source waits, after an event arrives, for more to batch with it: 1,000 events/s
 * then travel in chunks of about 10 instead of one by one, for 10 ms of latency.
 */
const LINGER_MS = 10;

interface Watch {
  target: WatchTarget;
  lw: ListWatch;
  tracker: EventTracker;
  /** The furthest resume position handed out (an integer resourceVersion), never moving back. */
  position: string | null;
  /** The saved watermark the initial list resumes after (undefined until the list starts). */
  resumeAfter?: bigint | null;
  /** A list is being streamed (its first page came, its end did not). */
  listing: boolean;
  /**
   * What the list being streamed emitted so far, held to be sorted at its end; null when it is
   * emitted page by page (no list runs, a first list, or one that emitted more than `holdList`).
   */
  held: Emission[] | null;
}

/**
 * Positions of a held list move after every this many events: a crash repeats at most this many
 * of them beyond what the sinks had in flight (a chunk is acknowledged as a whole).
 */
const HELD_CHUNK = 32;

/**
 * Creates the live source. Loads the kubeconfig now (a missing file or context fails here);
 * nothing is sent before `stream()` is pulled. The first list failing with 401/403/404 or an
 * unreachable server makes the stream throw `SOURCE_FAILED`; later failures are retried.
 */
export function createKubernetesSource(config: SourceConfig, options: KubernetesSourceOptions = {}): KubernetesSource {
  const targets = planWatches(config);
  const matcher: LabelMatcher | null = config.labelSelector !== null && config.labelSelector.trim() !== '' ? compileLabelSelector(config.labelSelector) : null;
  const client =
    options.client ?? createKubeClient({ kubeconfig: config.kubeconfig, context: config.context, ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}) });
  const now = options.now ?? Date.now;
  const maxChunk = options.maxChunk ?? 500;
  const holdList = options.sortLists === true ? 0 : (options.holdList ?? 2000);
  const cluster = options.clusterName ?? 'k8stream';
  let watches: Watch[] = [];
  const extra = { gaps: 0, labelFiltered: 0, labelUnknown: 0 };
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };
  const onChange = (listener: () => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  const state = (): KubernetesSourceState => {
    const each = watches.map((w) => ({ ...w.lw.state(), path: w.target.path, watch: w.target.namespace ?? '*' }));
    const known = (f: (s: ListWatchState) => number | null): number[] => each.map(f).filter((t): t is number => t !== null);
    const failing = known((s) => s.failingSince);
    const dataAt = known((s) => s.lastDataAt);
    const retryAt = known((s) => s.nextRetryAt);
    return {
      synced: each.length > 0 && each.every((s) => s.synced),
      watching: each.length > 0 && each.every((s) => s.watching),
      established: each.length > 0 && each.every((s) => s.established),
      lastError: each.find((s) => s.lastError !== null)?.lastError ?? null,
      failingSince: failing.length > 0 ? Math.min(...failing) : null,
      resourceVersion: each.length === 1 ? each[0]!.resourceVersion : null,
      lastDataAt: dataAt.length > 0 ? Math.min(...dataAt) : null,
      consecutiveFailures: Math.max(0, ...each.map((s) => s.consecutiveFailures)),
      nextRetryAt: retryAt.length > 0 ? Math.max(...retryAt) : null,
      watches: each,
    };
  };

  const counters = (): KubernetesSourceCounters => {
    const sum: KubernetesSourceCounters = {
      ...emptyListWatchCounters(),
      emitted: 0,
      recurrences: 0,
      unchanged: 0,
      deleted: 0,
      vanished: 0,
      tooOld: 0,
      resumed: 0,
      evicted: 0,
      tracked: 0,
      ...extra,
    };
    for (const w of watches) {
      for (const [k, v] of Object.entries(w.lw.counters())) sum[k as keyof ListWatchCounters] += v;
      for (const [k, v] of Object.entries(w.tracker.counters)) sum[k as keyof TrackerCounters] += v;
      sum.tracked += w.tracker.size;
    }
    return sum;
  };

  async function* stream(ctx: SourceContext): AsyncGenerator<SourceChunk> {
    const logger = (options.logger ?? ctx.logger).child({ source: 'kubernetes' });
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const lookup = matcher === null ? null : (options.labelsLookup ?? createLabelsLookup(client));
    const own: Watch[] = targets.map((target) => ({
      target,
      lw: createListWatch({
        client,
        path: target.path,
        ...(target.fieldSelector !== undefined ? { query: { fieldSelector: target.fieldSelector } } : {}),
        pageSize: config.pageSize,
        watchTimeoutSeconds: config.watchTimeoutSeconds,
        sendInitialEvents: config.sendInitialEvents,
        streamPages: !(options.sortLists ?? false),
        lingerMs: LINGER_MS,
        signal,
        logger: logger.child({ watch: target.namespace ?? '*' }),
        now,
        ...options.listWatch,
      }),
      tracker: new EventTracker({
        emitDeleted: config.emitDeleted,
        maxEventAgeMs: config.maxEventAge,
        now,
        ...(options.maxTracked !== undefined ? { maxEntries: options.maxTracked } : {}),
      }),
      position: null,
      listing: false,
      held: null,
    }));
    watches = own; // what state() and counters() report
    for (const w of own) w.lw.onChange(notify);
    logger.info('watching events', {
      server: client.server,
      via: client.origin,
      api: config.api,
      scope: targets.some((t) => t.namespace !== null) ? targets.map((t) => t.namespace).join(',') : 'all namespaces',
      ...(targets[0]?.fieldSelector !== undefined ? { fieldSelector: targets[0].fieldSelector } : {}),
    });

    try {
      for await (const { index, items } of mergeBatches(
        own.map((w) => (max: number) => w.lw.nextBatch(max)),
        256,
      )) {
        const w = own[index]!;
        const { emissions, ats, end, synced, sorted } = translate(w, items, logger);
        const size = sorted ? Math.min(HELD_CHUNK, maxChunk) : maxChunk;
        const receivedAt = now();
        const key = w.target.path;
        if (emissions.length === 0) {
          notify();
          if (end !== null || synced) yield positioned([], key, end, synced);
          continue;
        }
        for (let i = 0; i < emissions.length; i += size) {
          const j = Math.min(i + size, emissions.length);
          let out: SourceItem[] = [];
          for (let k = i; k < j; k++) out.push({ type: emissions[k]!.type, object: emissions[k]!.object, receivedAt });
          if (lookup !== null && matcher !== null) out = await filterByLabels(out, lookup, matcher, signal);
          if (signal.aborted) return;
          if (j === emissions.length) notify();
          const last = j === emissions.length;
          yield positioned(out, key, (last ? end : null) ?? lastPosition(ats, i, j), last && synced);
        }
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof K8streamError) throw err;
      throw new K8streamError('SOURCE_FAILED', `the Kubernetes source failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      stop.abort();
    }
  }

  /**
   * Engine items → emissions: the tracker decides; gaps become marker events first. `ats[i]`
   * is the resume position right after `emissions[i]` (null when unknown), `end` the one after
   * the whole batch: lists end at their own resourceVersion, watch events at theirs.
   */
  function translate(
    w: Watch,
    items: readonly ListWatchItem[],
    logger: Logger,
  ): { emissions: Emission[]; ats: (string | null)[]; end: string | null; synced: boolean; sorted: boolean } {
    const out: Emission[] = [];
    const ats: (string | null)[] = [];
    let end: string | null = null;
    let synced = false;
    let sorted = false;
    const forward = (rv: string | null): string | null => {
      const n = rvNumber(rv);
      if (n === null) return w.position;
      if (w.position === null || n > BigInt(w.position)) w.position = rv;
      return w.position;
    };
    /** Emits what the list held so far as it came, and the rest of the list page by page. */
    const overflow = (): void => {
      for (const e of w.held ?? []) {
        out.push(e);
        ats.push(null);
      }
      w.held = null;
    };
    for (const item of items) {
      if (item.kind === 'page') {
        // Pages come in the server's order, not by version. A list that emits only what changed
        // (a restart's list resuming after a saved point, a re-list) is held to be sorted at its
        // end while it stays small; others, and one that outgrows `holdList`, go out page by
        // page with no position until the list ends. (A first list is not held: it emits the
        // whole cluster, so holding would only add its first events to the peak memory.)
        const after = item.reason === 'initial' ? resumeAfter(w, item.resourceVersion, logger) : null;
        if (!w.listing) {
          w.listing = true;
          w.held = holdList > 0 && (after !== null || item.reason === 'relist') ? [] : null;
        }
        const to = w.held ?? out;
        const from = to.length;
        w.tracker.apply(item, to, after);
        if (w.held === null) for (let k = from; k < out.length; k++) ats.push(null);
        else if (w.held.length > holdList) overflow();
        continue;
      }
      if (item.kind === 'sync' || item.kind === 'event') {
        if (item.kind === 'sync' && w.held !== null) {
          // The end of a held list: in version order, everything up to each event is handled.
          for (const e of sortByVersion(w.held, (h) => resourceVersionOf(h.object))) {
            out.push(e);
            ats.push(forward(resourceVersionOf(e.object)));
          }
          sorted = true;
        }
        if (item.kind === 'sync') {
          w.listing = false;
          w.held = null;
        }
        const from = out.length;
        const initialSync = item.kind === 'sync' && item.reason === 'initial';
        const after = initialSync ? resumeAfter(w, item.resourceVersion, logger) : null;
        if (initialSync) synced = true;
        w.tracker.apply(item, out, after);
        // Positions never move back (a re-list reports vanished events with their old versions).
        for (let k = from; k < out.length; k++) ats.push(forward(resourceVersionOf(out[k]!.object)));
        end = forward(item.kind === 'sync' ? item.resourceVersion : resourceVersionOf(item.object)) ?? end;
        continue;
      }
      if (item.kind === 'gap') {
        // A gap inside a list (its continue token expired): its marker keeps its place in order.
        if (w.held !== null && w.held.length > 0) overflow();
        extra.gaps++;
        logger.warn('watch gap: events between these resourceVersions may be missing; a marker record is emitted', {
          from: item.fromResourceVersion,
          to: item.toResourceVersion,
          namespace: w.target.namespace ?? '*',
          gaps: extra.gaps,
        });
        out.push({
          type: 'ADDED',
          object: gapMarkerEvent({
            fromResourceVersion: item.fromResourceVersion,
            toResourceVersion: item.toResourceVersion,
            cause: item.cause,
            cluster,
            namespace: w.target.namespace,
            now: new Date(now()),
          }),
        });
        ats.push(null);
      }
    }
    return { emissions: out, ats, end, synced, sorted };
  }

  /** The saved watermark of this watch, if it can be trusted against the list at `listRv` (decided once). */
  function resumeAfter(w: Watch, listRv: string, logger: Logger): bigint | null {
    if (w.resumeAfter === undefined) w.resumeAfter = decideResume(w, listRv, logger);
    return w.resumeAfter;
  }

  function decideResume(w: Watch, listRv: string, logger: Logger): bigint | null {
    const saved = options.resume?.[w.target.path];
    if (saved === undefined) return null;
    const mark = rvNumber(saved);
    const head = rvNumber(listRv);
    if (mark === null || head === null) {
      logger.warn('cannot resume: resourceVersions are not integers; every listed event is emitted again', { watch: w.target.path });
      return null;
    }
    if (mark > head) {
      logger.warn('the saved resume point is newer than the API server (restored or different cluster?); ignoring it, every listed event is emitted again', {
        watch: w.target.path,
        saved,
        server: listRv,
      });
      return null;
    }
    logger.info('resuming after the saved resourceVersion: events delivered before the restart are not emitted again', { watch: w.target.path, resourceVersion: saved });
    return mark;
  }

  /** Drops events whose involved object's labels are known and do not match; unknown → kept. */
  async function filterByLabels(items: SourceItem[], lookup: LabelsLookup, matcher: LabelMatcher, signal: AbortSignal): Promise<SourceItem[]> {
    const refs = items.map((i) => involvedRef(i.object));
    const unique = new Map<string, InvolvedRef>();
    for (const r of refs) if (r !== null) unique.set(refKey(r), r);
    const labels = new Map<string, Record<string, string> | null>();
    const queue = [...unique.entries()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [key, ref] = next;
        try {
          labels.set(key, await lookup(ref, signal));
        } catch {
          labels.set(key, null);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
    return items.filter((item, i) => {
      const ref = refs[i];
      if (ref === null || ref === undefined || ref.kind === 'K8stream') return true;
      const l = labels.get(refKey(ref));
      if (l === null || l === undefined) {
        extra.labelUnknown++;
        return true;
      }
      if (matcher(l)) return true;
      extra.labelFiltered++;
      return false;
    });
  }

  return { kind: 'kubernetes', targets, stream, state, counters, onChange };
}

function lastPosition(ats: readonly (string | null)[], from: number, to: number): string | null {
  for (let k = to - 1; k >= from; k--) if (ats[k] !== null && ats[k] !== undefined) return ats[k]!;
  return null;
}

function positioned(items: SourceItem[], key: string, rv: string | null, synced = false): SourceChunk {
  const chunk: SourceChunk = rv === null ? items : Object.assign(items, { position: { key, rv } });
  return synced ? Object.assign(chunk, { synced: true as const }) : chunk;
}

function involvedRef(obj: KubeObject): InvolvedRef | null {
  const raw = (obj['involvedObject'] ?? obj['regarding']) as Record<string, unknown> | undefined;
  if (raw === null || typeof raw !== 'object') return null;
  const str = (k: string): string => (typeof raw[k] === 'string' ? raw[k] : '');
  return { apiVersion: str('apiVersion'), kind: str('kind'), namespace: str('namespace'), name: str('name'), uid: str('uid') };
}

function refKey(r: InvolvedRef): string {
  return `${r.apiVersion}|${r.kind}|${r.namespace}|${r.name}|${r.uid}`;
}
