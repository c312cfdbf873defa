/**
 * The `.k8streamrc` definition: one schema that validates a user's file into `K8streamConfig`
 * (every default applied) and generates the published JSON Schema. The keys `cluster`,
 * `source`, `enrich`, `transforms[].use`, `sinks[].use`, `sinks[].config` and `delivery` are
 * the public contract. Each key is declared here once: the resolved types the core consumes
 * (`types.ts`) are derived from this definition, and its `describe` texts are their docs.
 */
import { any, array, boolean, duration, enumOf, integer, isPlainObject, number, object, record, size, string, toJsonSchema, union } from '../schema/index.js';
import type { Input, JsonSchema, Output, RefineContext, Schema } from '../schema/index.js';
import { errorMessage } from '../errors.js';
import { parseLabelSelector } from '../kube/label-selector.js';
import { compressionLevelProblem } from './compression.js';
// Light (errors.js only): the archive window accepts the forensics commands' times.
import { parseTime } from '../forensics/time-args.js';

/**
 * A list of names: an array, or one string of comma-separated names (handy with
 * `${WATCH_NAMESPACES:-}`); empty entries are dropped.
 */
function names(description: string, item: Schema<string> = string().nonEmpty()) {
  return union(array(item), string())
    .map((value): string[] =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    )
    .describe(`${description} An array, or a comma-separated string.`)
    .default([]);
}

const eventType = union(enumOf(['Normal', 'Warning']), string().nonEmpty());

const encodingFormat = enumOf(['ndjson', 'json', 'parquet']).describe(
  '`ndjson`: one record per line; `json`: one JSON array per batch; `parquet`: one Parquet file per batch, `compression` applied inside the file (docs/record.md).',
);
const encodingCompression = enumOf(['gzip', 'zstd', 'snappy', 'none']).describe(
  'Compression of each batch body (parquet: of the pages inside the file; `snappy` only with parquet).',
);
/** The problem with a compression for a format, or null. */
const snappyProblem = (format: string | undefined, compression: string | undefined): string | null =>
  compression === 'snappy' && format !== 'parquet' ? 'snappy needs format parquet (set encoding.format: parquet)' : null;

const replay = object({
  file: string().nonEmpty().describe('A `kubectl get events -o json` list, or NDJSON of watch events; relative to the config file.'),
  rate: number().positive().nullable().default(null).describe('Events per second; null = as fast as possible.'),
  follow: boolean().default(false).describe('Keep streaming (loop the file with fresh uids and resourceVersions) instead of stopping at its end.'),
}).describe('Replay recorded events from a file instead of watching a cluster.');

/** The times an archive window accepts (those of the forensics commands' `--from`/`--to`). */
const ACCEPTED_INSTANT = 'expected RFC 3339 (2026-12-08T10:00:00Z), a date (2026-12-08, UTC midnight) or a time relative to the start (-2h, -7d, now)';

/** An instant of the archive window, checked here and resolved once when the source starts. */
function instant(description: string) {
  return string()
    .nonEmpty()
    .refine((value, ctx) => {
      try {
        parseTime('', value, { now: 0 });
      } catch {
        ctx.issue(`${JSON.stringify(value)} is not a time: ${ACCEPTED_INSTANT}`);
      }
    })
    .describe(description);
}

const FROM = 'Start of the window (inclusive): RFC 3339, a date (UTC midnight) or relative to the start of the run (`-7d`, `-2h`).';
const TO = 'End of the window (exclusive), in the same forms as `from` (`now`, `-1h`, a date).';
const ARCHIVE_CLUSTER = 'The archived cluster to replay; null: every cluster the archive holds.';
const LOCATION = 'What k8stream archived: a file-sink directory (relative to the config file), `s3://bucket/prefix` or `gs://bucket/prefix`.';

