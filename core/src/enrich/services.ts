/**
 * The Services index: every Service of the cluster, kept current from a list+watch feed (a
 * sync replaces everything, events upsert or delete), answering "which services select this
 * pod" in O(services in the namespace) without one GET per event. Optionally it reports
 * service changes (added, selector/ports updated, deleted) as synthetic Events.
 */
import type { SourceItem } from '../source/types.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { stringMap } from './object-info.js';
import { createServiceChangeFeed } from './service-changes.js';
import type { ServiceChangeFeedOptions } from './service-changes.js';
import type { FeedItem, ObjectFeed } from './types.js';

/** One port of a Service, as compared for "ports changed". */
export interface ServicePort {
  name: string;
  protocol: string;
  port: number;
  /** Number or named port, as a string; empty when unset. */
  targetPort: string;
}

/** What the index keeps of a Service. */
export interface ServiceEntry {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  /** Null when the Service has no selector (or an empty one): it selects no pods. */
  selector: Record<string, string> | null;
  ports: ServicePort[];
}

/** A change of the set of services, as reported to `onChange`. */
export interface ServiceChange {
  type: 'added' | 'updated' | 'deleted';
  /** The service after the change (for `deleted`: as last seen, or as the DELETED event carried it). */
  service: ServiceEntry;
  /** For `updated`: the service before. */
  previous?: ServiceEntry;
}

/** Options of {@link createServicesIndex}. */
export interface ServicesIndexOptions {
  logger?: Logger;
  /** Called for each change after the first sync (the first sync is the baseline and reports nothing). */
  onChange?: (change: ServiceChange) => void;
  /**
   * Turns on service change records (`enrich.serviceChanges`): each change becomes a synthetic
   * core/v1 Event listing the pods behind the service, read from {@link ServicesIndex.serviceChanges}.
   */
  changes?: Omit<ServiceChangeFeedOptions, 'logger'>;
}

/** An index of Services, kept current by a watch. */
export interface ServicesIndex {
  /** Applies one feed item. */
  apply(item: FeedItem): void;
  /** Applies every item of `feed` until it ends or `signal` aborts; then ends `serviceChanges()` once drained. */
  run(feed: ObjectFeed, signal?: AbortSignal): Promise<void>;
  /** Services in `namespace` whose selector is a subset of `labels`, sorted by name. */
  servicesFor(namespace: string, labels: Readonly<Record<string, string>>): { name: string; namespace: string }[];
  /** True once a first sync was applied. */
  readonly synced: boolean;
  /** Resolves at the first sync; rejects if `signal` aborts first. */
  whenSynced(signal?: AbortSignal): Promise<void>;
  /** Number of services known. */
  readonly size: number;
  /**
   * Service change records as chunks of source items (synthetic core/v1 Events, action ADDED),
   * for the source to merge into its stream. Single consumer. Ends after `run`'s feed ends and
   * the last change is out, or when `signal` aborts; ends at once when changes are off.
   */
  serviceChanges(signal?: AbortSignal): AsyncIterable<readonly SourceItem[]>;
}

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** What the index keeps of a raw Service, or undefined without a name. */
export function toServiceEntry(raw: unknown): ServiceEntry | undefined {
  const o = obj(raw);
  const metadata = obj(o['metadata']);
  const spec = obj(o['spec']);
  const name = str(metadata['name']);
  if (name === '') return undefined;
  const selector = stringMap(spec['selector']);
  const rawPorts = Array.isArray(spec['ports']) ? spec['ports'] : [];
  const ports = rawPorts.map((p) => {
    const port = obj(p);
    const target = port['targetPort'];
    return {
      name: str(port['name']),
      protocol: str(port['protocol']) || 'TCP',
      port: typeof port['port'] === 'number' ? port['port'] : 0,
      targetPort: typeof target === 'number' || typeof target === 'string' ? String(target) : '',
    };
  });
  return {
    namespace: str(metadata['namespace']),
    name,
    uid: str(metadata['uid']),
    resourceVersion: str(metadata['resourceVersion']),
    selector: Object.keys(selector).length === 0 ? null : selector,
    ports,
  };
}

/** Whether `selector` (non-null) is a subset of `labels`. */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const key in selector) {
    if (labels[key] !== selector[key]) return false;
  }
  return true;
}

