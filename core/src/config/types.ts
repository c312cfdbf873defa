/**
 * The resolved configuration: validated, interpolated, with every default applied. Sizes are
 * bytes, durations are milliseconds.
 *
 * Every type here is derived from the `.k8streamrc` definition (`definition.ts`), where each key
 * is declared once with its doc (`describe`) and default; this module only names the parts the
 * rest of the core consumes. Runtime-only data (where the file was found) extends them explicitly.
 */
import type { BatchOptions, EncodingOptions } from '../plugins/api.js';
import type { Output } from '../schema/index.js';
import type { k8streamrc } from './definition.js';

/** The whole resolved `.k8streamrc`. */
export type K8streamConfig = Output<typeof k8streamrc>;

/** `source`: where events come from, and which ones to keep. */
export type SourceConfig = K8streamConfig['source'];
/** `source.replay`: recorded events replayed instead of a watch. */
export type ReplayConfig = NonNullable<SourceConfig['replay']>;
/** `enrich`: lookups that add context to each event. */
export type EnrichConfig = K8streamConfig['enrich'];

/** `transforms[]`, with its `name` resolved (from `use` when unset). */
export type TransformConfig = K8streamConfig['transforms'][number];
/** `transforms[].onError`. */
export type OnError = TransformConfig['onError'];

/** `sinks[]`, with its `name` resolved (`use`, suffixed -2, -3, ... when repeated). */
export type SinkConfig = K8streamConfig['sinks'][number];
/** `sinks[].match`: an event goes to a sink when every given list matches (empty = any). */
export type MatchConfig = SinkConfig['match'];
/** `sinks[].retry`. */
export type RetryConfig = SinkConfig['retry'];
/** `sinks[].queue`. */
export type QueueConfig = SinkConfig['queue'];
/** `sinks[].buffer` when set: the in-memory queue only, or a disk queue that survives outages and restarts. */
export type BufferConfig = NonNullable<SinkConfig['buffer']>;

/** `deadLetter`, with the plugin config defaulted (`{ dir: "./deadletter" }` for `file`). */
export type DeadLetterConfig = K8streamConfig['deadLetter'];
/** `delivery`. */
export type Delivery = K8streamConfig['delivery'];
/** `state`: where the resume point survives restarts. */
export type StateConfig = K8streamConfig['state'];
/** `leaderElection`: one streaming replica, the others on standby. */
export type LeaderElectionConfig = K8streamConfig['leaderElection'];

/** A loaded config plus where it came from (runtime-only: not in the file). */
export interface LoadedConfig {
  config: K8streamConfig;
  /** Absolute path of the config file, or null when defaults were used. */
  filepath: string | null;
  /** Directory relative paths resolve against. */
  dir: string;
}

/** Core defaults for sinks, applied after the plugin's own defaults. */
export const DEFAULT_BATCH: BatchOptions = { maxEvents: 10_000, maxBytes: 8 * 1024 * 1024, maxAgeMs: 30_000 };
export const DEFAULT_ENCODING: EncodingOptions = { format: 'ndjson', compression: 'gzip' };
