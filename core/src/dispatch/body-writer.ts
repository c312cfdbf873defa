/**
 * The open batch's body, written as records arrive (issue 14): each record's JSON text is copied
 * into a small raw chunk the moment the batcher takes it, and every full chunk goes to the
 * batch's own compression stream (gzip or zstd, on the libuv thread pool). The batch then holds
 * its records as compressed bytes, not as JSON strings plus, at close, an uncompressed copy of
 * them all: a 10,000-event batch held ~12 MB of strings and a ~12 MB raw buffer until it was
 * encoded; now it holds a few hundred KiB of chunks and its compressed output.
 *
 * Deflate's output does not depend on how its input is split: a gzip body is byte-identical to
 * one-shot gzip of the whole text. {@link encodeBatch} is the one-shot form, for lines at hand.
 *
 * Each record's UTF-8 length is kept (4 bytes per record), so {@link decodeRecords} can cut the
 * records back out of a body exactly: a dead letter or a sink that reads `batch.records` gets
 * them from the body, whatever the format (a Parquet body is read by `parquet/decode.ts`).
 */
import { Buffer } from 'node:buffer';
import * as zlib from 'node:zlib';
import type { Compression, EncodingOptions } from '../plugins/api.js';
import { escapeLineSeparators } from '../util/ndjson.js';
import { K8streamError } from '../errors.js';
import { type EncodedBody, decompressSync, encodingInfo } from './encode.js';
import type * as ParquetWriter from './parquet/writer.js';

/**
 * The Parquet writer (`parquet/`, and hyparquet-writer's snappy), loaded only once a Parquet batch is
 * wanted: a process whose sinks write NDJSON never loads it (issue 14: ~1.3 MB of heap).
 */
let parquetWriter: typeof ParquetWriter | null = null;
let parquetLoading: Promise<void> | null = null;

/**
 * Loads the Parquet writer; resolves once {@link createBodyWriter} writes Parquet bodies straight
 * from their records. The dispatcher of a Parquet sink awaits it in `opened()`; a batch opened
 * before it resolved still comes out right (its records are put into columns at `finish`).
 */
export function loadParquetWriter(): Promise<void> {
  parquetLoading ??= import('./parquet/writer.js').then((module) => {
    parquetWriter = module;
  });
  return parquetLoading;
}

/** Raw bytes gathered before a chunk goes to the compressor: few thread-pool round trips, little held. */
export const CHUNK_BYTES = 256 * 1024;
/** Output chunk size of the compression stream (compressed NDJSON is ~5–10% of the input). */
const OUTPUT_CHUNK_BYTES = 64 * 1024;
/** Free raw chunks kept for the next ones (per process): 2 MiB at most. */
const POOL_SIZE = 8;
const pool: Buffer[] = [];

function takeChunk(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
}

function giveBack(chunk: Buffer): void {
  if (chunk.length === CHUNK_BYTES && pool.length < POOL_SIZE) pool.push(chunk);
}

/** Writes one batch's body; see the module doc. */
export interface BodyWriter {
  /** Records written so far. */
  readonly count: number;
  /**
   * Appends one record's JSON text (`bytes`: its UTF-8 length when the caller knows it). U+2028 and
   * U+2029 are written escaped (`util/ndjson.ts`), so every line stays one line for any reader.
   * `record`, when the caller has it, is the value `json` was made from (`JSON.stringify(record)`
   * is `json`): a Parquet body takes its columns from it instead of parsing `json` again. It is
   * read during the call only, never kept.
   */
  add(json: string, bytes?: number, record?: unknown): void;
  /** Ends the body. Resolves with it and each record's UTF-8 length; rejects if compression failed. */
  finish(): Promise<WrittenBody>;
}

/** A finished body and the UTF-8 length of each record in it, in order. */
export interface WrittenBody extends EncodedBody {
  recordBytes: Uint32Array;
}

/**
 * The records of a Parquet batch opened before the Parquet writer loaded, as zstd NDJSON: the
 * batch's columns are filled from it at `finish` (see {@link createParquetBodyWriter}).
 */
const EARLY_RECORDS: EncodingOptions = { format: 'ndjson', compression: 'zstd', level: 1 };

function compact(parts: readonly Buffer[]): Buffer {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const body = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const p of parts) at += p.copy(body, at);
  return body;
}

