/** The live Kubernetes events source (the client and list+watch engine live in ../../kube). */
export { EventTracker, lastOccurrence, occurrenceCount, occurrenceTimes } from './tracker.js';
export type { Emission, EmitType, TrackerCounters, TrackerOptions } from './tracker.js';
export { gapMarkerEvent } from './gap-marker.js';
export type { GapMarkerOptions } from './gap-marker.js';
export { planWatches, apiBase, escapeFieldValue } from './plan.js';
export type { WatchTarget } from './plan.js';
export { createLabelsLookup, objectPath, pluralOf } from './involved-labels.js';
export type { InvolvedRef, LabelsLookup, LabelsLookupOptions } from './involved-labels.js';
export { createKubernetesSource } from './events-source.js';
export type { KubernetesSource, KubernetesSourceCounters, KubernetesSourceOptions, KubernetesSourceState, ListWatchTuning } from './events-source.js';