const archiveBlock = object({
  location: string().nonEmpty().describe(LOCATION),
  from: instant(`${FROM} Or set \`source.from\`.`).optional(),
  to: instant(`${TO} Or set \`source.to\`.`).optional(),
  cluster: string().nonEmpty().nullable().optional().describe(`${ARCHIVE_CLUSTER} Or set \`source.cluster\`.`),
  endpoint: string().nonEmpty().nullable().default(null).describe('S3-compatible endpoint for s3://, or the GCS API endpoint for gs://; null: the provider default.'),
  region: string().nonEmpty().nullable().default(null).describe('S3 region; null: the SDK default.'),
  forcePathStyle: boolean().default(false).describe('S3 path-style addressing (MinIO and most S3-compatible stores).'),
  layout: string().nonEmpty().nullable().default(null).describe("Key template the archive was written with; null: the sink's default (detected for a directory)."),
});

/** `source.archive` resolved: the block form, the window and cluster filled in from `source.from/to/cluster` (see the source's check). */
export interface ArchiveSettings {
  location: string;
  /** As written (`-7d`, a date, RFC 3339): resolved once when the source starts. */
  from: string;
  to: string;
  cluster: string | null;
  endpoint: string | null;
  region: string | null;
  forcePathStyle: boolean;
  layout: string | null;
}

const archive = union(string().nonEmpty(), archiveBlock)
  .map((value): ArchiveSettings => {
    const block = typeof value === 'string' ? { location: value, endpoint: null, region: null, forcePathStyle: false, layout: null } : value;
    // The window and cluster set at `source.` level are filled in by the source's check; '' until then.
    return { ...block, from: block.from ?? '', to: block.to ?? '', cluster: block.cluster ?? null };
  })
  .describe(
    'Replay what k8stream archived (file, S3 or GCS) through the transforms into the sinks, then stop: the location as a string (with `source.from`, `source.to`, `source.cluster`), or a block with `location` and the S3/GCS settings.',
  );

/** The raw `source.archive` keys given both at `source.` level and in the block, for one message each. */
const WINDOW_KEYS = ['from', 'to', 'cluster'] as const;

const source = object({
  type: enumOf(['kubernetes', 'replay', 'archive']).default('kubernetes').describe('Watch a cluster, replay recorded events, or replay an archive.'),
  kubeconfig: string().nullable().default(null).describe('Kubeconfig path (`~` expanded). Null: the in-cluster service account, then the default kubeconfig.'),
  context: string().nullable().default(null).describe('Kubeconfig context; null = the current context.'),
  api: enumOf(['core/v1', 'events.k8s.io/v1']).default('core/v1').describe('Which Events API to watch.'),
  namespaces: names('Namespaces to watch; empty = all.'),
  excludeNamespaces: names('Namespaces to ignore.'),
  types: names('Event types to keep (Normal, Warning); empty = all.', eventType),
  reasons: names('Event reasons to keep (BackOff, FailedScheduling, ...); empty = all.'),
  kinds: names('Involved object kinds to keep (Pod, Node, ...); empty = all.'),
  minCount: integer().min(0).default(0).describe('Drop events whose count is below this.'),
  labelSelector: string()
    .refine((value, ctx) => {
      try {
        parseLabelSelector(value);
      } catch (err) {
        ctx.issue(errorMessage(err));
      }
    })
    .nullable()
    .default(null)
    .describe(
      'Keep only events whose involved object has matching labels (`app=web,tier!=db`); the labels are looked up per object and cached. Events whose object cannot be looked up are kept. Null: no selector.',
    ),
  maxEventAge: duration()
    .positive()
    .nullable()
    .default(null)
    .describe(
      'At startup only: skip existing events whose last occurrence is older than this (`1h`). Never applied to events that arrive later. Null: deliver every existing event.',
    ),
  pageSize: integer().positive().default(500).describe('Events per list page (`limit`).'),
  watchTimeoutSeconds: integer().positive().default(300).describe('Server-side watch timeout; the watch then resumes from the last resourceVersion.'),
  sendInitialEvents: boolean().default(false).describe('Start with a streaming list (`sendInitialEvents=true`) where the server supports it, else a paginated list.'),
  emitDeleted: boolean().default(false).describe('Also deliver a record when an event object is deleted (action DELETED).'),
  replay: replay.nullable().default(null),
  archive: archive.nullable().default(null),
  from: instant(FROM).nullable().default(null),
  to: instant(TO).nullable().default(null),
  cluster: string().nonEmpty().nullable().default(null).describe(`${ARCHIVE_CLUSTER} Only with \`type: archive\`.`),
})
  .checkRaw((raw, ctx) => {
    if (!isPlainObject(raw)) return;
    const block = raw['archive'];
    for (const key of WINDOW_KEYS) {
      const atSource = raw[key] !== undefined && raw[key] !== null;
      if (atSource && raw['type'] !== 'archive') ctx.issue('is only allowed when source.type is "archive"', key);
      else if (atSource && isPlainObject(block) && block[key] !== undefined) ctx.issue(`is also set as source.archive.${key}: set it in one place`, key);
    }
    if (raw['type'] !== 'archive' || block === undefined || block === null) return;
    for (const key of ['from', 'to'] as const) {
      const given = (raw[key] !== undefined && raw[key] !== null) || (isPlainObject(block) && block[key] !== undefined);
      if (!given) ctx.issue(`is required with source.archive (or set source.archive.${key})`, key);
    }
  })
  .checkPartial((value, ctx) => {
    if (value.type === 'replay' && value.replay === null) ctx.issue('is required when source.type is "replay"', 'replay');
    if (value.type === 'kubernetes' && value.replay) ctx.issue('is only allowed when source.type is "replay"', 'replay');
    if (value.type === 'archive' && value.archive === null) ctx.issue('is required when source.type is "archive"', 'archive');
    if (value.type !== 'archive' && value.archive) ctx.issue('is only allowed when source.type is "archive"', 'archive');
  })
  .describe('Where events come from, and which ones to keep.')
  // `source.from/to/cluster` belong to the archive: resolved, they live in `source.archive` only.
  .map(({ from, to, cluster, ...rest }) =>
    rest.archive === null ? rest : { ...rest, archive: { ...rest.archive, from: from ?? rest.archive.from, to: to ?? rest.archive.to, cluster: cluster ?? rest.archive.cluster } },
  );

