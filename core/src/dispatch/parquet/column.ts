/**
 * One leaf column of a batch being written (`file.ts` writes the file): each record's
 * definition level (one byte per row) and, when it has a value, the value PLAIN-encoded
 * (Encodings.md: BYTE_ARRAY as a 4-byte little-endian length then the bytes, INT32 as 4 bytes
 * and INT64 as 8 bytes little-endian, two's complement), appended as the record arrives. The
 * batch holds its values as these bytes, not as JavaScript values. When a page's values pass
 * {@link PAGE_BYTES} the page is put together (levels RLE/bit-packed with their 4-byte length,
 * then the values: a data page v1's body) and compressed right away, so an open batch holds its
 * full pages compressed and one page of bytes per column. Statistics: null count,
 * and (when kept) min and max, strings ordered as their UTF-8 bytes, unsigned (Parquet's
 * order for UTF8), numbers as signed integers.
 */
import { Buffer } from 'node:buffer';
import { ByteList, encodeLevels } from './levels.js';
import type { Leaf } from './schema.js';

/** Compresses a page body (the file's codec), or null: pages kept as they are. */
export type Compress = ((raw: Buffer) => Uint8Array) | null;

/** A finished page: its body, compressed when the column has a codec. */
export interface Page {
  data: Uint8Array;
  compressed: boolean;
  /** Size of the body uncompressed. */
  rawSize: number;
  /** Rows (values, nulls included). */
  rows: number;
}

/** The buffer pages are put together in before compression, kept for the next (see spares). */
let scratch: Buffer = Buffer.allocUnsafeSlow(0);
/** Most bytes of {@link scratch} kept (a page is about `PAGE_BYTES`, more with one large value). */
const SCRATCH_BYTES = 2 * 1024 * 1024;
const levelBytes = new ByteList(256);

/** A buffer of `size` bytes for one page: a view of {@link scratch} (valid until the next page). */
function pageBuffer(size: number): Buffer {
  if (size > scratch.length) {
    const grown = Buffer.allocUnsafeSlow(Math.max(size, Math.min(SCRATCH_BYTES, scratch.length * 2)));
    if (grown.length > SCRATCH_BYTES) return grown;
    scratch = grown;
  }
  return scratch.subarray(0, size);
}

/** Values per page, uncompressed: a page ends at the first record past this. */
export const PAGE_BYTES = 1024 * 1024;

/** Strings up to this long are written by hand while they are ASCII (the native encoder's call costs more). */
const SHORT = 32;

/** Orders two strings as their UTF-8 encodings compared byte by byte, unsigned. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order is code point order, which is UTF-8 byte order, except that surrogates (code points
    // from U+10000, 4 UTF-8 bytes from F0) sort below U+E000–U+FFFF (3 bytes from EE) in UTF-16.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Buffers of finished batches, by leaf column (its index in the file), for the next batch: a
 * batch's columns then take no new memory, where fresh buffers (tens of MiB a 10,000-record
 * batch, with their growth) make V8 run a full collection every few batches (external memory
 * counts toward its limits) — a third of the writer's CPU in bench Q. Kept up to
 * {@link SPARE_BYTES} in all, for {@link SPARE_IDLE_MS} after the last batch gave some back.
 */
const spares: ({ levels: Uint8Array; values: Buffer } | undefined)[] = [];
let spareBytes = 0;
/** Most bytes of buffers kept for the next batches. */
export const SPARE_BYTES = 16 * 1024 * 1024;
/** Spares no batch took for this long are dropped: an idle writer does not keep a batch's worth of memory. */
export const SPARE_IDLE_MS = 30_000;
let dropTimer: NodeJS.Timeout | null = null;

/** Bytes of spare buffers held now. */
export function spareBytesHeld(): number {
  return spareBytes;
}

/** Drops the spare buffers (after {@link SPARE_IDLE_MS} without a batch; tests, to start afresh). */
export function dropSpares(): void {
  if (dropTimer !== null) clearTimeout(dropTimer);
  spares.length = 0;
  spareBytes = 0;
  dropTimer = null;
}

export class LeafColumn {
  /** Definition level of each row of the current page. */
  levels: Uint8Array;
  pageRows = 0;
  /** Rows of the column so far. */
  rows = 0;
  /** PLAIN-encoded values of the current page's non-null rows. */
  values: Buffer;
  length = 0;
  nulls = 0;
  /** Pages before the current one. */
  private readonly done: Page[] = [];
  min: string | number | null = null;
  max: string | number | null = null;

