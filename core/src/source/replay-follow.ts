/**
 * `follow` mode: every pass over the replay file after the first one must look like new
 * events, or the pipeline's dedupe (ids are uid + resourceVersion) would drop them. Each pass
 * gets a uid suffix, resourceVersions keep increasing, and timestamps move to the time of
 * emission (keeping the gap between an event's first and last occurrence).
 */
import { parseIsoUtc } from '../record/timestamp.js';

/** Timestamp fields of core/v1 and events.k8s.io/v1 Events, as paths. */
const TIME_FIELDS: readonly (readonly [string, string] | readonly [string])[] = [
  ['metadata', 'creationTimestamp'],
  ['firstTimestamp'],
  ['lastTimestamp'],
  ['eventTime'],
  ['deprecatedFirstTimestamp'],
  ['deprecatedLastTimestamp'],
  ['series', 'lastObservedTime'],
];

/** Rewrites one raw event in place for pass `loop` (≥ 1), emitted at `now` (ms since epoch). */
export function freshenEvent(event: Record<string, unknown>, opts: { loop: number; resourceVersion: string; now: number }): void {
  const metadata = event['metadata'];
  if (isObj(metadata)) {
    if (typeof metadata['uid'] === 'string' && metadata['uid'] !== '') {
      metadata['uid'] = `${metadata['uid']}-r${opts.loop}`;
    }
    metadata['resourceVersion'] = opts.resourceVersion;
  }
  shiftTimestamps(event, opts.now);
}

/** Moves every timestamp of `event` by the same amount so the latest one equals `now`. */
export function shiftTimestamps(event: Record<string, unknown>, now: number): void {
  const found: { holder: Record<string, unknown>; key: string; ms: number }[] = [];
  for (const path of TIME_FIELDS) {
    let holder: unknown = event;
    for (const key of path.slice(0, -1)) holder = isObj(holder) ? holder[key] : undefined;
    const key = path[path.length - 1] as string;
    if (!isObj(holder)) continue;
    const value = holder[key];
    if (typeof value !== 'string' || value === '') continue;
    const ms = parseIsoUtc(value) ?? Date.parse(value); // a zone-less time is UTC, as the record reads it
    if (Number.isFinite(ms)) found.push({ holder, key, ms });
  }
  if (found.length === 0) return;
  const delta = now - Math.max(...found.map((f) => f.ms));
  for (const f of found) f.holder[f.key] = new Date(f.ms + delta).toISOString();
}

/** Numeric value of a resourceVersion (etcd revisions are integers), or null for opaque ones. */
export function numericResourceVersion(value: unknown): bigint | null {
  return typeof value === 'string' && /^\d{1,30}$/.test(value) ? BigInt(value) : null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