const enrich = object({
  objects: boolean().default(true).describe("Add the involved object's labels, annotations and pod details."),
  owners: boolean().default(true).describe('Add the owner chain up to the workload (Deployment, StatefulSet, DaemonSet, Job, CronJob).'),
  nodes: boolean().default(true).describe('Add the node (name, addresses).'),
  services: boolean().default(true).describe('Add the services selecting the pod (kept current from a Services watch, not one request per event).'),
  cacheTtlMs: duration().min(0).default('60s').describe('How long a looked-up object (pod, owner, node) is reused before it is fetched again.'),
  cacheMaxEntries: integer().min(0).default(10_000).describe('Most objects kept in the lookup cache; the least recently used are dropped first.'),
  qps: number().positive().default(20).describe('Lookup requests per second to the API server (client-side limit; lookups wait, they do not fail).'),
  burst: integer().positive().default(40).describe('Lookup requests allowed at once after a quiet period.'),
  serviceChanges: boolean()
    .default(false)
    .describe(
      'Also emit a record when a service is added, its selector or ports change, or it is deleted (reasons ServiceAdded, ServiceUpdated, ServiceDeleted), listing the pods behind it.',
    ),
})
  .default({})
  .describe('Lookups that add context to each event. A failed lookup is recorded in `enrichment.errors`; the event is still delivered.');

const onError = enumOf(['pass', 'drop', 'deadletter', 'fail']).describe(
  'When the transform fails: `pass` the event on unchanged, `drop` it, send it to the dead-letter destination, or `fail` (stop k8stream).',
);

const breakerSettings = object({
  failures: integer().positive().default(5).describe('Consecutive failed calls (errors, traps, invalid outputs, timeouts) that open the breaker.'),
  coolDownMs: duration().positive().default('1s').describe('How long the breaker stays open before one probe event is sent to the module; doubled after each failed probe.'),
  maxCoolDownMs: duration().positive().default('60s').describe('Longest cool-down (the doubling stops here); back to `coolDownMs` once a probe succeeds.'),
}).refine((value, ctx) => {
  if (value.maxCoolDownMs < value.coolDownMs) ctx.issue('must be at least coolDownMs', 'maxCoolDownMs');
});

