/**
 * The resolved config types are derived from the definition: these type-level tests pin them to
 * the interfaces they replaced (written out below as they were), so a change to the definition
 * that changes what the core consumes shows up here. Checked by the TypeScript compiler
 * (`expectTypeOf`); the runtime test checks a resolved file has that shape.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { BatchOptions, EncodingOptions } from '../plugins/api.js';
import type * as T from './types.js';
import { validateConfig } from './validate.js';

// The hand-written interfaces of before, verbatim (docs aside).
type OldDelivery = 'at-least-once' | 'at-most-once';
type OldOnError = 'pass' | 'drop' | 'deadletter' | 'fail';

interface OldMatchConfig {
  namespaces: string[];
  excludeNamespaces: string[];
  types: string[];
  reasons: string[];
  kinds: string[];
}

interface OldReplayConfig {
  file: string;
  rate: number | null;
  follow: boolean;
}

interface OldSourceConfig {
  type: 'kubernetes' | 'replay' | 'archive';
  kubeconfig: string | null;
  context: string | null;
  api: 'core/v1' | 'events.k8s.io/v1';
  namespaces: string[];
  excludeNamespaces: string[];
  types: string[];
  reasons: string[];
  kinds: string[];
  minCount: number;
  labelSelector: string | null;
  maxEventAge: number | null;
  pageSize: number;
  watchTimeoutSeconds: number;
  sendInitialEvents: boolean;
  emitDeleted: boolean;
  replay: OldReplayConfig | null;
  archive: {
    location: string;
    from: string;
    to: string;
    cluster: string | null;
    endpoint: string | null;
    region: string | null;
    forcePathStyle: boolean;
    layout: string | null;
  } | null;
}

interface OldEnrichConfig {
  objects: boolean;
  owners: boolean;
  nodes: boolean;
  services: boolean;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  qps: number;
  burst: number;
  serviceChanges: boolean;
}

interface OldTransformConfig {
  name: string;
  use: string;
  function: string;
  config: Record<string, unknown>;
  timeoutMs: number;
  memoryMb: number;
  onError: OldOnError;
  breaker?: false | { failures: number; coolDownMs: number; maxCoolDownMs: number };
  sha256: string | null;
  allowedPaths: Record<string, string>;
  allowedHosts: string[];
}

interface OldRetryConfig {
  maxAttempts: number | null;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

interface OldQueueConfig {
  maxEvents: number;
  /** null: sized from the memory limit (util/memory-limit.ts). */
  maxBytes: number | null;
}

interface OldBufferConfig {
  type: 'memory' | 'disk';
  dir: string | null;
  maxBytes: number;
  fsync: 'always' | number;
  overflow: 'block' | 'drop-oldest';
}

interface OldSinkConfig {
  name: string;
  use: string;
  match: OldMatchConfig;
  batch: Partial<BatchOptions>;
  encoding: Partial<EncodingOptions>;
  config: unknown;
  timeoutMs: number;
  retry: OldRetryConfig;
  queue: OldQueueConfig;
  buffer?: OldBufferConfig;
}

interface OldDeadLetterConfig {
  use: string;
  config: unknown;
  encoding: Partial<EncodingOptions>;
}

interface OldStateConfig {
  dir: string | null;
  // Nullable since the resume point is saved on every acknowledgement (null: the store's own pace).
  saveIntervalMs: number | null;
}

interface OldLeaderElectionConfig {
  enabled: boolean;
  namespace: string | null;
  name: string;
  identity: string | null;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface OldK8streamConfig {
  cluster: string;
  source: OldSourceConfig;
  enrich: OldEnrichConfig;
  transforms: OldTransformConfig[];
  sinks: OldSinkConfig[];
  deadLetter: OldDeadLetterConfig;
  delivery: OldDelivery;
  state: OldStateConfig;
  leaderElection: OldLeaderElectionConfig;
  server: { enabled: boolean; host: string; port: number };
  health: { watchFailingMs: number; sinkFailingMs: number };
  heartbeat: { url: string | null; intervalMs: number; timeoutMs: number };
  shutdown: { graceMs: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format: 'pretty' | 'json' };
}

describe('config types derived from the definition', () => {
  it('equal the interfaces they replaced', () => {
    expectTypeOf<T.Delivery>().toEqualTypeOf<OldDelivery>();
    expectTypeOf<T.OnError>().toEqualTypeOf<OldOnError>();
    expectTypeOf<T.MatchConfig>().toEqualTypeOf<OldMatchConfig>();
    expectTypeOf<T.ReplayConfig>().toEqualTypeOf<OldReplayConfig>();
    expectTypeOf<T.SourceConfig>().toEqualTypeOf<OldSourceConfig>();
    expectTypeOf<T.EnrichConfig>().toEqualTypeOf<OldEnrichConfig>();
    expectTypeOf<T.TransformConfig>().toEqualTypeOf<OldTransformConfig>();
    expectTypeOf<T.RetryConfig>().toEqualTypeOf<OldRetryConfig>();
    expectTypeOf<T.QueueConfig>().toEqualTypeOf<OldQueueConfig>();
    expectTypeOf<T.BufferConfig>().toEqualTypeOf<OldBufferConfig>();
    expectTypeOf<T.SinkConfig>().toEqualTypeOf<OldSinkConfig>();
    expectTypeOf<T.StateConfig>().toEqualTypeOf<OldStateConfig>();
    expectTypeOf<T.LeaderElectionConfig>().toEqualTypeOf<OldLeaderElectionConfig>();
    expectTypeOf<Omit<T.K8streamConfig, 'deadLetter'>>().toEqualTypeOf<Omit<OldK8streamConfig, 'deadLetter'>>();
  });

  it('say what the definition guarantees where the interfaces said less: a dead-letter encoding is always complete', () => {
    expectTypeOf<T.DeadLetterConfig>().toEqualTypeOf<{ use: string; config: unknown; encoding: Pick<EncodingOptions, 'format' | 'compression'> }>();
    expectTypeOf<T.DeadLetterConfig>().toExtend<OldDeadLetterConfig>();
  });

  it('resolves a minimal file to that shape', () => {
    const config = validateConfig({ sinks: [{ use: 'stdout' }, { use: 'stdout' }], transforms: [{ use: './t/redact.wasm' }] });
    expect(config.sinks.map((s) => s.name)).toEqual(['stdout', 'stdout-2']);
    expect(config.transforms[0]!.name).toBe('redact');
    expect(config.deadLetter).toEqual({ use: 'file', config: { dir: './deadletter' }, encoding: { format: 'ndjson', compression: 'none' } });
  });
});
