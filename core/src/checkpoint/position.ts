/**
 * Resume positions. A position `{ key, rv }` says: every event of the watch `key` (its
 * collection path) whose resourceVersion is at most `rv` has been handled. Kubernetes calls
 * resourceVersions opaque, but every API server backed by etcd hands out increasing integers
 * (the etcd revision), which is what makes a single number per watch a complete, bounded
 * resume point. Values that are not integers cannot be compared; callers then fall back to
 * re-emitting (never to skipping).
 */

/** "Every event of watch `key` up to resourceVersion `rv` is handled." */
export interface Position {
  key: string;
  rv: string;
}

/** The resume point: one resourceVersion per watch key. */
export type ResumePoint = Record<string, string>;

const INTEGER = /^\d{1,30}$/;

/** The resourceVersion as a bigint, or null when it is not a plain integer. */
export function rvNumber(rv: string | null | undefined): bigint | null {
  return typeof rv === 'string' && INTEGER.test(rv) ? BigInt(rv) : null;
}
