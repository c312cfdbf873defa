/**
 * Conversion between core/v1 Events and events.k8s.io/v1 Events. As in the real API server both
 * are one storage: events are stored in the core/v1 shape and served converted under
 * `/apis/events.k8s.io/v1` (`involvedObject`→`regarding`, `message`→`note`,
 * `count`→`deprecatedCount`, `source`→`deprecatedSource`, `firstTimestamp`/`lastTimestamp`→
 * `deprecatedFirstTimestamp`/`deprecatedLastTimestamp`, `reportingComponent`→`reportingController`).
 */
import type { KubeObject } from './selectors.js';

/** core/v1 field → events.k8s.io/v1 field, for fields that are renamed. */
const RENAMES: readonly (readonly [string, string])[] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['count', 'deprecatedCount'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['reportingComponent', 'reportingController'],
];

/** Fields with the same name in both shapes. */
const SAME = ['metadata', 'eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type'] as const;

/** Converts a stored core/v1 Event to the events.k8s.io/v1 shape (a new object; input untouched). */
export function toEventsV1(core: KubeObject): KubeObject {
  const out: Record<string, unknown> = { kind: 'Event', apiVersion: 'events.k8s.io/v1' };
  for (const f of SAME) if (core[f] !== undefined) out[f] = core[f];
  if (out['eventTime'] === undefined) out['eventTime'] = null;
  for (const [from, to] of RENAMES) if (core[from] !== undefined) out[to] = core[from];
  return out;
}

/** Converts an events.k8s.io/v1 Event (as a client sends it) to the stored core/v1 shape. */
export function fromEventsV1(ev: KubeObject): KubeObject {
  const out: Record<string, unknown> = { kind: 'Event', apiVersion: 'v1' };
  for (const f of SAME) if (ev[f] !== undefined && ev[f] !== null) out[f] = ev[f];
  for (const [from, to] of RENAMES) if (ev[to] !== undefined) out[from] = ev[to];
  return out;
}
