/**
 * The resolved configuration: validated, interpolated, with every default applied.
 * The user-facing shape (`.k8streamrc`) is defined in `definition.ts`; this is what the rest
 * of the core consumes. Sizes are bytes, durations are milliseconds.
 */
import type { BatchOptions, EncodingOptions } from '../plugins/api.js';

export type Delivery = 'at-least-once' | 'at-most-once';
export type OnError = 'pass' | 'drop' | 'deadletter' | 'fail';

/** Per-sink routing: an event goes to a sink when every given list matches (empty/absent = any). */
export interface MatchConfig {
  namespaces: string[];
  excludeNamespaces: string[];
  types: string[];
  reasons: string[];
  kinds: string[];
}

export interface ReplayConfig {
  /** Path (resolved against the config dir) to a `kubectl get events -o json` list or NDJSON of watch events. */
  file: string;
  /** Events per second; null = as fast as possible. */
  rate: number | null;
  /** Keep streaming (loop the file with fresh uids/resourceVersions) instead of stopping at its end. */
  follow: boolean;
}

export interface SourceConfig {
  type: 'kubernetes' | 'replay';
  /** Kubeconfig path (`~` expanded); null = in-cluster, then default kubeconfig. */
  kubeconfig: string | null;
  context: string | null;
  /** core/v1 Events (default) or events.k8s.io/v1. */
  api: 'core/v1' | 'events.k8s.io/v1';
  /** [] = all. */
  namespaces: string[];
  excludeNamespaces: string[];
  types: string[];
  reasons: string[];
  kinds: string[];
  /** Drop events whose count is below this. */
  minCount: number;
  /** Label selector on the involved object's labels (looked up per object, cached); null = none. */
  labelSelector: string | null;
  /** Initial list only: skip events whose last occurrence is older than this (ms); null = no limit. */
  maxEventAge: number | null;
  /** List page size (`limit`). */
  pageSize: number;
  /** Server-side watch timeout (`timeoutSeconds`), in seconds. */
  watchTimeoutSeconds: number;
  /** Use streaming lists (`sendInitialEvents`) where the server supports them. */
  sendInitialEvents: boolean;
  /** Emit DELETED notifications of events (default false). */
  emitDeleted: boolean;
  replay: ReplayConfig | null;
}

export interface EnrichConfig {
  objects: boolean;
  owners: boolean;
  nodes: boolean;
  services: boolean;
  /** How long a looked-up object is reused, in ms. */
  cacheTtlMs: number;
  /** Most objects kept in the lookup cache (LRU). */
  cacheMaxEntries: number;
  /** Client-side lookup rate limit: requests per second. */
  qps: number;
  /** Client-side lookup rate limit: requests at once after a quiet period. */
  burst: number;
  /** Emit service added/updated/deleted records. */
  serviceChanges: boolean;
}

export interface TransformConfig {
  name: string;
  use: string;
  /** Exported function to call. */
  function: string;
  config: Record<string, unknown>;
  timeoutMs: number;
  memoryMb: number;
  onError: OnError;
  /** Hex sha256 pinning an https module (also accepted as `#sha256=` in the URL); null for paths and packages. */
  sha256: string | null;
  /** WASI preopens, guest path → host path (relative to the config dir). Empty: no filesystem. */
  allowedPaths: Record<string, string>;
  /** Hosts reachable through Extism's `http_request` (exact or `*.suffix`). Empty: no network. */
  allowedHosts: string[];
}

export interface RetryConfig {
  /** null = retry transient failures forever (at-least-once never gives up). */
  maxAttempts: number | null;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface QueueConfig {
  /** In-memory queue bound, in events, before backpressure applies to the source. */
  maxEvents: number;
  /** In-memory queue bound, in bytes of serialised records. */
  maxBytes: number;
}

/**
 * Where a sink's records wait until it acks them. `memory`: the bounded in-memory queue.
 * `disk`: a per-sink disk queue that survives outages (up to `maxBytes`) and restarts.
 */
export interface BufferConfig {
  type: 'memory' | 'disk';
  /** Disk queue directory, relative to the config file; null = `./k8stream-buffer/<sink name>`. */
  dir: string | null;
  /** Upper bound of the disk queue in bytes. */
  maxBytes: number;
  /** `always`: fsync every append; a number: fsync in the background every that many ms. */
  fsync: 'always' | number;
  /** When the disk queue is full: `block` (backpressure to the source) or `drop-oldest` (counted). */
  overflow: 'block' | 'drop-oldest';
}

export interface SinkConfig {
  /** Unique instance name; defaults to `use` (suffixed `-2`, `-3` when repeated). */
  name: string;
  /** Plugin reference: short name, `module:x`, scoped name, or path. */
  use: string;
  match: MatchConfig;
  /** Only what the user set; plugin defaults then core defaults fill the rest. */
  batch: Partial<BatchOptions>;
  encoding: Partial<EncodingOptions>;
  /** Plugin-specific, validated by the plugin's `validate`. */
  config: unknown;
  /** Per-send deadline. */
  timeoutMs: number;
  retry: RetryConfig;
  queue: QueueConfig;
  /** Unset: the in-memory queue only. */
  buffer?: BufferConfig;
}

export interface DeadLetterConfig {
  use: string;
  config: unknown;
  encoding: Partial<EncodingOptions>;
}

/** Where the resume point survives restarts (`state`). */
export interface StateConfig {
  /** Resume-point directory (relative to the config file); null = none. */
  dir: string | null;
  saveIntervalMs: number;
}

/** `leaderElection`: one streaming replica, the others on standby. */
export interface LeaderElectionConfig {
  enabled: boolean;
  /** Null: $POD_NAMESPACE, the service account's namespace, else `default`. */
  namespace: string | null;
  name: string;
  /** Null: $POD_NAME or the host name, plus a random suffix. */
  identity: string | null;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface K8streamConfig {
  cluster: string;
  source: SourceConfig;
  enrich: EnrichConfig;
  transforms: TransformConfig[];
  sinks: SinkConfig[];
  /** Where failing events and permanently rejected batches go. */
  deadLetter: DeadLetterConfig;
  delivery: Delivery;
  state: StateConfig;
  leaderElection: LeaderElectionConfig;
  server: { enabled: boolean; host: string; port: number };
  health: { watchFailingMs: number; sinkFailingMs: number };
  heartbeat: { url: string | null; intervalMs: number; timeoutMs: number };
  shutdown: { graceMs: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format: 'pretty' | 'json' };
}

/** A loaded config plus where it came from. */
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
