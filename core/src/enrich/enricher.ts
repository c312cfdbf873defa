/**
 * The enrichment stage: fills `record.enrichment` in place with the involved object's labels
 * and annotations, its owner chain and workload, the node (name, addresses), pod details and
 * the services selecting the pod. Lookups go through one bounded cache (LRU + TTL, negative
 * entries, coalescing) and one client-side rate limit. A failed lookup is listed in
 * `enrichment.errors`; `enrich` never rejects and never drops a record.
 */
import type { EnrichConfig } from '../config/types.js';
import type { EventRecord, Enrichment, OwnerRef } from '../record/types.js';
import { emptyEnrichment } from '../record/types.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { createLookupCache, statusOf } from './cache.js';
import { describeLookupError } from './lookup-error.js';
import { KNOWN_KINDS, kindInfo, resolveLookup } from './lookups.js';
import type { Lookup } from './lookups.js';
import { toObjectInfo } from './object-info.js';
import { WORKLOAD_KINDS, resolveOwnerChain } from './owners.js';
import { createTokenBucket } from './rate-limit.js';
import type { TokenBucket } from './rate-limit.js';
import type { ServicesIndex } from './services.js';
import type { JsonGetter, ObjectInfo } from './types.js';

/** Enrichment defaults (the `.k8streamrc` defaults of the same keys). */
export const ENRICH_DEFAULTS = {
  cacheTtlMs: 60_000,
  cacheMaxEntries: 10_000,
  qps: 20,
  burst: 40,
  /** How long "not found" and "forbidden" answers are cached. */
  negativeTtlMs: 5_000,
  /** How long the first chunk waits for the Services index to sync. */
  servicesSyncTimeoutMs: 10_000,
} as const;

/** What the enricher reads of the config: the switches, and optional tuning. */
export type EnricherConfig = Pick<EnrichConfig, 'objects' | 'owners' | 'nodes' | 'services'> & Partial<Pick<EnrichConfig, 'cacheTtlMs' | 'cacheMaxEntries' | 'qps' | 'burst'>>;

/** Options of {@link createEnricher}. */
export interface EnricherOptions {
  /** GETs an API path (the Kubernetes client's `getJSON`). */
  get: JsonGetter;
  config: EnricherConfig;
  /** The watched Services index; without it no services are added. */
  services?: ServicesIndex;
  logger?: Logger;
  /** Cache clock in ms. @default Date.now */
  now?: () => number;
  /** A rate limit shared with other lookups (e.g. the service change feed). @default one built from `qps`/`burst` */
  limiter?: TokenBucket;
  /** @default 5000 */
  negativeTtlMs?: number;
  /** How long the first `enrich` call waits for the Services index's first sync before going on without it. @default 10000 */
  servicesSyncTimeoutMs?: number;
  /** Aborts lookups in flight (they are then recorded as `aborted`). */
  signal?: AbortSignal;
}

/** Counters of an enricher. */
export interface EnricherStats {
  /** GET requests sent. */
  gets: number;
  /** Of `gets`, how many failed. */
  failedGets: number;
  /** Lookups answered from the cache (negative entries included). */
  hits: number;
  /** Lookups that needed a GET. */
  misses: number;
  /** Lookups that joined a GET already in flight. */
  coalesced: number;
  /** Error entries written to records' `enrichment.errors`. */
  errors: number;
  /** Objects cached now. */
  cacheSize: number;
  /** Cache entries evicted to stay within `cacheMaxEntries`. */
  evictions: number;
  /** GETs that waited for the rate limit, and how long in total (ms). */
  throttled: number;
  throttledMs: number;
}

/** The enrichment stage. */
export interface Enricher {
  /** Fills each record's `enrichment` in place. Never rejects. */
  enrich(records: EventRecord[]): Promise<void>;
  stats(): EnricherStats;
}

type LookupErrors = Enrichment['errors'];

