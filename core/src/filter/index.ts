/** Source filters and per-sink routing. */
export { createMatcher, createSourceFilter, matchesEverything } from './match.js';
export type { MatchCriteria, RecordPredicate } from './match.js';
export { createRouter } from './router.js';
export type { Router } from './router.js';
