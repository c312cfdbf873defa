import { classifyFailure } from '../dispatch/retry.js';

/** How the core's dispatcher will treat an error a sink's `send` threw. */
export type SinkErrorClass = 'permanent' | 'retry-after' | 'transient';

/**
 * Classifies a thrown value exactly as the dispatcher does (duck-typed on `code`/`name`, so a
 * plugin that bundles its own copy of the core is classified the same way): permanent
 * (dead-lettered), retry-after (throttled), or transient (retried with backoff; a timeout is one).
 */
export function classifySinkError(err: unknown): SinkErrorClass {
  const { kind } = classifyFailure(err);
  return kind === 'timeout' ? 'transient' : kind;
}
