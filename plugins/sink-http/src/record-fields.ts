/** Safe reads of record fields: a batch may carry event records or dead-letter records. */

/** A string field of `record`, or `''`. */
export function stringField(record: unknown, key: string): string {
  if (record === null || typeof record !== 'object') return '';
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : '';
}

/** The record's event time in ms since epoch (lastTimestamp, eventTime, firstTimestamp, time), or `fallback`. */
export function recordTime(record: unknown, fallback: number): number {
  for (const key of ['lastTimestamp', 'eventTime', 'firstTimestamp', 'time']) {
    const at = Date.parse(stringField(record, key));
    if (!Number.isNaN(at)) return at;
  }
  return fallback;
}
