/** The forensics engine: batch files → the DuckDB view `events` (columns: ./columns.ts). */
export { openEvents } from './events.js';
export type { EventsDb, OpenEventsOptions, Prefetch } from './events.js';
export { RECORD_COLUMNS, TIME_EXPRESSION, sqlIdentifier, sqlString } from './columns.js';
