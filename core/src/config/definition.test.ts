import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { transformNameFromUse } from './definition.js';
import type { K8streamrc } from './definition.js';
import type { K8streamConfig } from './types.js';
import { checkConfig, validateConfig } from './validate.js';

const MiB = 1024 * 1024;

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('defaults', () => {
  it('an empty config resolves to every default', () => {
    const expected: K8streamConfig = {
      cluster: 'default',
      source: {
        type: 'kubernetes',
        kubeconfig: null,
        context: null,
        api: 'core/v1',
        namespaces: [],
        excludeNamespaces: [],
        types: [],
        reasons: [],
        kinds: [],
        minCount: 0,
        labelSelector: null,
        maxEventAge: null,
        pageSize: 500,
        watchTimeoutSeconds: 300,
        sendInitialEvents: false,
        emitDeleted: false,
        replay: null,
        archive: null,
      },
      enrich: { objects: true, owners: true, nodes: true, services: true, cacheTtlMs: 60_000, cacheMaxEntries: 10_000, qps: 20, burst: 40, serviceChanges: false },
      transforms: [],
      sinks: [],
      deadLetter: { use: 'file', config: { dir: './deadletter' }, encoding: { format: 'ndjson', compression: 'none' } },
      delivery: 'at-least-once',
      state: { dir: null, saveIntervalMs: null },
      leaderElection: {
        enabled: false,
        namespace: null,
        name: 'k8stream',
        identity: null,
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2000,
      },
      server: { enabled: true, host: '0.0.0.0', port: 9464 },
      health: { watchFailingMs: 120_000, sinkFailingMs: 300_000 },
      heartbeat: { url: null, intervalMs: 60_000, timeoutMs: 10_000 },
      shutdown: { graceMs: 30_000 },
      log: { level: 'info', format: 'pretty' },
    };
    expect(validateConfig({})).toEqual(expected);
  });

  it('fills sink and transform defaults, keeping only the batch and encoding fields the user set', () => {
    const config = validateConfig({
      transforms: [{ use: './transforms/redact.wasm' }],
      sinks: [{ use: 's3', batch: { maxBytes: '8MiB' }, encoding: { compression: 'zstd' } }],
    });
    expect(config.transforms).toEqual([
      {
        name: 'redact',
        use: './transforms/redact.wasm',
        function: 'transform',
        config: {},
        timeoutMs: 100,
        memoryMb: 64,
        onError: 'deadletter',
        sha256: null,
        allowedPaths: {},
        allowedHosts: [],
      },
    ]);
    expect(config.sinks).toEqual([
      {
        name: 's3',
        use: 's3',
        match: { namespaces: [], excludeNamespaces: [], types: [], reasons: [], kinds: [] },
        batch: { maxBytes: 8 * MiB },
        encoding: { compression: 'zstd' },
        config: {},
        timeoutMs: 30_000,
        retry: { maxAttempts: null, initialBackoffMs: 500, maxBackoffMs: 30_000 },
        queue: { maxEvents: 50_000, maxBytes: null },
      },
    ]);
    expect(Object.keys(config.sinks[0]!.batch)).toEqual(['maxBytes']);
  });

  it('accepts the example from the design document', () => {
    const example: K8streamrc = {
      cluster: 'prod-eu-1',
      source: { kubeconfig: '~/.kube/config', namespaces: [], excludeNamespaces: [], types: ['Normal', 'Warning'] },
      enrich: { objects: true, owners: true, nodes: true, services: true, cacheTtlMs: 60_000, cacheMaxEntries: 10_000, qps: 20, burst: 40, serviceChanges: false },
      transforms: [{ use: './transforms/redact.wasm', config: { patterns: 'token=\\S+' }, timeoutMs: 50, onError: 'deadletter' }],
      sinks: [
        {
          name: 'archive',
          use: 's3',
          match: { types: ['Warning'] },
          batch: { maxEvents: 10000, maxBytes: '8MiB', maxAgeMs: 30000 },
          encoding: { format: 'ndjson', compression: 'gzip' },
          config: { bucket: 'my-bucket', region: 'eu-west-1', prefix: 'events' },
        },
        { use: 'file', config: { dir: './out' } },
      ],
      delivery: 'at-least-once',
    };
    const config = validateConfig(example);
    expect(config.cluster).toBe('prod-eu-1');
    expect(config.source.types).toEqual(['Normal', 'Warning']);
    expect(config.transforms[0]).toMatchObject({ name: 'redact', timeoutMs: 50, config: { patterns: 'token=\\S+' } });
    expect(config.sinks.map((s) => s.name)).toEqual(['archive', 'file']);
    expect(config.sinks[0]!.batch).toEqual({ maxEvents: 10_000, maxBytes: 8 * MiB, maxAgeMs: 30_000 });
    expect(config.sinks[0]!.match.types).toEqual(['Warning']);
    expect(config.sinks[1]!.config).toEqual({ dir: './out' });
  });

  it('reads sizes and durations in every form, and strings from interpolation', () => {
    const config = validateConfig({
      sinks: [
        {
          use: 's3',
          batch: { maxEvents: '500', maxBytes: '1.5GiB', maxAgeMs: '1m30s' },
          timeoutMs: '10s',
          retry: { maxAttempts: '5', initialBackoffMs: '250ms', maxBackoffMs: '1h' },
          queue: { maxEvents: 10, maxBytes: 4096 },
        },
      ],
      shutdown: { graceMs: 0 },
      source: { minCount: '2' },
      enrich: { services: 'false' },
    });
    expect(config.sinks[0]).toMatchObject({
      batch: { maxEvents: 500, maxBytes: 1_610_612_736, maxAgeMs: 90_000 },
      timeoutMs: 10_000,
      retry: { maxAttempts: 5, initialBackoffMs: 250, maxBackoffMs: 3_600_000 },
      queue: { maxEvents: 10, maxBytes: 4096 },
    });
    expect(config.shutdown.graceMs).toBe(0);
    expect(config.source.minCount).toBe(2);
    expect(config.enrich.services).toBe(false);
  });

  it('takes lists as arrays or comma-separated strings', () => {
    const config = validateConfig({
      source: { namespaces: 'default, kube-system', excludeNamespaces: '', types: 'Warning' },
      sinks: [{ use: 'file', match: { kinds: ['Pod', 'Node'] } }],
    });
    expect(config.source.namespaces).toEqual(['default', 'kube-system']);
    expect(config.source.excludeNamespaces).toEqual([]);
    expect(config.source.types).toEqual(['Warning']);
    expect(config.sinks[0]!.match.kinds).toEqual(['Pod', 'Node']);
  });

  it('treats YAML `key:` with nothing after it as absent', () => {
    const config = validateConfig({ enrich: null, sinks: [{ use: 'file', batch: null, config: null }], transforms: null });
    expect(config.enrich).toEqual({
      objects: true,
      owners: true,
      nodes: true,
      services: true,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 10_000,
      qps: 20,
      burst: 40,
      serviceChanges: false,
    });
    expect(config.sinks[0]!.batch).toEqual({});
    expect(config.transforms).toEqual([]);
  });

  it('accepts a `$schema` key for editors and leaves it out', () => {
    expect(validateConfig({ $schema: './node_modules/@k8stream/core/schema/k8streamrc.schema.json' })).not.toHaveProperty('$schema');
  });

  it('gives the dead-letter plugin {} as config unless it is the file plugin', () => {
    expect(validateConfig({ deadLetter: { use: 's3' } }).deadLetter).toEqual({
      use: 's3',
      config: {},
      encoding: { format: 'ndjson', compression: 'none' },
    });
    expect(validateConfig({ deadLetter: { config: { dir: '/var/dlq' }, encoding: { compression: 'gzip' } } }).deadLetter).toEqual({
      use: 'file',
      config: { dir: '/var/dlq' },
      encoding: { format: 'ndjson', compression: 'gzip' },
    });
  });
});

