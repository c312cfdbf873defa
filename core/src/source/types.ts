/**
 * A source yields raw Kubernetes Event objects (core/v1 or events.k8s.io/v1) as plain JSON
 * (string timestamps), in chunks. Pulling is backpressure: a source must not prefetch
 * unboundedly while the consumer is not asking for the next chunk.
 */
import type { Position } from '../checkpoint/position.js';
import type { Logger } from '../util/logger.js';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** `SYNC`: found by the initial list of a live source (the record's `action` says so). */
export type SourceItemType = WatchType | 'SYNC';

export interface SourceItem {
  type: SourceItemType;
  /** The raw Event object as JSON. */
  object: Record<string, unknown>;
  /** When k8stream received it (ms since epoch), for lag and latency. */
  receivedAt: number;
}

/**
 * One chunk of a source's stream. `position` (live sources): once this chunk and every chunk
 * before it are handled, resuming the watch `position.key` after `position.rv` loses nothing.
 * `synced`: this chunk completes a live source's initial list (everything the API server held
 * at start is now delivered), so the sinks close their open batches at once instead of after
 * `maxAgeMs`. A chunk may be empty and carry only a position and/or `synced`.
 */
export type SourceChunk = readonly SourceItem[] & { readonly position?: Position; readonly synced?: true };

export interface SourceContext {
  signal: AbortSignal;
  logger: Logger;
}

export interface Source {
  readonly kind: string;
  /** Ends when the source is exhausted (replay without follow) or the signal aborts. */
  stream(ctx: SourceContext): AsyncIterable<SourceChunk>;
}