const breaker = union(boolean(), breakerSettings)
  .optional()
  .map((value) => (value === true ? undefined : value))
  .describe(
    'Circuit breaker: after `failures` consecutive failed calls the transform is no longer called and events take its `onError` path at once, until a probe event succeeds after the cool-down. `false` turns it off; unset or `true`: `{ failures: 5, coolDownMs: 1s, maxCoolDownMs: 60s }`.',
  );

const transform = object({
  name: string().nonEmpty().optional().describe('Name in logs, metrics and dead-letter records. Default: the file name of `use` without extension.'),
  use: string().nonEmpty().describe('The WebAssembly (Extism) module: a path, an npm package, or an https URL pinned by sha256.'),
  function: string().nonEmpty().default('transform').describe('The exported function to call.'),
  config: record(any()).default({}).describe("The plugin config handed to the module (Extism's config)."),
  timeoutMs: duration().positive().default(100).describe('Deadline per call.'),
  memoryMb: integer().positive().default(64).describe('Memory cap of the module, in MiB.'),
  onError: onError.default('deadletter'),
  breaker,
  sha256: string()
    .pattern(/^[0-9a-fA-F]{64}$/, 'a sha256 hex digest (64 hex characters)')
    .nullable()
    .default(null)
    .describe('The sha256 of the module: required when `use` is an https URL (or put `#sha256=<hex>` in the URL); a download that does not match is refused.'),
  allowedPaths: record(string().nonEmpty())
    .default({})
    .describe('Directories the module may open through WASI, as guest path → host path (relative to the config file). Default: no filesystem.'),
  allowedHosts: array(string().nonEmpty())
    .default([])
    .describe("Hosts the module may reach with Extism's `http_request` (`api.example.com`, `*.example.com`). Default: no network."),
}).refine((value, ctx) => {
  if (/^http:\/\//i.test(value.use)) {
    ctx.issue('plain http modules are not allowed: use an https URL pinned by sha256', 'use');
  } else if (/^https:\/\//i.test(value.use) && value.sha256 === null && !/[?#&]sha256=[0-9a-fA-F]{64}\b/.test(value.use)) {
    ctx.issue('an https module must be pinned: set sha256 to the hex sha256 of the .wasm file', 'sha256');
  }
});

const match = object({
  namespaces: names('Namespaces routed to this sink; empty = all.'),
  excludeNamespaces: names('Namespaces not routed to this sink.'),
  types: names('Event types routed to this sink (Normal, Warning); empty = all.', eventType),
  reasons: names('Event reasons routed to this sink; empty = all.'),
  kinds: names('Involved object kinds routed to this sink; empty = all.'),
})
  .default({})
  .describe('Which events this sink receives: every given list must match.');

const batch = object({
  maxEvents: integer().positive().optional().describe('Close a batch at this many events.'),
  maxBytes: size()
    .positive()
    .optional()
    .describe("Close a batch when its uncompressed size reaches this (`8MiB`). Unset: the plugin's default (else 8MiB), at most a quarter of `queue.maxBytes`."),
  maxAgeMs: duration().positive().optional().describe('Close a batch when its oldest event has waited this long (`30s`).'),
})
  .default({})
  .describe("When a batch is closed and sent. Unset fields come from the plugin's defaults, then the core's.");

const encoding = object({
  format: encodingFormat.optional(),
  compression: encodingCompression.optional(),
  level: integer()
    .min(1)
    .max(22)
    .optional()
    .describe('Compression level (gzip 1–9, zstd 1–22); unset: the library default (gzip 6, zstd 3). gzip 1 costs about a third of the CPU of gzip 6 for ~25% more bytes.'),
})
  .checkPartial((value, ctx) => {
    const snappy = snappyProblem(value.format, value.compression);
    if (snappy !== null) ctx.issue(snappy, 'compression');
    if (value.level === undefined || value.compression === undefined) return;
    const problem = compressionLevelProblem(value.compression, value.level);
    if (problem !== null) ctx.issue(problem, 'level');
  })
  .default({})
  .describe("How batches are encoded. Unset fields come from the plugin's defaults, then the core's (ndjson, gzip).");

