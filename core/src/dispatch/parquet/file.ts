/**
 * Writes a Parquet file (apache/parquet-format: README "File format", parquet.thrift) of one row
 * group from a batch's leaf columns (`column.ts`): `PAR1`, each column chunk's data pages (v1:
 * a page header, then, compressed with the file's codec, the definition levels, RLE/bit-packed
 * hybrid with a 4-byte length, and the PLAIN values; put together, and usually compressed, by
 * `column.ts` as each page fills), the footer (`FileMetaData`, Thrift compact), its 4-byte
 * length, `PAR1`. No dictionary pages: with zstd the files are a third of gzip NDJSON's bytes
 * without them (bench Q), and a dictionary costs a lookup per value.
 */
import { Buffer } from 'node:buffer';
import * as zlib from 'node:zlib';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { Compression } from '../../plugins/api.js';
import { K8streamError } from '../../errors.js';
import type { Compress, LeafColumn } from './column.js';
import type { Column, Leaf } from './schema.js';
import { T, ThriftWriter } from './thrift.js';

/** parquet.thrift enums. */
const TYPE = { INT32: 1, INT64: 2, BYTE_ARRAY: 6 } as const;
const OPTIONAL = 1;
const CONVERTED = { UTF8: 0, JSON: 19 } as const;
const ENCODING = { PLAIN: 0, RLE: 3 } as const;
const CODEC = { none: 0, snappy: 1, gzip: 2, zstd: 6 } as const;
const DATA_PAGE = 0;

function physicalType(leaf: Leaf): number {
  return leaf === 'int32' ? TYPE.INT32 : leaf === 'timestamp' ? TYPE.INT64 : TYPE.BYTE_ARRAY;
}

/** A SchemaElement of a leaf: type, OPTIONAL, name, its converted and logical types. */
function leafElement(w: ThriftWriter, name: string, leaf: Leaf): void {
  w.beginStruct();
  w.i32(1, physicalType(leaf));
  w.i32(3, OPTIONAL);
  w.stringField(4, name);
  if (leaf === 'string' || leaf === 'json') w.i32(6, leaf === 'string' ? CONVERTED.UTF8 : CONVERTED.JSON);
  if (leaf !== 'int32') {
    w.structField(10); // LogicalType (a union)
    if (leaf === 'string')
      w.structField(1); // STRING
    else if (leaf === 'json')
      w.structField(12); // JSON
    else {
      w.structField(8); // TIMESTAMP
      w.bool(1, true); // isAdjustedToUTC
      w.structField(2); // unit
      w.structField(1); // MILLIS
      w.end();
      w.end();
    }
    w.end();
    w.end();
  }
  w.end();
}

/** The page compressor of a codec (null: `none`). */
export function compressor(compression: Compression, level: number | undefined): Compress {
  switch (compression) {
    case 'zstd': {
      const options = level !== undefined ? { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } } : {};
      return (raw) => zlib.zstdCompressSync(raw, options);
    }
    case 'gzip': {
      const options = level !== undefined ? { level } : {};
      return (raw) => zlib.gzipSync(raw, options);
    }
    case 'snappy':
      return (raw) => snappyCompress(raw); // hyparquet-writer's (Snappy's raw block format, as Parquet's SNAPPY is)
    case 'none':
      return null;
    default:
      throw new K8streamError('CONFIG_INVALID', `encoding.compression: parquet does not support ${JSON.stringify(compression)}`);
  }
}

/** A statistics value's bytes (PLAIN encoding without a length: UTF-8, or little-endian integers). */
function statBytes(leaf: Leaf, v: string | number): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  const b = Buffer.alloc(leaf === 'int32' ? 4 : 8);
  if (leaf === 'int32') b.writeInt32LE(v);
  else b.writeBigInt64LE(BigInt(v));
  return b;
}

interface Chunk {
  column: LeafColumn;
  offset: number;
  compressed: number;
  uncompressed: number;
}

export interface FileOptions {
  columns: readonly Column[];
  leaves: readonly LeafColumn[];
  rows: number;
  compression: Compression;
  level: number | undefined;
  createdBy: string;
  keyValues: readonly [string, string][];
}