/** The compression stream for `compression`, or null for `none`. */
function compressor(compression: Compression, level: number | undefined): zlib.Gzip | zlib.ZstdCompress | null {
  switch (compression) {
    case 'gzip':
      return zlib.createGzip({ chunkSize: OUTPUT_CHUNK_BYTES, ...(level !== undefined ? { level } : {}) });
    case 'zstd':
      return zlib.createZstdCompress({ chunkSize: OUTPUT_CHUNK_BYTES, ...(level !== undefined ? { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } } : {}) });
    case 'none':
    case 'snappy': // parquet only: encodingInfo() refused any other format before this
      return null;
  }
}

export function createBodyWriter(encoding: EncodingOptions): BodyWriter {
  if (encoding.format === 'parquet') return createParquetBodyWriter(encoding);
  const info = encodingInfo(encoding);
  const json = encoding.format === 'json';
  const stream = compressor(encoding.compression, encoding.level);
  /** Compressed output, or (compression `none`) the raw chunks themselves. */
  const out: Buffer[] = [];
  let failure: Error | null = null;
  if (stream !== null) {
    stream.on('data', (b: Buffer) => out.push(b));
    stream.on('error', (err) => (failure ??= err));
  }
  let chunk: Buffer | null = null;
  let pos = 0;
  let rawBytes = 0;
  let lengths = new Uint32Array(64);
  let count = 0;

  /** Hands the filled part of the chunk on (to the compressor, or keeps it as body for `none`). */
  function ship(): void {
    if (chunk === null || pos === 0) return;
    const full = chunk;
    const used = full.subarray(0, pos);
    rawBytes += pos;
    chunk = null;
    pos = 0;
    if (stream === null) out.push(used);
    else stream.write(used, () => giveBack(full)); // the callback runs once zlib has read it
  }

  /** Room for `bytes` more in the current chunk (a new chunk when it lacks it); false when even a new one is too small. */
  function room(bytes: number): boolean {
    if (chunk !== null && CHUNK_BYTES - pos >= bytes) return true;
    ship();
    if (bytes > CHUNK_BYTES) return false;
    chunk = stream === null ? Buffer.allocUnsafeSlow(CHUNK_BYTES) : takeChunk();
    return true;
  }

  function putByte(byte: number): void {
    room(1);
    chunk![pos++] = byte;
  }

  return {
    get count() {
      return count;
    },
    add(recordJson: string, bytes?: number): void {
      if (json) putByte(count === 0 ? 0x5b : 0x2c); // [ or ,
      // U+2028/U+2029 split lines for many readers: escaped (same JSON value, 3 more bytes each, so the caller's size is stale).
      const text = escapeLineSeparators(recordJson);
      if (text !== recordJson) bytes = undefined;
      // A UTF-16 code unit takes at most 3 UTF-8 bytes: only when that bound does not fit is the exact size worth computing.
      let size = bytes ?? -1;
      const fits = chunk !== null && CHUNK_BYTES - pos >= text.length * 3 + 1;
      if (!fits && size < 0) size = Buffer.byteLength(text, 'utf8');
      if (fits || room(size + 1)) {
        const written = chunk!.write(text, pos, 'utf8');
        pos += written;
        size = written;
      } else {
        // Larger than a chunk: it goes on alone.
        const big = Buffer.from(text, 'utf8');
        size = big.length;
        rawBytes += size;
        if (stream === null) out.push(big);
        else stream.write(big);
      }
      if (!json) putByte(0x0a); // \n
      if (count === lengths.length) {
        const grown = new Uint32Array(lengths.length * 2);
        grown.set(lengths);
        lengths = grown;
      }
      lengths[count++] = size;
    },
    async finish(): Promise<WrittenBody> {
      if (json) {
        if (count === 0) putByte(0x5b);
        putByte(0x5d); // ]
      }
      ship();
      if (stream !== null) {
        await new Promise<void>((resolve, reject) => {
          stream.once('end', resolve);
          stream.once('error', reject);
          stream.end();
        });
        if (failure !== null) throw failure;
      }
      // One buffer of the body's own size: a small body must not keep a whole output (or raw) chunk, or a
      // shared pool slab, alive while it waits.
      const body = out.length === 1 && out[0]!.byteLength === out[0]!.buffer.byteLength ? out[0]! : compact(out);
      out.length = 0;
      return { body, rawBytes, recordBytes: lengths.subarray(0, count), ...info };
    },
  };
}

/**
 * A Parquet body (`parquet/writer.ts`): each record put into the columns as it arrives (the
 * caller's record object, else its JSON parsed; a record that is not JSON is kept as its text),
 * the file written when the batch closes. The records are not kept otherwise: `batch.records`
 * reads them back from the file ({@link writtenRecords}). A batch opened before the Parquet
 * writer is loaded ({@link loadParquetWriter}) writes the records as zstd NDJSON meanwhile
 * ({@link EARLY_RECORDS}), and its columns are filled from them at `finish`, once the writer is
 * there.
 */
