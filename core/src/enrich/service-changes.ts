/**
 * Service change records (`enrich.serviceChanges`): each service added, updated (selector or
 * ports changed) or deleted becomes a synthetic core/v1 Event about the Service, with the pods
 * behind it in its message. The pods come from one LIST by label selector per change (cached
 * briefly, shared by concurrent changes), never one request per event.
 */
import { createHash } from 'node:crypto';
import type { SourceItem } from '../source/types.js';
import type { Logger } from '../util/logger.js';
import { createLookupCache } from './cache.js';
import { describeLookupError } from './lookup-error.js';
import { podListPath } from './lookups.js';
import type { TokenBucket } from './rate-limit.js';
import type { ServiceChange, ServiceEntry } from './services.js';
import type { JsonGetter } from './types.js';

/** `source.component` and `reportingComponent` of the synthetic events. */
export const SERVICE_CHANGE_COMPONENT = 'k8stream';

/** Event reasons of the synthetic events. */
export const SERVICE_CHANGE_REASONS = { added: 'ServiceAdded', updated: 'ServiceUpdated', deleted: 'ServiceDeleted' } as const;

/** Options of {@link createServiceChangeFeed}. */
export interface ServiceChangeFeedOptions {
  /** Lists the pods behind a service. */
  get: JsonGetter;
  logger: Logger;
  /** Shared client-side rate limit (the enricher's); none when omitted. */
  limiter?: TokenBucket;
  /** How long a pod list is reused for another change with the same selector. @default 5000 */
  podListTtlMs?: number;
  /** @default 1000 */
  podListMaxEntries?: number;
  /** Changes buffered while nobody reads them; the oldest are dropped (and counted) beyond. @default 10000 */
  maxPending?: number;
  /** Pod names listed in a message; the rest are counted. @default 50 */
  maxPodNames?: number;
  /** Clock for the events' timestamps. @default () => new Date() */
  now?: () => Date;
  /** Aborts LISTs in flight. */
  signal?: AbortSignal;
}

/** Counters of a change feed. */
export interface ServiceChangeStats {
  /** Change records produced. */
  produced: number;
  /** Pod LIST requests made. */
  podLists: number;
  /** Changes dropped because nobody read them in time. */
  dropped: number;
}

/** Turns service changes into synthetic Event source items. */
export interface ServiceChangeFeed {
  push(change: ServiceChange): void;
  /** No more changes will be pushed: `changes()` ends once the pending ones are out. */
  end(): void;
  /** The records, in change order, as chunks. Single consumer. */
  changes(signal?: AbortSignal): AsyncIterable<readonly SourceItem[]>;
  stats(): ServiceChangeStats;
}

/** The pods behind a service, or why they are unknown. */
export type PodsBehind = { names: string[] } | { error: string };

/** A deterministic UUID (version-5 layout) from `text`. */
export function deterministicUid(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function selectorText(selector: Readonly<Record<string, string>> | null): string {
  if (selector === null) return 'no selector';
  return `selector ${Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]!}`)
    .join(',')}`;
}

function portsText(service: ServiceEntry): string {
  if (service.ports.length === 0) return 'no ports';
  const ports = service.ports.map((p) => `${p.name === '' ? '' : `${p.name}:`}${p.port}/${p.protocol}${p.targetPort === '' ? '' : `->${p.targetPort}`}`);
  return `ports ${ports.join(', ')}`;
}

function podsText(pods: PodsBehind, maxNames: number): string {
  if ('error' in pods) return `pods unknown (${pods.error})`;
  const n = pods.names.length;
  if (n === 0) return 'no pods';
  const shown = pods.names.slice(0, maxNames).join(', ');
  const more = n > maxNames ? ` and ${n - maxNames} more` : '';
  return `${n} pod${n === 1 ? '' : 's'}: ${shown}${more}`;
}

/** The message of a change record: what changed, the selector and ports, and the pods behind it. */
export function serviceChangeMessage(change: ServiceChange, pods: PodsBehind, maxPodNames = 50): string {
  const s = change.service;
  const id = `Service ${s.namespace}/${s.name}`;
  const parts = [selectorText(s.selector)];
  if (change.type === 'updated' && change.previous) {
    const before = change.previous;
    if (selectorText(before.selector) !== parts[0]) parts[0] += ` (was ${selectorText(before.selector).replace(/^selector /, '')})`;
    const ports = portsText(s);
    parts.push(portsText(before) !== ports ? `${ports} (was ${portsText(before).replace(/^ports /, '')})` : ports);
  } else {
    parts.push(portsText(s));
  }
  parts.push(s.selector === null ? 'no pods selected' : podsText(pods, maxPodNames));
  return `${id} ${change.type}: ${parts.join('; ')}`;
}

/**
 * The synthetic core/v1 Event for a change. Its uid is derived from the service uid, its
 * resourceVersion and the reason, and its resourceVersion is the service's, so the record id
 * is the same whenever the same change is seen again.
 */
export function serviceChangeEvent(change: ServiceChange, pods: PodsBehind, time: Date, maxPodNames = 50): Record<string, unknown> {
  const s = change.service;
  const reason = SERVICE_CHANGE_REASONS[change.type];
  const uid = deterministicUid(`k8stream/service-change:${s.namespace}/${s.name}:${s.uid}:${s.resourceVersion}:${reason}`);
  const timestamp = new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${s.name}.${uid.replace(/-/g, '').slice(0, 16)}`,
      namespace: s.namespace,
      uid,
      resourceVersion: s.resourceVersion,
      creationTimestamp: timestamp,
    },
    involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: s.namespace, name: s.name, uid: s.uid, resourceVersion: s.resourceVersion },
    reason,
    message: serviceChangeMessage(change, pods, maxPodNames),
    type: 'Normal',
    source: { component: SERVICE_CHANGE_COMPONENT },
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    eventTime: null,
    count: 1,
    reportingComponent: SERVICE_CHANGE_COMPONENT,
    reportingInstance: '',
  };
}