describe('source.replay', () => {
  it('is required when source.type is replay, with its own defaults', () => {
    expect(validateConfig({ source: { type: 'replay', replay: { file: 'events.json' } } }).source.replay).toEqual({
      file: 'events.json',
      rate: null,
      follow: false,
    });
    expect(validateConfig({ source: { type: 'replay', replay: { file: 'e.ndjson', rate: 200, follow: true } } }).source.replay).toEqual({
      file: 'e.ndjson',
      rate: 200,
      follow: true,
    });
    expect(checkConfig({ source: { type: 'replay' } })).toEqual([{ path: 'source.replay', message: 'is required when source.type is "replay"' }]);
  });

  it('is an error when source.type is kubernetes', () => {
    expect(checkConfig({ source: { replay: { file: 'events.json' } } })).toEqual([{ path: 'source.replay', message: 'is only allowed when source.type is "replay"' }]);
  });

  it('checks its fields', () => {
    expect(checkConfig({ source: { type: 'replay', replay: { rate: 'fast', loop: true } } })).toEqual([
      { path: 'source.replay.rate', message: 'expected a positive number, got "fast"' },
      { path: 'source.replay.loop', message: 'unknown key (expected one of: file, rate, follow)' },
      { path: 'source.replay.file', message: 'is required' },
    ]);
  });
});

