/**
 * Per-sink routing: which sinks an event goes to. Built once from the sinks' `match`
 * configs; the result for an event is the list of sink indexes in config order.
 *
 * This is on the pipeline's hot path (once per record), so routing allocates nothing per
 * record: the result lists are frozen and shared. With every sink taking every event there is
 * one list; otherwise each distinct set of matching sinks gets its list the first time it
 * occurs and reuses it after (at most 2^sinks lists, in practice a handful).
 */
import type { EventRecord } from '../record/types.js';
import { createMatcher, matchesEverything } from './match.js';
import type { MatchCriteria } from './match.js';

/** Returns the indexes (into the sinks array given to {@link createRouter}) an event is routed to. Frozen; do not keep per record. */
export type Router = (rec: EventRecord) => readonly number[];

/** Above this many sinks a set of matches no longer fits a small-integer key: lists are built per record. */
const MAX_MEMO_SINKS = 30;

/**
 * Builds the router for `sinks` (anything with a `match`, e.g. resolved `SinkConfig`s).
 * Equal sets of matching sinks return the same frozen list.
 */
export function createRouter(sinks: readonly { match: MatchCriteria }[]): Router {
  if (sinks.every((s) => matchesEverything(s.match))) {
    const everyone: readonly number[] = Object.freeze(sinks.map((_, i) => i));
    return () => everyone;
  }
  const matchers = sinks.map((s) => createMatcher(s.match));
  const n = matchers.length;
  if (n > MAX_MEMO_SINKS) {
    return (rec) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) if (matchers[i]!(rec)) out.push(i);
      return out;
    };
  }
  /** Set of matching sinks (bit i = sink i) → its frozen index list. */
  const lists = new Map<number, readonly number[]>();
  const listOf = (set: number): readonly number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (set & (1 << i)) out.push(i);
    const list = Object.freeze(out);
    lists.set(set, list);
    return list;
  };
  return (rec) => {
    let set = 0;
    for (let i = 0; i < n; i++) if (matchers[i]!(rec)) set |= 1 << i;
    return lists.get(set) ?? listOf(set);
  };
}
