/**
 * Builds real encoded batches, as the core hands them to `send`, and decodes bodies back, so sink
 * tests exercise the same bytes production does.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { Batch, EncodingOptions, SendContext, SinkContext } from '../plugins/api.js';
import { decompressSync } from '../dispatch/encode.js';
import { escapeLineSeparators } from '../util/ndjson.js';
import { silentLogger } from '../util/logger.js';

const gzip = promisify(zlib.gzip);
const zstdCompress = promisify(zlib.zstdCompress);

/** Every format/compression combination the core can produce. */
export const ALL_ENCODINGS: readonly EncodingOptions[] = [
  { format: 'ndjson', compression: 'gzip' },
  { format: 'ndjson', compression: 'zstd' },
  { format: 'ndjson', compression: 'none' },
  { format: 'json', compression: 'gzip' },
  { format: 'json', compression: 'zstd' },
  { format: 'json', compression: 'none' },
];

const DEFAULT_ENCODING: EncodingOptions = { format: 'ndjson', compression: 'gzip' };

/** `.ndjson.gz`, `.json.zst`, `.ndjson`, ... */
export function extensionFor(encoding: EncodingOptions): string {
  const suffix = encoding.compression === 'gzip' ? '.gz' : encoding.compression === 'zstd' ? '.zst' : '';
  return `.${encoding.format}${suffix}`;
}

/** The encoding a file name's extension stands for (`x.ndjson.gz` → ndjson/gzip), or null. */
export function encodingForFileName(fileName: string): EncodingOptions | null {
  return ALL_ENCODINGS.find((e) => fileName.endsWith(extensionFor(e))) ?? null;
}

function timestampOf(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const r = record as Record<string, unknown>;
  for (const key of ['lastTimestamp', 'eventTime', 'firstTimestamp', 'time']) {
    const v = r[key];
    if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return v;
  }
  return null;
}

function idOf(record: unknown, index: number): string {
  if (record !== null && typeof record === 'object' && typeof (record as { id?: unknown }).id === 'string') {
    return (record as { id: string }).id;
  }
  return `#${index}`;
}

/**
 * An encoded batch of `records` (gzip NDJSON unless told otherwise). Its id is derived from the
 * records only, so the same records always give the same batch (and object key);
 * `overrides` replace any field (`{ sink: 'archive' }`).
 */
export async function makeTestBatch<R>(records: readonly R[], encoding: EncodingOptions = DEFAULT_ENCODING, overrides: Partial<Batch<R>> = {}): Promise<Batch<R>> {
  const lines = records.map((r) => escapeLineSeparators(JSON.stringify(r))); // as the body writer writes them
  const text = encoding.format === 'json' ? `[${lines.join(',')}]` : lines.map((l) => `${l}\n`).join('');
  const raw = new TextEncoder().encode(text);
  const body = encoding.compression === 'gzip' ? await gzip(raw) : encoding.compression === 'zstd' ? await zstdCompress(raw) : raw;
  const stamps = records
    .map(timestampOf)
    .filter((t): t is string => t !== null)
    .sort();
  const minTimestamp = stamps[0] ?? null;
  const maxTimestamp = stamps[stamps.length - 1] ?? null;
  const hash = createHash('sha256')
    .update(`${idOf(records[0], 0)}\n${idOf(records[records.length - 1], records.length - 1)}\n${records.length}\n${extensionFor(encoding)}`)
    .digest('hex')
    .slice(0, 20);
  return {
    id: `b-${hash}`,
    sink: 'test',
    cluster: 'test-cluster',
    records,
    count: overrides.records?.length ?? records.length,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    rawBytes: raw.byteLength,
    encoding: { ...encoding },
    contentType: encoding.format === 'json' ? 'application/json' : 'application/x-ndjson',
    contentEncoding: encoding.compression === 'none' ? undefined : encoding.compression,
    extension: extensionFor(encoding),
    createdAt: maxTimestamp === null ? Date.UTC(2026, 0, 2, 3, 0, 0) : Date.parse(maxTimestamp),
    minTimestamp,
    maxTimestamp,
    ...overrides,
  };
}

/** Decodes a batch body (any format/compression) back into its records. */
export function decodeBody(body: Uint8Array, encoding: EncodingOptions): unknown[] {
  const raw = decompressSync(body, encoding.compression);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  if (encoding.format === 'json') return JSON.parse(text) as unknown[];
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** A `SinkContext` for tests: silent logger, cluster `test-cluster`, name `test`. */
export function testSinkContext(overrides: Partial<SinkContext> = {}): SinkContext {
  return { name: 'test', cluster: 'test-cluster', logger: silentLogger, configDir: process.cwd(), ...overrides };
}

/** A `SendContext` for tests: a signal that never aborts unless given, attempt 1, silent logger. */
export function testSendContext(overrides: Partial<SendContext> = {}): SendContext {
  return { signal: new AbortController().signal, attempt: 1, logger: silentLogger, ...overrides };
}