function podNames(list: unknown): string[] {
  const items = (list as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  const names = items.map((item) => (item as { metadata?: { name?: unknown } } | null)?.metadata?.name).filter((n): n is string => typeof n === 'string');
  return names.sort();
}

/** Creates a {@link ServiceChangeFeed}. */
export function createServiceChangeFeed(options: ServiceChangeFeedOptions): ServiceChangeFeed {
  const { get, logger, limiter, signal } = options;
  const maxPending = Math.max(1, options.maxPending ?? 10_000);
  const maxPodNames = options.maxPodNames ?? 50;
  const now = options.now ?? (() => new Date());
  const podLists = createLookupCache<string[]>({ maxEntries: options.podListMaxEntries ?? 1000, ttlMs: options.podListTtlMs ?? 5000, negativeTtlMs: 0 });
  const counters: ServiceChangeStats = { produced: 0, podLists: 0, dropped: 0 };

  const input: ServiceChange[] = [];
  const output: SourceItem[] = [];
  let working = false;
  /** The change being resolved was dropped (the queue overflowed meanwhile). */
  let currentDropped = false;
  let ended = false;
  let wake: (() => void) | undefined;

  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  /** Changes held now: produced and unread, being resolved, and waiting. */
  const held = (): number => output.length + (working && !currentDropped ? 1 : 0) + input.length;

  /** Drops the oldest held change: an unread record, else the one being resolved, else the next waiting. */
  const dropOldest = (): void => {
    if (output.length > 0) output.shift();
    else if (working && !currentDropped) currentDropped = true;
    else input.shift();
    counters.dropped++;
    if (counters.dropped === 1 || counters.dropped % 1000 === 0) {
      logger.warn('service change records dropped: nobody is reading them', { dropped: counters.dropped, maxPending });
    }
  };

  const podsBehind = async (s: ServiceEntry): Promise<PodsBehind> => {
    if (s.selector === null) return { names: [] };
    const selector = s.selector;
    const path = podListPath(s.namespace, selector);
    try {
      const names = await podLists.get(path, async () => {
        await limiter?.take(signal);
        counters.podLists++;
        return podNames(await get(path, signal));
      });
      return { names };
    } catch (err) {
      return { error: `list failed: ${describeLookupError(err)}` };
    }
  };

  const work = async (): Promise<void> => {
    working = true;
    try {
      let change: ServiceChange | undefined;
      while ((change = input.shift()) !== undefined) {
        currentDropped = false;
        const pods = await podsBehind(change.service);
        if (currentDropped) continue;
        const event = serviceChangeEvent(change, pods, now(), maxPodNames);
        output.push({ type: 'ADDED', object: event, receivedAt: Date.now() });
        counters.produced++;
        notify();
      }
    } finally {
      working = false;
      notify();
    }
  };

  return {
    push(change) {
      if (ended) return;
      if (held() >= maxPending) dropOldest();
      input.push(change);
      if (!working) void work();
    },
    end() {
      ended = true;
      notify();
    },
    async *changes(readSignal) {
      const onAbort = (): void => notify();
      readSignal?.addEventListener('abort', onAbort);
      try {
        while (!readSignal?.aborted) {
          if (output.length > 0) {
            yield output.splice(0);
            continue;
          }
          if (ended && !working && input.length === 0) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        readSignal?.removeEventListener('abort', onAbort);
      }
    },
    stats() {
      return { ...counters };
    },
  };
}
