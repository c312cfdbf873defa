/**
 * The public sink plugin API. A sink package default-exports `defineSink({...})`.
 * A sink implements only "send this batch": batching, retries, buffering, encoding,
 * timeouts and shutdown ordering belong to the core.
 */
import type { EventRecord } from '../record/types.js';
import type { Logger } from '../util/logger.js';

/** Semver version of the plugin API this core implements. Plugins declare a range. */
export const PLUGIN_API_VERSION = '1.2.0';

/** `parquet`: one Parquet file per batch, compressed inside (docs/record.md, "Parquet"). */
export type Format = 'ndjson' | 'json' | 'parquet';
/** `snappy` only with format `parquet` (it compresses the pages inside the file). */
export type Compression = 'gzip' | 'zstd' | 'snappy' | 'none';

export interface EncodingOptions {
  format: Format;
  compression: Compression;
  /**
   * Compression level: gzip 1–9, zstd 1–22; unset = the library default (gzip 6, zstd 3).
   * Lower is faster and larger (gzip 1 costs about a third of gzip 6's CPU for ~25% more bytes).
   */
  level?: number;
}

export interface BatchOptions {
  /** Close a batch at this many events. */
  maxEvents: number;
  /** Close a batch when its uncompressed size reaches this many bytes. */
  maxBytes: number;
  /** Close a batch when its oldest event has waited this long. */
  maxAgeMs: number;
}

/** An encoded batch, ready to write. */
export interface Batch<R = EventRecord> {
  /** Deterministic id from the first and last record ids: a retried batch keeps its id (and object key). */
  id: string;
  /** Name of the sink instance (from config, defaults to the plugin name). */
  sink: string;
  cluster: string;
  /**
   * The records, in order (dead-letter batches carry `k8stream.deadletter/v1` records). Decoded
   * from `body` on first read (the core holds a batch as its encoded body): a sink that only
   * needs how many there are reads `count`.
   */
  records: readonly R[];
  /** Number of records in the batch. */
  count: number;
  /** The encoded (and compressed) body. */
  body: Uint8Array;
  /** Uncompressed size in bytes. */
  rawBytes: number;
  encoding: EncodingOptions;
  /** `application/x-ndjson` or `application/json`. */
  contentType: string;
  /** `gzip`, `zstd` or undefined. */
  contentEncoding: string | undefined;
  /** File extension for this encoding, with a leading dot: `.ndjson.gz`. */
  extension: string;
  /** Time the batch was closed (ms since epoch); used for time-partitioned paths. */
  createdAt: number;
  /** Earliest and latest event timestamps in the batch (ISO), for partitioning. */
  minTimestamp: string | null;
  maxTimestamp: string | null;
}

export interface SinkContext {
  /** Name of this sink instance. */
  name: string;
  cluster: string;
  logger: Logger;
  /** Directory of the config file: resolve relative paths against it. */
  configDir: string;
}

export interface SendContext {
  /** Aborted when the core's per-send timeout fires or at forced shutdown. */
  signal: AbortSignal;
  /** 1 for the first try. */
  attempt: number;
  logger: Logger;
}

export interface SinkInstance {
  /** Resolving is the ack. Throw PermanentError, RetryAfterError, or anything else (retried with backoff). */
  send(batch: Batch<unknown>, ctx: SendContext): Promise<void>;
  /** Checked at start: throw a K8streamError with a clear message when the destination is unusable. */
  healthcheck?(): Promise<void>;
  close?(): Promise<void>;
  /** Where batches go, for logs and the run summary (`/abs/out`, `s3://bucket/prefix`). Never include secrets. */
  describe?(): string;
}

export interface SinkDefinition<C = unknown> {
  name: string;
  /** Semver range of the plugin API this sink works with, e.g. `^1.0.0`. */
  apiVersion: string;
  /** Defaults the core applies when the user's config does not set them. */
  defaults?: { batch?: Partial<BatchOptions>; encoding?: Partial<EncodingOptions> };
  /**
   * Pure validation of the user's `config` object. Throws a ValidationError (code
   * PLUGIN_CONFIG_INVALID) listing every problem with its path, or returns the typed config.
   */
  validate(raw: unknown): C;
  create(config: C, ctx: SinkContext): SinkInstance | Promise<SinkInstance>;
  /**
   * Optional: read back what this sink wrote, for `k8stream query`, `timeline` and `report`.
   * Gets the same validated config as `create` (same credentials chain, endpoint, key template).
   * A sink without it cannot be named by `--sink`.
   */
  archive?(config: C, ctx: SinkContext): ArchiveReader | Promise<ArchiveReader>;
}

/** One stored batch object (a file, an S3 or GCS object). */
export interface ArchiveObject {
  /** The key relative to the archive root (`/`-separated): what the sink's key template rendered. */
  key: string;
  /** Size in bytes. */
  size: number;
}

/** One page of a listing: objects directly matched, and (with a delimiter) the common prefixes below `prefix`. */
export interface ArchiveListing {
  objects: ArchiveObject[];
  /** With `delimiter: '/'`: the next-level "directories" (`cluster=a/`), each ending in the delimiter. */
  prefixes: string[];
}

/**
 * Read access to what a sink wrote. Keys are relative to the archive root (the file sink's `dir`,
 * the bucket plus nothing: the S3/GCS sinks' `{prefix}` is part of their template, and
 * `templateValues.prefix` gives its value).
 */
export interface ArchiveReader {
  /** The key template batches were written under (the sink's `key` / `path`). */
  template: string;
  /** Values of the template's sink-specific placeholders (`{ prefix: 'events' }`). */
  templateValues: Readonly<Record<string, string>>;
  /**
   * Lists keys starting with `prefix` (`''` = everything), all pages, in key order. With
   * `delimiter: '/'`, keys below the next `/` are folded into `prefixes`, like S3's ListObjectsV2.
   * Throws a K8streamError (`ARCHIVE_UNAVAILABLE` when the root does not exist or access is denied).
   */
  list(prefix: string, options?: { delimiter?: '/'; signal?: AbortSignal }): Promise<ArchiveListing>;
  /** The object's stored bytes (still compressed, as written). Throws `ARCHIVE_READ_FAILED` naming the key. */
  read(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** Where it reads from, for messages (`/abs/out`, `s3://bucket/prefix`). Never includes secrets. */
  describe(): string;
  /**
   * Optional, for archives on local disk (the file sink): the absolute path of the object, so it
   * is read in place instead of copied. Undefined for a key that has no local file.
   */
  localPath?(key: string): string | undefined;
  close?(): Promise<void>;
}

/** Identity helper that gives sink authors type checking; marks the object as a k8stream sink. */
export function defineSink<C>(definition: SinkDefinition<C>): SinkDefinition<C> {
  return Object.assign(definition, { [SINK_MARKER]: true });
}

export const SINK_MARKER = Symbol.for('k8stream.sink');
