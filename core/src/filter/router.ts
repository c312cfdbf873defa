/**
 * Per-sink routing: which sinks an event goes to. Built once from the sinks' `match`
 * configs; the result for an event is the list of sink indexes in config order.
 */
import type { EventRecord } from '../record/types.js';
import { createMatcher, matchesEverything } from './match.js';
import type { MatchCriteria } from './match.js';

/** Returns the indexes (into the sinks array given to {@link createRouter}) an event is routed to. */
export type Router = (rec: EventRecord) => readonly number[];

/**
 * Builds the router for `sinks` (anything with a `match`, e.g. resolved `SinkConfig`s).
 * When every sink takes every event, the same (frozen) index list is returned for each event.
 */
export function createRouter(sinks: readonly { match: MatchCriteria }[]): Router {
  if (sinks.every((s) => matchesEverything(s.match))) {
    const everyone: readonly number[] = Object.freeze(sinks.map((_, i) => i));
    return () => everyone;
  }
  const matchers = sinks.map((s) => createMatcher(s.match));
  return (rec) => {
    const out: number[] = [];
    matchers.forEach((match, i) => {
      if (match(rec)) out.push(i);
    });
    return out;
  };
}