const retry = object({
  maxAttempts: integer().positive().nullable().default(null).describe('Attempts before a batch is dead-lettered; null = retry transient failures forever.'),
  initialBackoffMs: duration().positive().default(500).describe('First backoff; it doubles up to maxBackoffMs.'),
  maxBackoffMs: duration().positive().default('30s').describe('Longest backoff between attempts.'),
})
  .checkPartial((value, ctx) => {
    if (value.initialBackoffMs !== undefined && value.maxBackoffMs !== undefined && value.initialBackoffMs > value.maxBackoffMs) {
      ctx.issue('must not be greater than maxBackoffMs', 'initialBackoffMs');
    }
  })
  .default({})
  .describe('Retries of failed sends (with exponential backoff and jitter).');

const queue = object({
  maxEvents: integer().positive().default(50_000).describe('Events buffered for this sink before the source is paused.'),
  maxBytes: size()
    .positive()
    .nullable()
    .default(null)
    .describe(
      'Bytes (of JSON text) buffered for this sink before the source is paused. Null: 1/16 of the memory limit, 4MiB to 64MiB; 64MiB without a limit (docs/performance.md).',
    ),
})
  .default({})
  .describe('The buffer in front of this sink.');

const buffer = object({
  type: enumOf(['memory', 'disk'])
    .default('memory')
    .describe('`memory`: the in-memory queue only. `disk`: a per-sink disk queue that survives sink outages (up to maxBytes) and restarts.'),
  dir: string().nonEmpty().nullable().default(null).describe('Disk queue directory (one per sink), relative to the config file. Null: `./k8stream-buffer/<sink name>`.'),
  maxBytes: size().positive().default('1GiB').describe('Disk queue size limit (`1GiB`).'),
  fsync: union(enumOf(['always']), duration().positive())
    .default('1s')
    .describe(
      '`always`: fsync every append before accepting more; a duration: fsync in the background that often (the resume point then moves past buffered events once that sync ran, or once they were delivered: at most this much later).',
    ),
  overflow: enumOf(['block', 'drop-oldest'])
    .default('block')
    .describe('When the disk queue is full: `block` pauses the source; `drop-oldest` deletes the oldest events (counted).'),
})
  .optional()
  .describe('Where events wait for this sink; unset = `{ type: memory }`. The `dir`, `maxBytes`, `fsync` and `overflow` keys apply to `type: disk`.');

const sink = object({
  name: string().nonEmpty().optional().describe('Unique instance name. Default: `use`, suffixed -2, -3, ... when repeated.'),
  use: string().nonEmpty().describe('The sink plugin: a short name (`s3` → @k8stream/sink-s3, then k8stream-sink-s3), `module:x`, a scoped name, or a path.'),
  match,
  batch,
  encoding,
  config: any().default({}).describe("The plugin's own settings, validated by the plugin."),
  timeoutMs: duration().positive().default('30s').describe('Deadline per send.'),
  retry,
  queue,
  buffer,
});

/** Reports explicit names used twice in a raw list (`kind` = sink or transform); runs even when items are invalid. */
function uniqueNames(kind: string) {
  return (raw: unknown, ctx: RefineContext): void => {
    if (!Array.isArray(raw)) return;
    const seen = new Map<string, number>();
    raw.forEach((item: unknown, index) => {
      if (!isPlainObject(item) || typeof item.name !== 'string' || item.name === '') return;
      const first = seen.get(item.name);
      if (first === undefined) seen.set(item.name, index);
      else ctx.issue(`duplicate ${kind} name "${item.name}" (also used by ${kind}s[${first}])`, index, 'name');
    });
  };
}

/** `T` with its optional `name` made a required string (one flat object type, for readable hovers). */
type Named<T> = { [K in keyof (Omit<T, 'name'> & { name: string })]: (Omit<T, 'name'> & { name: string })[K] };

/**
 * Gives unnamed items a name derived from `use`, suffixed -2, -3, ... when taken. Explicit
 * names are reserved first.
 */
function assignNames<T extends { name?: string | undefined; use: string }>(derive: (use: string) => string) {
  return (items: T[]): Named<T>[] => {
    const taken = new Set(items.flatMap((item) => (item.name === undefined ? [] : [item.name])));
    return items.map((item) => {
      if (item.name !== undefined) return { ...item, name: item.name };
      const base = derive(item.use);
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
      taken.add(name);
      return { ...item, name };
    });
  };
}