/** Creates the enrichment stage. */
export function createEnricher(options: EnricherOptions): Enricher {
  const { get, config, services, signal } = options;
  const logger = options.logger ?? silentLogger;
  const cache = createLookupCache<ObjectInfo>({
    maxEntries: config.cacheMaxEntries ?? ENRICH_DEFAULTS.cacheMaxEntries,
    ttlMs: config.cacheTtlMs ?? ENRICH_DEFAULTS.cacheTtlMs,
    negativeTtlMs: options.negativeTtlMs ?? ENRICH_DEFAULTS.negativeTtlMs,
    // Not there, or not allowed: both are answers that will not change within seconds.
    isNegative: (err) => {
      const status = statusOf(err);
      return status === 404 || status === 403 || status === 410;
    },
    ...(options.now ? { now: options.now } : {}),
  });
  const limiter = options.limiter ?? createTokenBucket({ qps: config.qps ?? ENRICH_DEFAULTS.qps, burst: config.burst ?? ENRICH_DEFAULTS.burst });
  const servicesSyncTimeoutMs = options.servicesSyncTimeoutMs ?? ENRICH_DEFAULTS.servicesSyncTimeoutMs;
  const counters = { gets: 0, failedGets: 0, errors: 0 };
  const enabled = config.objects || config.owners || config.nodes || config.services;
  if (config.services && !services) logger.warn('enrich.services is on but no Services index was given: services are not added');

  /** One object, through the cache and the rate limit. */
  const fetchObject = (lookup: Lookup): Promise<ObjectInfo> =>
    cache.get(lookup.path, async () => {
      await limiter.take(signal);
      counters.gets++;
      try {
        return toObjectInfo(lookup.kind, await get(lookup.path, signal));
      } catch (err) {
        counters.failedGets++;
        throw err;
      }
    });

  /** Fetches, or records why it could not. */
  const tryFetch = async (lookup: Lookup, errors: LookupErrors): Promise<ObjectInfo | undefined> => {
    try {
      return await fetchObject(lookup);
    } catch (err) {
      errors.push({ lookup: lookup.label, message: describeLookupError(err) });
      return undefined;
    }
  };

  const nodeOf = async (name: string, errors: LookupErrors): Promise<Enrichment['node']> => {
    const lookup = resolveLookup({ apiVersion: 'v1', kind: 'Node', namespace: '', name })!;
    const info = await tryFetch(lookup, errors);
    return { name, addresses: (info?.addresses ?? []).map((a) => ({ ...a })) };
  };

  let waitedForServices = false;
  /**
   * Waits for the Services index's first sync, once and bounded (a Services watch that cannot
   * start must not slow every chunk down); false while it is not synced.
   */
  const servicesReady = async (): Promise<boolean> => {
    if (!services) return false;
    if (services.synced) return true;
    if (waitedForServices) return false;
    waitedForServices = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), servicesSyncTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([services.whenSynced(signal).then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  /** The enrichment of one involved object (shared by every record about it in the chunk). */
  const enrichObject = async (record: EventRecord, servicesSynced: boolean): Promise<Enrichment> => {
    const e = emptyEnrichment();
    const io = record.involvedObject;
    const known = KNOWN_KINDS[io.kind];
    const namespace = io.namespace !== '' ? io.namespace : known?.namespaced ? record.namespace : '';
    const ref = { apiVersion: io.apiVersion, kind: io.kind, namespace, name: io.name };
    const lookup = resolveLookup(ref);
    if (lookup === undefined) return e;
    const core = kindInfo(ref)?.group === '';
    const isPod = core && io.kind === 'Pod';
    const isNode = core && io.kind === 'Node';
    if (!(config.objects || config.owners || (isPod && (config.nodes || config.services)) || (isNode && config.nodes))) return e;

    const info = await tryFetch(lookup, e.errors);
    // The same name may now be a new object (a StatefulSet pod re-created): keep only what it shares with the old one.
    const replaced = info !== undefined && io.uid !== '' && info.uid !== '' && info.uid !== io.uid;
    if (replaced) {
      e.errors.push({ lookup: lookup.label, message: "replaced: the object was deleted and re-created (uid differs); pod status and node are not from the event's object" });
    }
    let nodeName = '';
    if (info !== undefined) {
      // Copies: records must never share (and so never alter) what the cache holds.
      if (config.objects) {
        e.labels = { ...info.labels };
        e.annotations = { ...info.annotations };
      }
      if (isPod && info.pod) {
        if (config.objects && !replaced) e.pod = { ip: info.pod.ip, hostIP: info.pod.hostIP, phase: info.pod.phase, startTime: info.pod.startTime };
        if (!replaced) nodeName = info.pod.nodeName;
      }
      if (isPod && config.services) {
        if (servicesSynced) e.services = services!.servicesFor(namespace, info.labels);
        else if (services) e.errors.push({ lookup: `services ${namespace}`, message: 'services index not synced yet' });
      }
      if (isNode && config.nodes) e.node = { name: io.name, addresses: (info.addresses ?? []).map((a) => ({ ...a })) };
      if (config.owners) {
        const chain = await resolveOwnerChain(namespace, info.ownerReferences, fetchObject);
        e.owners = chain.owners;
        e.workload = chain.workload ?? selfWorkload(io.kind, io.name, info.uid || io.uid, io.apiVersion);
        e.errors.push(...chain.errors);
      }
    }
    // A kubelet event names the pod's node in source.host: good enough when the pod is gone.
    if (isPod && config.nodes) {
      if (nodeName === '') nodeName = record.source.host;
      if (nodeName !== '') e.node = await nodeOf(nodeName, e.errors);
    }
    return e;
  };

  return {
    async enrich(records) {
      if (!enabled || records.length === 0) return;
      // Records about the same object share one enrichment (kubelet events also key on their host).
      const groups = new Map<string, EventRecord[]>();
      let pods = false;
      for (const record of records) {
        const io = record.involvedObject;
        const isPod = io.kind === 'Pod';
        pods ||= isPod;
        const key = `${io.kind}\u0000${io.apiVersion}\u0000${io.namespace || record.namespace}\u0000${io.name}\u0000${io.uid}\u0000${isPod ? record.source.host : ''}`;
        const group = groups.get(key);
        if (group) group.push(record);
        else groups.set(key, [record]);
      }
      const servicesSynced = config.services && pods ? await servicesReady() : false;
      await Promise.all(
        [...groups.values()].map(async (group) => {
          let e: Enrichment;
          try {
            e = await enrichObject(group[0]!, servicesSynced);
          } catch (err) {
            // Defensive: enrichObject records lookup failures itself; anything else is a bug, but the records still go on.
            logger.error('enrichment failed unexpectedly', { error: describeLookupError(err) });
            e = emptyEnrichment();
            e.errors.push({ lookup: 'enrichment', message: describeLookupError(err) });
          }
          // Records about the same object share one enrichment object: read-only from here on
          // (records are only serialised after this), so no per-record copy.
          for (const record of group) apply(record, e);
          counters.errors += e.errors.length * group.length;
          if (e.errors.length > 0) logger.debug('enrichment lookups failed', { errors: e.errors, records: group.length });
        }),
      );
    },
    stats() {
      const c = cache.stats();
      const l = limiter.stats();
      return {
        gets: counters.gets,
        failedGets: counters.failedGets,
        hits: c.hits,
        misses: c.misses,
        coalesced: c.coalesced,
        errors: counters.errors,
        cacheSize: c.size,
        evictions: c.evictions,
        throttled: l.waited,
        throttledMs: l.waitedMs,
      };
    },
  };
}

/** A workload kind's own reference, for events about the workload itself. */
function selfWorkload(kind: string, name: string, uid: string, apiVersion: string): OwnerRef | null {
  if (!WORKLOAD_KINDS.has(kind)) return null;
  const known = KNOWN_KINDS[kind]!;
  return { kind, name, uid, apiVersion: apiVersion || `${known.group}/${known.version}` };
}

/** Writes `e` into the record's enrichment, keeping errors already there. */
function apply(record: EventRecord, e: Enrichment): void {
  const previous = record.enrichment.errors;
  record.enrichment = previous.length > 0 ? { ...e, errors: [...previous, ...e.errors] } : e;
}
