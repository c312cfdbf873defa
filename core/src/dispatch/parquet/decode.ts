/**
 * Reads a batch file written by `writer.ts` back into its records, synchronously: what
 * `batch.records` gives a sink (or a dead letter) of a Parquet batch, from the body itself, with
 * no other copy of the records kept meanwhile. Only our own files: the footer must name exactly
 * the batch schema's leaves (`schema.ts`), one row group, data pages v1 of PLAIN values with
 * RLE/bit-packed definition levels (what `file.ts` and `column.ts` write), compressed with zstd,
 * gzip, snappy or not at all. Any other Parquet file is read with hyparquet (`reader.ts`), which
 * the tests also use to check this reader.
 */
import { Buffer } from 'node:buffer';
import * as zlib from 'node:zlib';
import { snappyUncompress } from 'hyparquet/src/snappy.js';
import { K8streamError } from '../../errors.js';
import { ALL_COLUMNS, type Leaf, rowToRecord } from './schema.js';

/** A Thrift compact-protocol struct: its fields by id (integers as numbers, binary as bytes, lists as arrays). */
type Struct = Record<number, unknown>;

/** Reads Thrift compact-protocol values (`thrift.ts` describes the encoding). */
class ThriftReader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
  ) {}

  private byte(): number {
    const b = this.buf[this.pos++];
    if (b === undefined) throw new Error('thrift: past the end');
    return b;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  struct(): Struct {
    const out: Struct = {};
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return out;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      out[id] = type === 1 ? true : type === 2 ? false : this.value(type);
    }
  }

  private value(type: number): unknown {
    switch (type) {
      case 1: // a boolean list element: one byte
      case 2:
      case 3: // i8
        return this.byte();
      case 4: // i16
      case 5: // i32
      case 6: // i64
        return this.zigzag();
      case 7: {
        const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
        this.pos += 8;
        return v;
      }
      case 8: {
        const n = this.varint();
        if (this.pos + n > this.buf.length) throw new Error('thrift: past the end');
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
      }
      case 9: // list
      case 10: {
        // set
        const header = this.byte();
        let size = header >> 4;
        if (size === 15) size = this.varint();
        const items: unknown[] = [];
        for (let i = 0; i < size; i++) items.push(this.value(header & 0x0f));
        return items;
      }
      case 11: {
        // map: read and dropped (the footer has none that matter here)
        const size = this.varint();
        if (size > 0) {
          const types = this.byte();
          for (let i = 0; i < size; i++) {
            this.value(types >> 4);
            this.value(types & 0x0f);
          }
        }
        return null;
      }
      case 12:
        return this.struct();
      default:
        throw new Error(`thrift: unknown type ${type}`);
    }
  }
}

const text = (b: unknown): string => Buffer.from(b as Uint8Array).toString('utf8');

/** A leaf of the file, as the writer lays them out: its path, how its values are stored, its highest definition level. */
interface LeafSpec {
  path: string;
  leaf: Leaf;
  maxLevel: number;
}

const LEAVES: readonly LeafSpec[] = ALL_COLUMNS.flatMap((c) =>
  c.fields === undefined ? [{ path: c.name, leaf: c.leaf!, maxLevel: 1 }] : c.fields.map((f) => ({ path: `${c.name}.${f.name}`, leaf: f.leaf, maxLevel: 2 })),
);

/** parquet.thrift CompressionCodec: none, snappy, gzip, zstd. */
function decompress(codec: number, data: Uint8Array, size: number): Buffer {
  let raw: Buffer;
  switch (codec) {
    case 0:
      raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      break;
    case 1:
      raw = Buffer.allocUnsafe(size);
      snappyUncompress(data, raw);
      break;
    case 2:
      raw = zlib.gunzipSync(data);
      break;
    case 6:
      raw = zlib.zstdDecompressSync(data);
      break;
    default:
      throw new Error(`codec ${codec}`);
  }
  if (raw.length !== size) throw new Error(`a page of ${raw.length} bytes, its header says ${size}`);
  return raw;
}

