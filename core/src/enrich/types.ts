/**
 * The small interfaces enrichment is written against, so it can be tested with fakes and wired
 * to any Kubernetes client: a JSON getter for single objects and lists, and an object feed
 * (list + watch) for the Services index.
 */

/**
 * GETs an API path (with its query string, e.g. `/api/v1/namespaces/shop/pods/web-1` or
 * `/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb`) and resolves with the parsed JSON.
 * Failures reject; an HTTP failure carries the status code as a numeric `status` property
 * (as `K8streamError`s from the Kubernetes client do).
 */
export type JsonGetter = (path: string, signal?: AbortSignal) => Promise<unknown>;

/** The full state of a resource: replaces everything known before. */
export interface FeedSync {
  kind: 'sync';
  objects: readonly unknown[];
  resourceVersion?: string;
}

/** One watch change. */
export interface FeedEvent {
  kind: 'event';
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: unknown;
}

/** The watch lost history (410 Gone); a `sync` follows. Extra fields are ignored. */
export interface FeedGap {
  kind: 'gap';
}

/** A page of a list delivered page by page; feeds for the enricher list whole (they never send these). */
export interface FeedPage {
  kind: 'page';
}

export type FeedItem = FeedSync | FeedEvent | FeedGap | FeedPage;

/** A list-then-watch of one resource, as an async iterable (e.g. the Kubernetes source's list-watch). */
export type ObjectFeed = AsyncIterable<FeedItem>;

/** A reference to a Kubernetes object, as found in an involvedObject or ownerReference. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** Empty when unknown. */
  uid: string;
}

/** A raw ownerReference, as kept from a fetched object. */
export interface RawOwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
}

/**
 * What enrichment keeps of a fetched object (the cache holds these, not whole objects, so
 * 10,000 cached pods stay small).
 */
export interface ObjectInfo {
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: RawOwnerRef[];
  /** Pods only. */
  pod?: { nodeName: string; ip: string; hostIP: string; phase: string; startTime: string | null };
  /** Nodes only. */
  addresses?: { type: string; address: string }[];
}
