/**
 * A Thrift compact-protocol writer, for the Parquet file footer and page headers (the format's
 * `parquet.thrift` structures are written field by field by `file.ts`). Compact protocol:
 * integers as ZigZag varints, a field header as one byte `(id delta << 4) | type` when the id
 * is 1–15 above the previous field's (else the type, then the id as a ZigZag varint), a
 * boolean field's value in its header's type, binary as a varint length and the bytes, a list
 * header as `(size << 4) | element type` below 15 elements (else `0xF0 | type`, then the size),
 * a struct ended by a 0 byte.
 */
import { Buffer } from 'node:buffer';

/** Compact-protocol type codes. */
export const T = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

export class ThriftWriter {
  private buf: Buffer = Buffer.allocUnsafe(1024);
  private pos = 0;
  /** The last field id of each open struct, innermost last. */
  private readonly last: number[] = [0];

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned varint (7 bits a byte, least significant first); `n` a non-negative safe integer. */
  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** A ZigZag varint of a safe integer (i16, i32 or i64 alike). */
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  binary(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    this.binary(Buffer.from(s, 'utf8'));
  }

  /** A field header of `type`; the value follows (nothing for a boolean: use {@link bool}). */
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }

  i32(id: number, n: number): void {
    this.field(id, T.I32);
    this.zigzag(n);
  }

  i64(id: number, n: number): void {
    this.field(id, T.I64);
    this.zigzag(n);
  }

  bool(id: number, b: boolean): void {
    this.field(id, b ? T.TRUE : T.FALSE);
  }

  binaryField(id: number, b: Uint8Array): void {
    this.field(id, T.BINARY);
    this.binary(b);
  }

  stringField(id: number, s: string): void {
    this.field(id, T.BINARY);
    this.string(s);
  }

  /** A list header: `size` elements of `type` follow (structs: each {@link beginStruct} … {@link end}). */
  list(size: number, type: number): void {
    if (size < 15) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  listField(id: number, size: number, type: number): void {
    this.field(id, T.LIST);
    this.list(size, type);
  }

  /** Opens a struct value (a list element, or the top-level struct: no field header). */
  beginStruct(): void {
    this.last.push(0);
  }

  /** Opens a struct field. */
  structField(id: number): void {
    this.field(id, T.STRUCT);
    this.beginStruct();
  }

  /** Ends the innermost struct. */
  end(): void {
    this.byte(0);
    this.last.pop();
  }
}
