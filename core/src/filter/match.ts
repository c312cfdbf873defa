/**
 * Event predicates built once from config and run for every event: sets are precomputed,
 * absent criteria cost nothing. Matching is by exact string (no globs, no case folding).
 */
import type { MatchConfig, SourceConfig } from '../config/types.js';
import type { EventRecord } from '../record/types.js';

/** A predicate over records: true = keep / route. */
export type RecordPredicate = (rec: EventRecord) => boolean;

/** Criteria shared by source filters and sink routing. Absent or empty list = any value. */
export type MatchCriteria = Partial<MatchConfig>;

const ANY: RecordPredicate = () => true;

/**
 * Per-sink routing predicate: an event matches when every non-empty list matches —
 * `namespaces` (record namespace is in it), `excludeNamespaces` (it is not),
 * `types`, `reasons`, and `kinds` (the involved object's kind).
 */
export function createMatcher(m: MatchCriteria): RecordPredicate {
  const checks: RecordPredicate[] = [];
  const include = toSet(m.namespaces);
  if (include) checks.push((rec) => include.has(rec.namespace));
  const exclude = toSet(m.excludeNamespaces);
  if (exclude) checks.push((rec) => !exclude.has(rec.namespace));
  const types = toSet(m.types);
  if (types) checks.push((rec) => types.has(rec.type));
  const reasons = toSet(m.reasons);
  if (reasons) checks.push((rec) => reasons.has(rec.reason));
  const kinds = toSet(m.kinds);
  if (kinds) checks.push((rec) => kinds.has(rec.involvedObject.kind));
  return all(checks);
}

/**
 * Source-level filter: the same criteria as {@link createMatcher} plus `minCount`
 * (drop events that occurred fewer times). Events it rejects never reach transforms or sinks.
 */
export function createSourceFilter(cfg: Pick<SourceConfig, 'namespaces' | 'excludeNamespaces' | 'types' | 'reasons' | 'kinds' | 'minCount'>): RecordPredicate {
  const match = createMatcher(cfg);
  const minCount = cfg.minCount;
  if (!(minCount > 1)) return match;
  if (match === ANY) return (rec) => rec.count >= minCount;
  return (rec) => rec.count >= minCount && match(rec);
}

/** True when the criteria select every event (lets callers skip the call entirely). */
export function matchesEverything(m: MatchCriteria): boolean {
  return createMatcher(m) === ANY;
}

function toSet(list: readonly string[] | undefined): ReadonlySet<string> | null {
  return list && list.length > 0 ? new Set(list) : null;
}

function all(checks: readonly RecordPredicate[]): RecordPredicate {
  if (checks.length === 0) return ANY;
  if (checks.length === 1) return checks[0] as RecordPredicate;
  return (rec) => {
    for (const check of checks) if (!check(rec)) return false;
    return true;
  };
}