function createParquetBodyWriter(encoding: EncodingOptions): BodyWriter {
  const info = encodingInfo(encoding);
  const columns = parquetWriter?.createParquetColumns(encoding.compression, encoding.level) ?? null;
  if (columns === null) {
    void loadParquetWriter().catch(() => undefined); // finish() reports a failure
    return earlyParquetBodyWriter(encoding);
  }
  let lengths = new Uint32Array(64);
  let count = 0;
  let rawBytes = 0;
  return {
    get count() {
      return count;
    },
    add(recordJson: string, bytes?: number, record?: unknown): void {
      if (record === undefined) {
        try {
          record = JSON.parse(recordJson);
        } catch {
          record = recordJson;
        }
      }
      columns.add(record);
      const size = bytes ?? Buffer.byteLength(recordJson, 'utf8');
      if (count === lengths.length) {
        const grown = new Uint32Array(lengths.length * 2);
        grown.set(lengths);
        lengths = grown;
      }
      lengths[count++] = size;
      rawBytes += size + 1; // as NDJSON: the line and its \n
    },

    async finish(): Promise<WrittenBody> {
      const body = columns.write(encoding.compression, encoding.level);
      return { ...info, body, rawBytes, recordBytes: lengths.subarray(0, count) };
    },
  };
}

/** A Parquet body of a batch opened before the Parquet writer loaded: see {@link createParquetBodyWriter}. */
function earlyParquetBodyWriter(encoding: EncodingOptions): BodyWriter {
  const info = encodingInfo(encoding);
  const copy = createBodyWriter(EARLY_RECORDS);
  return {
    get count() {
      return copy.count;
    },
    add(recordJson: string, bytes?: number): void {
      copy.add(recordJson, bytes);
    },
    async finish(): Promise<WrittenBody> {
      const records = await copy.finish();
      await loadParquetWriter();
      const columns = parquetWriter!.createParquetColumns(encoding.compression, encoding.level);
      for (const record of decodeRecords(records.body, EARLY_RECORDS, records.recordBytes)) columns.add(record);
      const body = columns.write(encoding.compression, encoding.level);
      return { ...info, body, rawBytes: records.rawBytes, recordBytes: records.recordBytes };
    },
  };
}

/**
 * Encodes already-serialised records (`JSON.stringify(record)` each) as one body.
 * `ndjson`: one record per line, each line ending in `\n` (an empty batch is an empty body).
 * `json`: a JSON array `[a,b,...]`.
 */
export async function encodeBatch(jsonLines: readonly string[], encoding: EncodingOptions): Promise<EncodedBody> {
  const writer = createBodyWriter(encoding);
  for (const line of jsonLines) writer.add(line);
  const { recordBytes: _, ...body } = await writer.finish();
  return body;
}

/**
 * The records of a finished body, on the calling thread: {@link decodeRecords}, or for Parquet
 * `parquet/decode.ts` (the writer is loaded: a Parquet body was written).
 */
export function writtenRecords(written: WrittenBody, encoding: EncodingOptions): unknown[] {
  if (encoding.format === 'parquet') {
    if (parquetWriter === null) throw new K8streamError('INTERNAL', 'a parquet body read before the parquet writer loaded');
    return parquetWriter.decodeBatchFile(written.body);
  }
  return decodeRecords(written.body, encoding, written.recordBytes);
}

/**
 * The records of a body written by {@link createBodyWriter}, cut out by their lengths: each
 * parsed as JSON, or its text when it is not JSON (a damaged record stays a record).
 */
export function decodeRecords(body: Uint8Array, encoding: EncodingOptions, recordBytes: Uint32Array): unknown[] {
  if (encoding.format === 'parquet') throw new K8streamError('INTERNAL', 'a parquet body is read with writtenRecords() or decodeBody()');
  const raw = decompressSync(body, encoding.compression);
  const records = new Array<unknown>(recordBytes.length);
  let pos = encoding.format === 'json' ? 1 : 0; // past the [
  for (let i = 0; i < recordBytes.length; i++) {
    const text = raw.toString('utf8', pos, pos + recordBytes[i]!);
    pos += recordBytes[i]! + 1; // and its separator: \n, or , / ]
    try {
      records[i] = JSON.parse(text) as unknown;
    } catch {
      records[i] = text;
    }
  }
  return records;
}
