/**
 * A source yields raw Kubernetes Event objects (core/v1 or events.k8s.io/v1) as plain JSON
 * (string timestamps), in chunks. Pulling is backpressure: a source must not prefetch
 * unboundedly while the consumer is not asking for the next chunk.
 */
import type { Position } from '../checkpoint/position.js';
import type { EventRecord } from '../record/types.js';
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
  /**
   * Set by a source of already-mapped records (the `archive` source): the record goes to the
   * filter and transforms as it is, keeping its id, cluster and enrichment (`object` is the same
   * record). Not mapped again, and delivered whatever its action.
   */
  record?: EventRecord;
}

/**
 * An entry a source read that is not an event to deliver. The pipeline counts each one as
 * received, like an event, so the run summary adds up:
 * - `bookmark`: a watch `BOOKMARK` entry (it only moves the resourceVersion);
 * - `watch-error`: a watch `ERROR` entry (a Status, e.g. 410 Expired), skipped with a warning;
 * - `rejected`: an entry that is valid JSON but no Kubernetes Event (another kind, not an
 *   object, a List whose `items` is not an array). It is dead-lettered (stage `source`) with
 *   `error`, whose message names the input and the entry (file, line or item index), under `id`
 *   when given (distinct ids keep single-entry dead-letter batches from sharing a batch id).
 */
export type SourceNotice =
  | { readonly kind: 'bookmark' }
  | { readonly kind: 'watch-error' }
  | {
      readonly kind: 'rejected';
      readonly input: unknown;
      readonly error: { readonly code: string; readonly message: string };
      /** The dead-letter record's id when `input` has no Event metadata to build one from (`<object key>#<entry>`). */
      readonly id?: string;
    };

/**
 * One chunk of a source's stream. `position` (live sources): once this chunk and every chunk
 * before it are handled, resuming the watch `position.key` after `position.rv` loses nothing.
 * `synced`: this chunk completes a live source's initial list (everything the API server held
 * at start is now delivered), so the sinks close their open batches at once instead of after
 * `maxAgeMs`. `notices`: the entries read since the previous chunk that are not events (see
 * {@link SourceNotice}). A chunk may be empty and carry only a position, `synced` and/or notices.
 */
export type SourceChunk = readonly SourceItem[] & { readonly position?: Position; readonly synced?: true; readonly notices?: readonly SourceNotice[] };

export interface SourceContext {
  signal: AbortSignal;
  logger: Logger;
}

export interface Source {
  readonly kind: string;
  /** Ends when the source is exhausted (replay without follow) or the signal aborts. */
  stream(ctx: SourceContext): AsyncIterable<SourceChunk>;
}