describe('sink and transform names', () => {
  it('default to `use`, suffixed -2, -3 when repeated; explicit names are kept and reserved', () => {
    const config = validateConfig({
      sinks: [{ use: 'file' }, { use: 'file' }, { name: 'file-3', use: 's3' }, { use: 'file' }, { use: 's3' }],
    });
    expect(config.sinks.map((s) => s.name)).toEqual(['file', 'file-2', 'file-3', 'file-4', 's3']);
  });

  it('explicit duplicates are errors, reported even when the sinks have other problems', () => {
    expect(
      checkConfig({
        sinks: [
          { name: 'archive', use: 's3', timeoutMs: 'never' },
          { name: 'archive', use: 'file' },
          { name: 'archive', use: 'gcs' },
        ],
      }),
    ).toEqual([
      {
        path: 'sinks[0].timeoutMs',
        message: 'expected a positive duration (a number of milliseconds, or a string such as 250ms, 30s, 5m or 1h), got "never"',
      },
      { path: 'sinks[1].name', message: 'duplicate sink name "archive" (also used by sinks[0])' },
      { path: 'sinks[2].name', message: 'duplicate sink name "archive" (also used by sinks[0])' },
    ]);
  });

  it('a transform name defaults to the base name of `use` without extension', () => {
    expect(transformNameFromUse('./transforms/redact.wasm')).toBe('redact');
    expect(transformNameFromUse('https://example.com/wasm/pii.wasm?sha256=abc')).toBe('pii');
    expect(transformNameFromUse('@acme/k8stream-transform-pii')).toBe('k8stream-transform-pii');
    expect(transformNameFromUse('C:\\t\\drop-noise.wasm')).toBe('drop-noise');
    expect(transformNameFromUse('plain')).toBe('plain');
    const config = validateConfig({ transforms: [{ use: './a/x.wasm' }, { use: './b/x.wasm' }, { use: 'y.wasm', name: 'mine' }] });
    expect(config.transforms.map((t) => t.name)).toEqual(['x', 'x-2', 'mine']);
    expect(
      checkConfig({
        transforms: [
          { use: 'a.wasm', name: 't' },
          { use: 'b.wasm', name: 't' },
        ],
      }),
    ).toEqual([{ path: 'transforms[1].name', message: 'duplicate transform name "t" (also used by transforms[0])' }]);
  });

  it('a transform breaker: unset or true = the defaults (undefined), false = off, or its settings with durations', () => {
    const config = validateConfig({
      transforms: [
        { use: 'a.wasm' },
        { use: 'b.wasm', breaker: true },
        { use: 'c.wasm', breaker: false },
        { use: 'd.wasm', breaker: { failures: 3, coolDownMs: '500ms', maxCoolDownMs: '2m' } },
        { use: 'e.wasm', breaker: {} },
      ],
    });
    expect(config.transforms.map((t) => t.breaker)).toEqual([
      undefined,
      undefined,
      false,
      { failures: 3, coolDownMs: 500, maxCoolDownMs: 120_000 },
      { failures: 5, coolDownMs: 1000, maxCoolDownMs: 60_000 },
    ]);
    expect(checkConfig({ transforms: [{ use: 'a.wasm', breaker: { failures: 0, coolDownMs: '10s', maxCoolDownMs: '1s' } }] }).map((i) => i.path)).toEqual(
      expect.arrayContaining(['transforms[0].breaker.failures']),
    );
    expect(checkConfig({ transforms: [{ use: 'a.wasm', breaker: { coolDownMs: '10s', maxCoolDownMs: '1s' } }] })).toEqual([
      { path: 'transforms[0].breaker.maxCoolDownMs', message: 'must be at least coolDownMs' },
    ]);
    expect(checkConfig({ transforms: [{ use: 'a.wasm', breaker: 'yes' }] })).toHaveLength(1);
  });
});