  constructor(
    readonly path: readonly string[],
    readonly leaf: Leaf,
    /** 1: a top-level optional column; 2: an optional leaf of an optional group. */
    readonly maxLevel: number,
    /** Whether min and max are kept. */
    readonly stats: boolean,
    /** The column's index in the file (which spare buffers it takes and gives back). */
    readonly slot: number,
    private readonly compress: Compress,
  ) {
    const spare = spares[slot];
    if (spare !== undefined) {
      spares[slot] = undefined;
      spareBytes -= spare.levels.length + spare.values.length;
      this.levels = spare.levels;
      this.values = spare.values;
    } else {
      this.levels = new Uint8Array(1024);
      this.values = Buffer.allocUnsafeSlow(4096);
    }
  }

  /** Ends the column: its buffers go to the next batch's column (while {@link SPARE_BYTES} allow). */
  release(): void {
    const bytes = this.levels.length + this.values.length;
    if (spares[this.slot] === undefined && spareBytes + bytes <= SPARE_BYTES) {
      spares[this.slot] = { levels: this.levels, values: this.values };
      spareBytes += bytes;
      if (dropTimer !== null) clearTimeout(dropTimer);
      dropTimer = setTimeout(dropSpares, SPARE_IDLE_MS).unref();
    }
    this.levels = new Uint8Array(0);
    this.values = Buffer.alloc(0);
    this.rows = this.pageRows = this.length = 0;
  }

  private level(level: number): void {
    if (this.pageRows === this.levels.length) {
      const grown = new Uint8Array(this.pageRows * 2);
      grown.set(this.levels);
      this.levels = grown;
    }
    this.levels[this.pageRows++] = level;
    this.rows++;
  }

  private room(n: number): void {
    if (this.length + n <= this.values.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.values.length * 2, this.length + n));
    this.values.copy(grown, 0, 0, this.length);
    this.values = grown;
  }

  private valueEnd(): void {
    if (this.length >= PAGE_BYTES) this.endPage();
  }

  /** Puts the current page together, compressed (or copied, without a codec), and starts the next. */
  private endPage(): void {
    levelBytes.length = 0;
    encodeLevels(this.levels, 0, this.pageRows, this.maxLevel === 1 ? 1 : 2, levelBytes);
    const raw = pageBuffer(4 + levelBytes.length + this.length);
    raw.writeUInt32LE(levelBytes.length, 0);
    raw.set(levelBytes.view(), 4);
    this.values.copy(raw, 4 + levelBytes.length, 0, this.length);
    const compressed = this.compress !== null;
    this.done.push({ data: compressed ? this.compress(raw) : Buffer.from(raw), compressed, rawSize: raw.length, rows: this.pageRows });
    this.pageRows = 0;
    this.length = 0;
  }

  /** A null at `level` (below {@link maxLevel}: 0, or 1 for a leaf of a group that is there). */
  null(level: number): void {
    this.level(level);
    this.nulls++;
  }

  string(s: string): void {
    this.level(this.maxLevel);
    this.room(4 + s.length * 3); // a UTF-16 code unit is at most 3 UTF-8 bytes
    const at = this.length + 4;
    const buf = this.values;
    let n = 0;
    // Short ASCII by hand: cheaper than a call into the native encoder.
    if (s.length <= SHORT) {
      for (; n < s.length; n++) {
        const c = s.charCodeAt(n);
        if (c >= 0x80) break;
        buf[at + n] = c;
      }
    }
    if (n < s.length) n = buf.write(s, at, 'utf8');
    const len = this.length;
    buf[len] = n;
    buf[len + 1] = n >>> 8;
    buf[len + 2] = n >>> 16;
    buf[len + 3] = n >>> 24;
    this.length = at + n;
    if (this.stats) {
      const min = this.min as string | null;
      if (min === null) this.min = this.max = s;
      else if (s !== min && s !== this.max) {
        if (compareUtf8(s, min) < 0) this.min = s;
        else if (compareUtf8(s, this.max as string) > 0) this.max = s;
      }
    }
    this.valueEnd();
  }

  int32(v: number): void {
    this.level(this.maxLevel);
    this.room(4);
    this.values.writeInt32LE(v, this.length);
    this.length += 4;
    this.number(v);
    this.valueEnd();
  }

  /** A safe integer as INT64. */
  int64(v: number): void {
    this.level(this.maxLevel);
    this.room(8);
    const hi = Math.floor(v / 0x100000000);
    this.values.writeUInt32LE(v - hi * 0x100000000, this.length);
    this.values.writeInt32LE(hi, this.length + 4);
    this.length += 8;
    this.number(v);
    this.valueEnd();
  }

  private number(v: number): void {
    if (!this.stats) return;
    if (this.min === null) this.min = this.max = v;
    else if (v < (this.min as number)) this.min = v;
    else if (v > (this.max as number)) this.max = v;
  }

  /** Ends the column: its pages, in order (at least one, possibly empty). */
  finish(): Page[] {
    if (this.pageRows > 0 || this.done.length === 0) this.endPage();
    return this.done;
  }
}
