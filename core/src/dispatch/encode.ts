/**
 * Batch encoding: records already serialised as JSON lines become one body (`ndjson` or a
 * `json` array), optionally compressed with gzip or zstd. Compression uses Node's async zlib
 * API, so it runs on the libuv thread pool, off the main thread.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { Compression, EncodingOptions, Format } from '../plugins/api.js';
import { K8streamError } from '../errors.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** What a sink needs to know about an encoding besides the body. */
export interface EncodingInfo {
  /** `application/x-ndjson` or `application/json`. */
  contentType: string;
  /** `gzip`, `zstd`, or undefined when uncompressed. */
  contentEncoding: string | undefined;
  /** File extension with a leading dot: `.ndjson`, `.json.gz`, `.ndjson.zst`. */
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
};

const COMPRESSION_SUFFIX: Record<Compression, string> = { gzip: '.gz', zstd: '.zst', none: '' };

/** Content type, content encoding and file extension of an encoding, without encoding anything. */
export function encodingInfo(encoding: EncodingOptions): EncodingInfo {
  const contentType = CONTENT_TYPES[encoding.format];
  const suffix = COMPRESSION_SUFFIX[encoding.compression];
  if (contentType === undefined || suffix === undefined) {
    throw new K8streamError('INTERNAL', `unknown encoding ${JSON.stringify(encoding.format)}/${JSON.stringify(encoding.compression)}`);
  }
  return {
    contentType,
    contentEncoding: encoding.compression === 'none' ? undefined : encoding.compression,
    extension: `.${encoding.format}${suffix}`,
  };
}

/**
 * The uncompressed body as UTF-8 bytes, each line written straight into one buffer: no joined
 * string is built and then encoded again (for a 10,000-event batch that was two extra copies of
 * ~12 MB and about 2 µs per event). Sized for ASCII plus an eighth; grows when a line does not fit.
 */
// eslint-disable-next-line @typescript-eslint/unbound-method -- Buffer.allocUnsafeSlow is a static factory that does not use `this`
function encodeLines(jsonLines: readonly string[], format: Format, alloc: (size: number) => Buffer = Buffer.allocUnsafeSlow): { bytes: Uint8Array; buffer: Buffer | null } {
  if (jsonLines.length === 0) return { bytes: format === 'json' ? utf8.encode('[]') : new Uint8Array(0), buffer: null };
  let chars = 2;
  for (let i = 0; i < jsonLines.length; i++) chars += jsonLines[i]!.length + 1;
  let buf = alloc(chars + (chars >> 3) + 64);
  let pos = 0;
  const put = (text: string): void => {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes; only when that bound does not fit is the
    // exact size worth computing.
    if (buf.length - pos < text.length * 3 + 2) {
      const need = pos + Buffer.byteLength(text) + 2;
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, buf.length * 2));
        buf.copy(bigger, 0, 0, pos);
        buf = bigger;
      }
    }
    pos += buf.write(text, pos);
  };
  // Separators are ASCII: one byte each, always inside the slack.
  const json = format === 'json';
  if (json) buf[pos++] = 0x5b; // [
  for (let i = 0; i < jsonLines.length; i++) {
    if (json && i > 0) buf[pos++] = 0x2c; // ,
    put(jsonLines[i]!);
    if (!json) buf[pos++] = 0x0a; // \n
  }
  if (json) buf[pos++] = 0x5d; // ]
  return { bytes: buf.subarray(0, pos), buffer: buf };
}

/**
 * Uncompressed bodies that were compressed are dead once compression finished: their buffers
 * are kept here for the next batch instead of left to the garbage collector (a sink batching
 * for 1 s at 1,000 events/s made a 1.6 MB buffer per batch, and dead ones piled up to ~40 MB of
 * array buffers between full GCs in bench E). Small and bounded: at most {@link POOL_SIZE}
 * buffers of at most {@link POOL_MAX_BYTES} each; larger bodies are not kept.
 */
const pool: Buffer[] = [];
const POOL_SIZE = 4;
const POOL_MAX_BYTES = 4 * 1024 * 1024;

/** The smallest pooled buffer of at least `size` bytes, else a new one. */
function takeBuffer(size: number): Buffer {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    if (pool[i]!.length >= size && (best < 0 || pool[i]!.length < pool[best]!.length)) best = i;
  }
  if (best < 0) return Buffer.allocUnsafeSlow(size);
  const [buf] = pool.splice(best, 1);
  return buf!;
}

function giveBack(buf: Buffer | null): void {
  if (buf === null || buf.length > POOL_MAX_BYTES) return;
  if (pool.length >= POOL_SIZE) pool.shift(); // keep the most recent sizes
  pool.push(buf);
}

/**
 * Output chunk size for one body: Node's default (16 KiB) makes a 10 MB batch take hundreds of
 * thread-pool round trips, each with a main-thread callback (measured: ~2 µs per event on the
 * main thread at 100k events/s). A sixteenth of the input, between 16 KiB and 1 MiB, holds the
 * whole output of event NDJSON (gzip 6: ~5% of the input) in one or two chunks, without
 * allocating much more than the output itself (each chunk is a fresh buffer, garbage after).
 */
function chunkSizeFor(raw: Uint8Array): number {
  return Math.min(1 << 20, Math.max(zlib.constants.Z_DEFAULT_CHUNK, raw.byteLength >> 4));
}

async function compress(raw: Uint8Array, compression: Compression, level: number | undefined): Promise<Uint8Array> {
  const chunkSize = chunkSizeFor(raw);
  switch (compression) {
    case 'gzip':
      return level === undefined ? gzip(raw, { chunkSize }) : gzip(raw, { level, chunkSize });
    case 'zstd':
      return level === undefined ? zstdCompress(raw, { chunkSize }) : zstdCompress(raw, { chunkSize, params: { [zlib.constants.ZSTD_c_compressionLevel]: level } });
    case 'none':
      return raw;
  }
}

async function decompress(body: Uint8Array, compression: Compression): Promise<Uint8Array> {
  switch (compression) {
    case 'gzip':
      return gunzip(body);
    case 'zstd':
      return zstdDecompress(body);
    case 'none':
      return body;
  }
}

/**
 * Encodes already-serialised records (`JSON.stringify(record)` each) as one body.
 * `ndjson`: one record per line, each line ending in `\n` (an empty batch is an empty body).
 * `json`: a JSON array `[a,b,...]`.
 */
export async function encodeBatch(jsonLines: readonly string[], encoding: EncodingOptions): Promise<EncodedBody> {
  const info = encodingInfo(encoding);
  if (encoding.compression === 'none') {
    // The uncompressed bytes are the body the sink keeps: never pooled.
    const { bytes } = encodeLines(jsonLines, encoding.format);
    return { body: bytes, rawBytes: bytes.byteLength, ...info };
  }
  const { bytes, buffer } = encodeLines(jsonLines, encoding.format, takeBuffer);
  try {
    const body = await compress(bytes, encoding.compression, encoding.level);
    return { body, rawBytes: bytes.byteLength, ...info };
  } finally {
    giveBack(buffer); // compression has finished reading it
  }
}

/**
 * Decodes a body produced by {@link encodeBatch} back into records. Used by tests and sink
 * compliance checks; throws a K8streamError (`EVENT_INVALID`) on malformed input.
 */
export async function decodeBody(body: Uint8Array, encoding: EncodingOptions): Promise<unknown[]> {
  encodingInfo(encoding);
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