describe('errors', () => {
  it('reports every mistake at once, each with its path, in one ValidationError', () => {
    const raw = {
      cluster: '',
      source: { type: 'replay', namespace: ['default'], minCount: -1 },
      enrich: { objects: 'maybe' },
      transforms: [{ use: './redact.wasm', onError: 'ignore', memoryMb: 0 }],
      sinks: [
        {
          name: 'archive',
          use: 's3',
          batch: { maxEvents: 'ten', maxBytes: '8 potatoes', maxAge: '30s' },
          encoding: { compression: 'gz', format: 'ndjosn' },
          retry: { initialBackoffMs: '1m', maxBackoffMs: '10s' },
        },
        { name: 'archive', use: 'file' },
        { config: { dir: './out' } },
      ],
      delivery: 'exactly-once',
      log: { level: 'verbose' },
      sink: [],
    };
    const error = thrown(() => validateConfig(raw, { source: '/repo/.k8streamrc' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe('/repo/.k8streamrc');
    expect(error.issues).toEqual([
      { path: 'cluster', message: 'expected a non-empty string, got ""' },
      { path: 'source.namespace', message: 'unknown key (did you mean "namespaces"?)' },
      { path: 'source.minCount', message: 'expected a non-negative integer, got -1' },
      { path: 'source.replay', message: 'is required when source.type is "replay"' },
      { path: 'enrich.objects', message: 'expected a boolean, got "maybe"' },
      { path: 'transforms[0].onError', message: 'expected one of "pass", "drop", "deadletter", "fail", got "ignore"' },
      { path: 'transforms[0].memoryMb', message: 'expected a positive integer, got 0' },
      { path: 'sinks[0].batch.maxEvents', message: 'expected a positive integer, got "ten"' },
      {
        path: 'sinks[0].batch.maxBytes',
        message: 'expected a positive size (a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB), got "8 potatoes"',
      },
      { path: 'sinks[0].batch.maxAge', message: 'unknown key (did you mean "maxAgeMs"?)' },
      { path: 'sinks[0].encoding.compression', message: 'expected one of "gzip", "zstd", "snappy", "none", got "gz"' },
      { path: 'sinks[0].encoding.format', message: 'expected one of "ndjson", "json", "parquet", got "ndjosn" (did you mean "ndjson"?)' },
      { path: 'sinks[0].retry.initialBackoffMs', message: 'must not be greater than maxBackoffMs' },
      { path: 'sinks[2].use', message: 'is required' },
      { path: 'sinks[1].name', message: 'duplicate sink name "archive" (also used by sinks[0])' },
      { path: 'delivery', message: 'expected one of "at-least-once", "at-most-once", got "exactly-once"' },
      { path: 'log.level', message: 'expected one of "debug", "info", "warn", "error", got "verbose"' },
      { path: 'sink', message: 'unknown key (did you mean "sinks"?)' },
    ]);
    expect(error.message.split('\n').slice(0, 3)).toEqual([
      '18 configuration errors in /repo/.k8streamrc:',
      '  cluster: expected a non-empty string, got ""',
      '  source.namespace: unknown key (did you mean "namespaces"?)',
    ]);
  });

  it('rejects a config that is not an object', () => {
    expect(checkConfig(['cluster'])).toEqual([{ path: '(root)', message: 'expected an object, got an array' }]);
    expect(checkConfig('cluster: x')).toEqual([{ path: '(root)', message: 'expected an object, got "cluster: x"' }]);
  });

  it('suggests keys for near misses at every level', () => {
    expect(checkConfig({ clustr: 'x', enrich: { owner: true }, sinks: [{ use: 'file', timeout: '5s', quue: {} }] })).toEqual([
      { path: 'clustr', message: 'unknown key (did you mean "cluster"?)' },
      { path: 'enrich.owner', message: 'unknown key (did you mean "owners"?)' },
      { path: 'sinks[0].timeout', message: 'unknown key (did you mean "timeoutMs"?)' },
      { path: 'sinks[0].quue', message: 'unknown key (did you mean "queue"?)' },
    ]);
  });
});

describe('delivery guarantees', () => {
  it('at-most-once needs a resume point that survives restarts, and no disk buffer', () => {
    expect(checkConfig({ delivery: 'at-most-once', sinks: [{ use: 'file', buffer: { type: 'disk' } }, { use: 'stdout' }] })).toEqual([
      { path: 'delivery', message: 'at-most-once needs a resume point that survives restarts: set state.dir (or leaderElection.enabled)' },
      {
        path: 'sinks[0].buffer',
        message: 'a disk buffer re-sends unacknowledged batches after a crash, which can duplicate: not allowed with delivery "at-most-once"',
      },
    ]);
    expect(checkConfig({ delivery: 'at-most-once', state: { dir: './state' }, sinks: [{ use: 'file' }] })).toEqual([]);
    expect(checkConfig({ delivery: 'at-most-once', leaderElection: { enabled: true }, sinks: [{ use: 'file' }] })).toEqual([]);
    expect(checkConfig({ state: { dir: './state' }, sinks: [{ use: 'file', buffer: { type: 'disk' } }] })).toEqual([]);
  });

  it('leader election needs the kubernetes source and consistent timings', () => {
    expect(
      checkConfig({
        source: { type: 'replay', replay: { file: './events.json' } },
        leaderElection: { enabled: true, leaseDurationMs: '5s', renewDeadlineMs: '5s', retryPeriodMs: '6s' },
      }),
    ).toEqual([
      { path: 'leaderElection.renewDeadlineMs', message: 'must be less than leaseDurationMs' },
      { path: 'leaderElection.retryPeriodMs', message: 'must be less than renewDeadlineMs' },
    ]);
    expect(checkConfig({ source: { type: 'replay', replay: { file: './events.json' } }, leaderElection: { enabled: true } })).toEqual([
      { path: 'leaderElection.enabled', message: 'needs source.type "kubernetes" (the Lease lives in the cluster)' },
    ]);
    const config = validateConfig({ leaderElection: { enabled: true, namespace: 'ops', leaseDurationMs: '3s', renewDeadlineMs: '2s', retryPeriodMs: 250 } });
    expect(config.leaderElection).toEqual({ enabled: true, namespace: 'ops', name: 'k8stream', identity: null, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 });
  });
});

describe('encoding.level', () => {
  it('is checked against the compression it is given with', () => {
    expect(checkConfig({ sinks: [{ use: 'file', encoding: { compression: 'gzip', level: 12 } }] })).toEqual([
      { path: 'sinks[0].encoding.level', message: 'must be an integer from 1 to 9 for gzip, got 12' },
    ]);
    expect(checkConfig({ sinks: [{ use: 'file', encoding: { compression: 'zstd', level: 12 } }] })).toEqual([]);
    expect(checkConfig({ sinks: [{ use: 'file', encoding: { level: 30 } }] })).toEqual([{ path: 'sinks[0].encoding.level', message: 'expected an integer from 1 to 22, got 30' }]);
  });
});