/** The part of a service whose change is reported as `updated`: its selector and ports. */
function specKey(s: ServiceEntry): string {
  const selector =
    s.selector === null
      ? null
      : Object.keys(s.selector)
          .sort()
          .map((k) => [k, s.selector![k]]);
  return JSON.stringify([selector, s.ports]);
}

/** Creates an empty {@link ServicesIndex}; feed it with `run` or `apply`. */
export function createServicesIndex(options: ServicesIndexOptions = {}): ServicesIndex {
  const logger = options.logger ?? silentLogger;
  const changeFeed = options.changes ? createServiceChangeFeed({ ...options.changes, logger }) : undefined;
  const byNamespace = new Map<string, Map<string, ServiceEntry>>();
  let count = 0;
  let synced = false;
  let markSynced!: () => void;
  const syncedPromise = new Promise<void>((resolve) => (markSynced = resolve));

  const report = (change: ServiceChange): void => {
    if (!synced) return;
    options.onChange?.(change);
    changeFeed?.push(change);
  };

  const lookup = (namespace: string, name: string): ServiceEntry | undefined => byNamespace.get(namespace)?.get(name);

  const put = (entry: ServiceEntry): void => {
    let services = byNamespace.get(entry.namespace);
    if (services === undefined) byNamespace.set(entry.namespace, (services = new Map<string, ServiceEntry>()));
    if (!services.has(entry.name)) count++;
    services.set(entry.name, entry);
  };

  const remove = (namespace: string, name: string): void => {
    const services = byNamespace.get(namespace);
    if (services?.delete(name)) {
      count--;
      if (services.size === 0) byNamespace.delete(namespace);
    }
  };

  /** Upserts and reports what changed. */
  const upsert = (entry: ServiceEntry): void => {
    const previous = lookup(entry.namespace, entry.name);
    put(entry);
    if (previous === undefined) report({ type: 'added', service: entry });
    else if (previous.uid !== entry.uid) {
      report({ type: 'deleted', service: previous });
      report({ type: 'added', service: entry });
    } else if (specKey(previous) !== specKey(entry)) report({ type: 'updated', service: entry, previous });
  };

  const sync = (objects: readonly unknown[]): void => {
    const next = new Map<string, ServiceEntry>();
    for (const raw of objects) {
      const entry = toServiceEntry(raw);
      if (entry) next.set(`${entry.namespace}/${entry.name}`, entry);
    }
    const old = [...byNamespace.values()].flatMap((m) => [...m.values()]);
    for (const entry of old) {
      if (!next.has(`${entry.namespace}/${entry.name}`)) {
        remove(entry.namespace, entry.name);
        report({ type: 'deleted', service: entry });
      }
    }
    for (const entry of next.values()) upsert(entry);
    if (!synced) {
      synced = true;
      markSynced();
    }
    logger.debug('services index synced', { services: count });
  };

  const apply = (item: FeedItem): void => {
    switch (item.kind) {
      case 'sync':
        sync(item.objects);
        return;
      case 'event': {
        const entry = toServiceEntry(item.object);
        if (entry === undefined) return;
        if (item.type === 'DELETED') {
          const known = lookup(entry.namespace, entry.name);
          remove(entry.namespace, entry.name);
          // The DELETED object carries the deletion resourceVersion; keep the last known spec if it has none.
          report({ type: 'deleted', service: entry.selector === null && known ? { ...known, resourceVersion: entry.resourceVersion || known.resourceVersion } : entry });
        } else {
          upsert(entry);
        }
        return;
      }
      case 'gap':
        logger.debug('services watch lost history; keeping the index until the next sync');
        return;
      default:
        return;
    }
  };

  return {
    apply,
    async run(feed, signal) {
      try {
        for await (const item of feed) {
          if (signal?.aborted) break;
          apply(item);
        }
      } finally {
        changeFeed?.end();
      }
    },
    servicesFor(namespace, labels) {
      const services = byNamespace.get(namespace);
      if (services === undefined) return [];
      const out: { name: string; namespace: string }[] = [];
      for (const s of services.values()) {
        if (s.selector !== null && selectorMatches(s.selector, labels)) out.push({ name: s.name, namespace: s.namespace });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    get synced() {
      return synced;
    },
    whenSynced(signal) {
      if (synced || signal === undefined) return syncedPromise;
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        void syncedPromise.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    get size() {
      return count;
    },
    serviceChanges(signal) {
      return changeFeed ? changeFeed.changes(signal) : (async function* () {})();
    },
  };
}