/** The Parquet file of the leaves' rows (one row group; none when there are no rows). */
export function writeFile(o: FileOptions): Buffer {
  const compress = compressor(o.compression, o.level);
  const parts: Uint8Array[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: Chunk[] = [];
  if (o.rows > 0) {
    for (const column of o.leaves) {
      const chunk: Chunk = { column, offset, compressed: 0, uncompressed: 0 };
      for (const page of column.finish()) {
        const data = page.compressed || compress === null ? page.data : compress(Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength));
        const h = new ThriftWriter();
        h.beginStruct();
        h.i32(1, DATA_PAGE);
        h.i32(2, page.rawSize);
        h.i32(3, data.length);
        h.structField(5); // DataPageHeader
        h.i32(1, page.rows); // values, nulls included
        h.i32(2, ENCODING.PLAIN);
        h.i32(3, ENCODING.RLE); // definition levels
        h.i32(4, ENCODING.RLE); // repetition levels (none)
        h.end();
        h.end();
        const header = Buffer.from(h.bytes());
        parts.push(header, data);
        offset += header.length + data.length;
        chunk.compressed += header.length + data.length;
        chunk.uncompressed += header.length + page.rawSize;
      }
      chunks.push(chunk);
    }
  }
  const footer = footerBytes(o, chunks);
  const tail = Buffer.allocUnsafe(8);
  tail.writeUInt32LE(footer.length, 0);
  tail.write('PAR1', 4, 'latin1');
  parts.push(footer, tail);
  // One buffer of the file's own size (not a slice of a shared pool slab).
  const file = Buffer.allocUnsafeSlow(offset + footer.length + 8);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return file;
}

/** FileMetaData. */
function footerBytes(o: FileOptions, chunks: readonly Chunk[]): Buffer {
  const w = new ThriftWriter();
  w.beginStruct();
  w.i32(1, 1); // version (parquet.thrift: writers write 1)
  // schema: depth-first, the root first
  let elements = 1;
  for (const c of o.columns) elements += 1 + (c.fields?.length ?? 0);
  w.listField(2, elements, T.STRUCT);
  w.beginStruct();
  w.stringField(4, 'root');
  w.i32(5, o.columns.length);
  w.end();
  for (const c of o.columns) {
    if (c.fields === undefined) leafElement(w, c.name, c.leaf!);
    else {
      w.beginStruct();
      w.i32(3, OPTIONAL);
      w.stringField(4, c.name);
      w.i32(5, c.fields.length);
      w.end();
      for (const f of c.fields) leafElement(w, f.name, f.leaf);
    }
  }
  w.i64(3, o.rows);
  w.listField(4, chunks.length === 0 ? 0 : 1, T.STRUCT);
  if (chunks.length > 0) {
    w.beginStruct(); // RowGroup
    w.listField(1, chunks.length, T.STRUCT);
    let compressed = 0;
    let uncompressed = 0;
    for (const chunk of chunks) {
      compressed += chunk.compressed;
      uncompressed += chunk.uncompressed;
      columnChunk(w, chunk, o);
    }
    w.i64(2, uncompressed); // total_byte_size
    w.i64(3, o.rows);
    w.i64(5, chunks[0]!.offset); // file_offset
    w.i64(6, compressed); // total_compressed_size
    w.field(7, 4); // ordinal: i16
    w.zigzag(0);
    w.end();
  }
  w.listField(5, o.keyValues.length, T.STRUCT);
  for (const [key, value] of o.keyValues) {
    w.beginStruct();
    w.stringField(1, key);
    w.stringField(2, value);
    w.end();
  }
  w.stringField(6, o.createdBy);
  // column_orders: every leaf's min/max in its type's order (TypeDefinedOrder), so readers use min_value/max_value.
  w.listField(7, o.leaves.length, T.STRUCT);
  for (let i = 0; i < o.leaves.length; i++) {
    w.beginStruct();
    w.structField(1); // TYPE_ORDER
    w.end();
    w.end();
  }
  w.end();
  return Buffer.from(w.bytes());
}

/** ColumnChunk, with its ColumnMetaData. */
function columnChunk(w: ThriftWriter, chunk: Chunk, o: FileOptions): void {
  const c = chunk.column;
  w.beginStruct();
  w.i64(2, chunk.offset); // file_offset
  w.structField(3); // meta_data
  w.i32(1, physicalType(c.leaf));
  w.listField(2, 2, T.I32); // encodings
  w.zigzag(ENCODING.PLAIN);
  w.zigzag(ENCODING.RLE);
  w.listField(3, c.path.length, T.BINARY);
  for (const name of c.path) w.string(name);
  w.i32(4, CODEC[o.compression]);
  w.i64(5, c.rows); // num_values, nulls included
  w.i64(6, chunk.uncompressed);
  w.i64(7, chunk.compressed);
  w.i64(9, chunk.offset); // data_page_offset
  if (c.stats) {
    w.structField(12); // Statistics
    w.i64(3, c.nulls); // null_count
    if (c.max !== null) w.binaryField(5, statBytes(c.leaf, c.max)); // max_value
    if (c.min !== null) w.binaryField(6, statBytes(c.leaf, c.min)); // min_value
    w.end();
  }
  w.end();
  w.end();
}
