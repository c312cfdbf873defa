/**
 * Enrichment: lookups that add context to each event (labels, owners, node, pod, services),
 * through a bounded cache and a client-side rate limit, plus the watched Services index and its
 * optional service change records.
 */
export { createEnricher, ENRICH_DEFAULTS } from './enricher.js';
export type { Enricher, EnricherConfig, EnricherOptions, EnricherStats } from './enricher.js';
export { createLookupCache, isNotFound, statusOf } from './cache.js';
export type { LookupCache, LookupCacheOptions, LookupCacheStats } from './cache.js';
export { createTokenBucket } from './rate-limit.js';
export type { TokenBucket, TokenBucketOptions, TokenBucketStats } from './rate-limit.js';
export { KNOWN_KINDS, collectionPath, kindInfo, lookupLabel, parseApiVersion, pluralOf, podListPath, resolveLookup } from './lookups.js';
export type { KindInfo, Lookup } from './lookups.js';
export { MAX_OWNER_DEPTH, WORKLOAD_KINDS, controllerRef, resolveOwnerChain, topWorkload } from './owners.js';
export type { ObjectFetcher, OwnerChain } from './owners.js';
export { createServicesIndex, selectorMatches, toServiceEntry } from './services.js';
export type { ServiceChange, ServiceEntry, ServicePort, ServicesIndex, ServicesIndexOptions } from './services.js';
export { SERVICE_CHANGE_COMPONENT, SERVICE_CHANGE_REASONS, createServiceChangeFeed, deterministicUid, serviceChangeEvent, serviceChangeMessage } from './service-changes.js';
export type { PodsBehind, ServiceChangeFeed, ServiceChangeFeedOptions, ServiceChangeStats } from './service-changes.js';
export { DROPPED_ANNOTATIONS, toObjectInfo } from './object-info.js';
export { describeLookupError } from './lookup-error.js';
export type { FeedEvent, FeedGap, FeedItem, FeedSync, JsonGetter, ObjectFeed, ObjectInfo, ObjectRef, RawOwnerRef } from './types.js';
