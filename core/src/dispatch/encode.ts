/**
 * Batch encodings: what each format/compression is called (content type, encoding, extension),
 * and decoding a body back. Bodies are written by `body-writer.ts`.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { Compression, EncodingOptions, Format } from '../plugins/api.js';
import { K8streamError } from '../errors.js';

const gunzip = promisify(zlib.gunzip);
const zstdDecompress = promisify(zlib.zstdDecompress);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** What a sink needs to know about an encoding besides the body. */
export interface EncodingInfo {
  /** `application/x-ndjson`, `application/json` or `application/vnd.apache.parquet`. */
  contentType: string;
  /** `gzip`, `zstd`, or undefined when uncompressed (always for Parquet, compressed inside). */
  contentEncoding: string | undefined;
  /** File extension with a leading dot: `.ndjson`, `.json.gz`, `.ndjson.zst`, `.parquet`. */
  extension: string;
}

/** An encoded batch body plus its metadata. */
export interface EncodedBody extends EncodingInfo {
  /** The encoded, possibly compressed, body. */
  body: Uint8Array;
  /** Size of the uncompressed body in bytes. */
  rawBytes: number;
}

const CONTENT_TYPES: Record<Format, string> = {
  ndjson: 'application/x-ndjson',
  json: 'application/json',
  parquet: 'application/vnd.apache.parquet',
};

const COMPRESSION_SUFFIX: Record<Compression, string> = { gzip: '.gz', zstd: '.zst', snappy: '', none: '' };

/** Content type, content encoding and file extension of an encoding, without encoding anything. */
export function encodingInfo(encoding: EncodingOptions): EncodingInfo {
  const contentType = CONTENT_TYPES[encoding.format];
  const suffix = COMPRESSION_SUFFIX[encoding.compression];
  if (contentType === undefined || suffix === undefined) {
    throw new K8streamError('INTERNAL', `unknown encoding ${JSON.stringify(encoding.format)}/${JSON.stringify(encoding.compression)}`);
  }
  // Parquet compresses its pages inside the file: the file itself is not compressed.
  if (encoding.format === 'parquet') return { contentType, contentEncoding: undefined, extension: '.parquet' };
  if (encoding.compression === 'snappy')
    throw new K8streamError('CONFIG_INVALID', `encoding.compression snappy needs format parquet, not ${encoding.format}`, { path: 'encoding.compression' });
  return {
    contentType,
    contentEncoding: encoding.compression === 'none' ? undefined : encoding.compression,
    extension: `.${encoding.format}${suffix}`,
  };
}

const COMPRESSION_OF_SUFFIX: Readonly<Record<string, Compression>> = { '.gz': 'gzip', '.zst': 'zstd' };

/**
 * The encoding a batch extension names, the inverse of `encodingInfo(...).extension`:
 * `.ndjson.gz` → ndjson/gzip, `.json` → json/none, `.parquet` → parquet/none.
 */
export function encodingOf(extension: string): EncodingOptions {
  const parts = extension.split('.').filter((p) => p !== '');
  const last = `.${parts[parts.length - 1] ?? ''}`;
  const compression = COMPRESSION_OF_SUFFIX[last];
  const format = (compression === undefined ? parts : parts.slice(0, -1)).join('.') as Format;
  return { format, compression: compression ?? 'none' };
}

/** Decompresses a body on the calling thread (a sink reading `batch.records`, a dead letter, tests: the rare paths). */
export function decompressSync(body: Uint8Array, compression: Compression): Buffer {
  switch (compression) {
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'zstd':
      return zlib.zstdDecompressSync(body);
    case 'none':
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    case 'snappy':
      throw new K8streamError('INTERNAL', 'snappy compresses only inside a parquet file');
  }
}

/** Decompresses a body on libuv's thread pool. */
export async function decompress(body: Uint8Array, compression: Compression): Promise<Uint8Array> {
  switch (compression) {
    case 'gzip':
      return gunzip(body);
    case 'zstd':
      return zstdDecompress(body);
    case 'none':
      return body;
    case 'snappy':
      throw new K8streamError('INTERNAL', 'snappy compresses only inside a parquet file');
  }
}

/**
 * Decodes a body (body-writer.ts) back into records. Used by tests and sink
 * compliance checks; throws a K8streamError (`EVENT_INVALID`) on malformed input.
 */
export async function decodeBody(body: Uint8Array, encoding: EncodingOptions): Promise<unknown[]> {
  encodingInfo(encoding);
  if (encoding.format === 'parquet') {
    // Loaded on first use: a process that reads no Parquet never loads hyparquet (issue 14).
    const { decodeParquet } = await import('./parquet/reader.js');
    return decodeParquet(body);
  }
  let text: string;
  try {
    text = utf8Decoder.decode(await decompress(body, encoding.compression));
  } catch (err) {
    throw new K8streamError('EVENT_INVALID', `cannot decompress ${encoding.compression} body`, { cause: err });
  }
  try {
    if (encoding.format === 'json') {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
      return parsed as unknown[];
    }
    const records: unknown[] = [];
    for (const line of text.split('\n')) {
      if (line !== '') records.push(JSON.parse(line));
    }
    return records;
  } catch (err) {
    throw new K8streamError('EVENT_INVALID', `cannot parse ${encoding.format} body`, { cause: err });
  }
}