/** Decodes `count` RLE/bit-packed hybrid levels of `bitWidth` bits (1 or 2) from `raw[from, to)` into `out` at `at`. */
function decodeLevels(raw: Uint8Array, from: number, to: number, bitWidth: number, count: number, out: Uint8Array, at: number): void {
  let pos = from;
  let done = 0;
  const mask = (1 << bitWidth) - 1;
  while (done < count) {
    if (pos >= to) throw new Error('levels: past their end');
    let header = 0;
    let shift = 0;
    for (;;) {
      const b = raw[pos++]!;
      header |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if ((header & 1) === 0) {
      const run = header >>> 1;
      const v = raw[pos++]!;
      if (v > mask) throw new Error('levels: a level above the column’s');
      const n = Math.min(run, count - done);
      out.fill(v, at + done, at + done + n);
      done += n;
    } else {
      const values = (header >>> 1) * 8;
      let acc = 0;
      let bits = 0;
      for (let k = 0; k < values; k++) {
        if (bits < bitWidth) {
          acc |= raw[pos++]! << bits;
          bits += 8;
        }
        if (done < count) out[at + done++] = acc & mask;
        acc >>>= bitWidth;
        bits -= bitWidth;
      }
    }
  }
  if (pos > to) throw new Error('levels: past their end');
}

/** A leaf column read whole: each row's definition level, and its value (null below the leaf's level). */
interface ColumnData {
  levels: Uint8Array;
  values: unknown[];
}

function readColumn(file: Uint8Array, chunk: Struct, spec: LeafSpec, rows: number): ColumnData {
  const meta = chunk[3] as Struct | undefined;
  if (meta === undefined) throw new Error('a column chunk without metadata');
  const path = (meta[3] as Uint8Array[]).map(text).join('.');
  if (path !== spec.path) throw new Error(`column ${path}, expected ${spec.path}`);
  if (meta[5] !== rows) throw new Error(`column ${path}: ${String(meta[5])} values for ${rows} rows`);
  const codec = meta[4] as number;
  const levels = new Uint8Array(rows);
  const values = new Array<unknown>(rows);
  const bitWidth = spec.maxLevel === 1 ? 1 : 2;
  const reader = new ThriftReader(file, meta[9] as number);
  let row = 0;
  while (row < rows) {
    const header = reader.struct();
    const page = header[5] as Struct | undefined;
    if (header[1] !== 0 || page === undefined || page[2] !== 0) throw new Error(`column ${path}: not a PLAIN data page v1`);
    const size = header[3] as number;
    const count = page[1] as number;
    if (count <= 0 || row + count > rows || reader.pos + size > file.length) throw new Error(`column ${path}: a page out of bounds`);
    const raw = decompress(codec, file.subarray(reader.pos, reader.pos + size), header[2] as number);
    reader.pos += size;
    const levelBytes = raw.readUInt32LE(0);
    decodeLevels(raw, 4, 4 + levelBytes, bitWidth, count, levels, row);
    let at = 4 + levelBytes;
    for (let end = row + count; row < end; row++) {
      if (levels[row] !== spec.maxLevel) {
        values[row] = null;
        continue;
      }
      switch (spec.leaf) {
        case 'int32':
          values[row] = raw.readInt32LE(at);
          at += 4;
          break;
        case 'timestamp':
          values[row] = new Date(raw.readInt32LE(at + 4) * 0x100000000 + raw.readUInt32LE(at)).toISOString();
          at += 8;
          break;
        default: {
          const n = raw.readUInt32LE(at);
          at += 4;
          if (at + n > raw.length) throw new Error(`column ${path}: a value past its page`);
          const s = raw.toString('utf8', at, at + n);
          at += n;
          values[row] = spec.leaf === 'json' ? JSON.parse(s) : s;
        }
      }
    }
    if (at !== raw.length) throw new Error(`column ${path}: ${raw.length - at} bytes after a page's values`);
  }
  return { levels, values };
}

/**
 * The records of a batch file written by `writer.ts`, in order (each as `rowToRecord` makes it of
 * its row: the record that was written); a K8streamError (`EVENT_INVALID`) when the body is not
 * such a file.
 */
export function decodeBatchFile(body: Uint8Array): unknown[] {
  try {
    const n = body.length;
    if (n < 12 || text(body.subarray(0, 4)) !== 'PAR1' || text(body.subarray(n - 4)) !== 'PAR1') throw new Error('not a Parquet file');
    const footerLength = Buffer.from(body.buffer, body.byteOffset, n).readUInt32LE(n - 8);
    if (footerLength > n - 12) throw new Error('a footer longer than the file');
    const meta = new ThriftReader(body, n - 8 - footerLength).struct();
    const schema = (meta[2] as Struct[]).slice(1).map((e) => text(e[4]));
    const expected = ALL_COLUMNS.flatMap((c) => [c.name, ...(c.fields ?? []).map((f) => f.name)]);
    if (schema.join('\0') !== expected.join('\0')) throw new Error('not a k8stream batch schema');
    const rows = meta[3] as number;
    const groups = meta[4] as Struct[];
    if (rows === 0) return [];
    if (groups.length !== 1) throw new Error(`${groups.length} row groups`);
    const chunks = groups[0]![1] as Struct[];
    if (chunks.length !== LEAVES.length) throw new Error(`${chunks.length} columns`);
    const columns = LEAVES.map((spec, i) => readColumn(body, chunks[i]!, spec, rows));
    const records = new Array<unknown>(rows);
    for (let r = 0; r < rows; r++) {
      const row: Record<string, unknown> = {};
      let c = 0;
      for (const col of ALL_COLUMNS) {
        if (col.fields === undefined) {
          row[col.name] = columns[c++]!.values[r];
          continue;
        }
        if (columns[c]!.levels[r] === 0) {
          row[col.name] = null;
          c += col.fields.length;
          continue;
        }
        const group: Record<string, unknown> = {};
        for (const f of col.fields) group[f.name] = columns[c++]!.values[r];
        row[col.name] = group;
      }
      records[r] = rowToRecord(row);
    }
    return records;
  } catch (err) {
    throw new K8streamError('EVENT_INVALID', 'cannot read parquet body', { cause: err });
  }
}