/** `./transforms/redact.wasm` → `redact`; `https://x/y/z.wasm?sha256=…` → `z`; `@acme/pii` → `pii`. */
export function transformNameFromUse(use: string): string {
  const path = use.replace(/[?#].*$/, '').replace(/[/\\]+$/, '');
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const stem = base.includes('.') && !base.startsWith('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  return stem === '' ? use : stem;
}

const deadLetter = object({
  use: string().nonEmpty().default('file').describe('The sink plugin that stores failed events and rejected batches.'),
  config: any().optional().describe('Settings of that plugin. Default: `{ dir: "./deadletter" }` when `use` is `file`, else `{}`.'),
  encoding: object({
    format: encodingFormat.default('ndjson'),
    compression: encodingCompression.default('none'),
  })
    .checkPartial((value, ctx) => {
      const snappy = snappyProblem(value.format, value.compression);
      if (snappy !== null) ctx.issue(snappy, 'compression');
    })
    .default({}),
})
  .refine(({ use, config, encoding }) => ({
    use,
    config: config !== undefined ? config : use === 'file' ? { dir: './deadletter' } : {},
    encoding,
  }))
  .default({})
  .describe('Where events that fail a transform and batches a sink rejects for good are written.');

/** The `.k8streamrc` schema. */
export const k8streamrc = object(
  {
    cluster: string().nonEmpty().default('default').describe('Cluster name stamped on every record (`prod-eu-1`).'),
    source: source.default({}),
    enrich,
    transforms: array(transform)
      .checkRaw(uniqueNames('transform'))
      .map(assignNames<Output<typeof transform>>(transformNameFromUse))
      .default([])
      .describe('WebAssembly transforms applied to each event, in order.'),
    sinks: array(sink)
      .checkRaw(uniqueNames('sink'))
      .map(assignNames<Output<typeof sink>>((use) => use))
      .default([])
      .describe('Where events are delivered. `k8stream run` needs at least one.'),
    deadLetter,
    delivery: enumOf(['at-least-once', 'at-most-once'])
      .default('at-least-once')
      .describe('`at-least-once`: acknowledge an event only once every sink accepted it (duplicates possible after a crash); `at-most-once`: no duplicates preferred.'),
    state: object({
      dir: string()
        .nonEmpty()
        .nullable()
        .default(null)
        .describe(
          'Directory for the resume point (one resourceVersion per watch), relative to the config file; a restart then emits only what it has not delivered. Null: no resume state (every start re-lists and re-emits). Ignored with leaderElection, which keeps it in the Lease.',
        ),
      saveIntervalMs: duration()
        .min(0)
        .nullable()
        .default(null)
        .describe(
          'at-least-once: the least time between two saves of the resume point, which is saved as soon as a delivery is acknowledged (one save at a time, each taking the newest acknowledged point) and once at shutdown. Null: 0 with `dir` (a kill -9 then repeats about the batch each sink had in flight), 1s with leaderElection (each save writes the Lease). at-most-once saves it before every send.',
        ),
    })
      .default({})
      .describe('Where the resume point survives restarts.'),
    leaderElection: object({
      enabled: boolean().default(false).describe('Run several replicas: one streams, the others wait on a coordination.k8s.io/v1 Lease.'),
      namespace: string().nonEmpty().nullable().default(null).describe("The Lease's namespace. Null: $POD_NAMESPACE, else the service account's namespace, else `default`."),
      name: string().nonEmpty().default('k8stream').describe("The Lease's name."),
      identity: string().nonEmpty().nullable().default(null).describe('This replica in `holderIdentity`. Null: $POD_NAME or the host name, plus a random suffix.'),
      leaseDurationMs: duration().positive().default('15s').describe('How long standbys wait, after last seeing the lease renewed, before taking it.'),
      renewDeadlineMs: duration().positive().default('10s').describe('The leader stops streaming when it could not renew for this long.'),
      retryPeriodMs: duration().positive().default('2s').describe('Interval between acquire and renew attempts.'),
    })
      .checkPartial((value, ctx) => {
        if (value.renewDeadlineMs !== undefined && value.leaseDurationMs !== undefined && value.renewDeadlineMs >= value.leaseDurationMs) {
          ctx.issue('must be less than leaseDurationMs', 'renewDeadlineMs');
        }
        if (value.retryPeriodMs !== undefined && value.renewDeadlineMs !== undefined && value.retryPeriodMs >= value.renewDeadlineMs) {
          ctx.issue('must be less than renewDeadlineMs', 'retryPeriodMs');
        }
      })
      .default({})
      .describe('High availability: several replicas, one leader.'),
    server: object({
      enabled: boolean().default(true).describe('Serve /metrics (Prometheus), /healthz and /readyz.'),
      host: string().nonEmpty().default('0.0.0.0').describe('Bind address of that server.'),
      port: integer().min(0).max(65535).default(9464).describe('Port of that server (0: any free port, logged at start).'),
    })
      .default({})
      .describe('The metrics and health endpoints.'),
    health: object({
      watchFailingMs: duration().positive().default('2m').describe('/readyz turns false when a watch has been failing for this long.'),
      sinkFailingMs: duration().positive().default('5m').describe('/readyz turns false when a sink has been failing every send for this long.'),
    })
      .default({})
      .describe('When k8stream reports itself not ready.'),
    heartbeat: object({
      url: string()
        .nonEmpty()
        .nullable()
        .default(null)
        .describe('Pinged (POST, JSON with cluster, version, uptime) every interval; null: off. Failures are logged and counted, never fatal.'),
      intervalMs: duration().positive().default('1m').describe('Time between heartbeats.'),
      timeoutMs: duration().positive().default('10s').describe('Deadline of one heartbeat request.'),
    })
      .default({})
      .describe('An optional "still alive" ping to a monitoring URL.'),
    shutdown: object({
      graceMs: duration().min(0).default('30s').describe('Time to flush open batches on SIGTERM before giving up.'),
    })
      .default({})
      .describe('Graceful shutdown.'),
    log: object({
      level: enumOf(['debug', 'info', 'warn', 'error']).default('info'),
      format: enumOf(['pretty', 'json']).default('pretty'),
    })
      .default({})
      .describe('Logging (to stderr).'),
  },
  {
    ignore: {
      $schema: string().optional().describe('The JSON Schema of this file, for editors.'),
      $import: union(string().nonEmpty(), array(string().nonEmpty())).optional().describe('Config files (relative to this one) merged in first; keys set here win.'),
    },
  },
)
  .checkPartial((value, ctx) => {
    const le = value.leaderElection?.enabled === true;
    if (le && value.source !== undefined && value.source.type !== 'kubernetes') {
      ctx.issue('needs source.type "kubernetes" (the Lease lives in the cluster)', 'leaderElection', 'enabled');
    }
    if (value.delivery === 'at-most-once') {
      if (!le && value.state !== undefined && value.state.dir === null) {
        ctx.issue('at-most-once needs a resume point that survives restarts: set state.dir (or leaderElection.enabled)', 'delivery');
      }
      (value.sinks ?? []).forEach((s, i) => {
        if (s.buffer?.type === 'disk') {
          ctx.issue('a disk buffer re-sends unacknowledged batches after a crash, which can duplicate: not allowed with delivery "at-most-once"', 'sinks', i, 'buffer');
        }
      });
    }
  })
  .describe('k8stream configuration: stream Kubernetes events to durable storage.');

/** What a user may write in `.k8streamrc` (or export from `k8stream.config.ts`). */
export type K8streamrc = Input<typeof k8streamrc>;

/** Where the published schema lives, relative to the @k8stream/core package root. */
export const K8STREAMRC_SCHEMA_FILE = 'schema/k8streamrc.schema.json';

/** The JSON Schema (draft 2020-12) of `.k8streamrc`, as published in `schema/k8streamrc.schema.json`. */
export function k8streamrcJsonSchema(): JsonSchema {
  return toJsonSchema(k8streamrc, {
    title: 'k8stream configuration (.k8streamrc)',
    interpolation: true,
  });
}
