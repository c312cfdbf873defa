/**
 * Definition levels in Parquet's RLE / bit-packed hybrid encoding (Encodings.md, "Run Length
 * Encoding / Bit-Packing Hybrid"): a sequence of runs, each a ULEB128 header then its data:
 * - an RLE run: header `count << 1`, then the repeated value in `ceil(bitWidth / 8)` bytes
 *   (little-endian);
 * - a bit-packed run: header `groups << 1 | 1`, then `groups * 8` values of `bitWidth` bits,
 *   packed from the least significant bit of each byte (the last group padded with zeros; the
 *   reader knows how many values the page has).
 * Repeats of 8 or more become RLE runs, what lies between them bit-packed groups. A batch's
 * levels are long runs (a column set in every record, or never), so most columns take a few
 * bytes.
 */

/** Shortest repeat written as an RLE run (a bit-packed group holds 8 values). */
const MIN_RUN = 8;
/** Most groups in one bit-packed run: its header stays one byte, as some readers expect. */
const MAX_GROUPS = 63;

/** A growing byte array. */
export class ByteList {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity = 64) {
    this.bytes = new Uint8Array(capacity);
  }
  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  push(b: number): void {
    if (this.length === this.bytes.length) this.room(1);
    this.bytes[this.length++] = b;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    this.push(n);
  }
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** Encodes `levels[from, to)` (each below `2 ** bitWidth`, bitWidth 1–8) onto `out`. */
export function encodeLevels(levels: Uint8Array, from: number, to: number, bitWidth: number, out: ByteList): void {
  let i = from;
  while (i < to) {
    // A repeat here long enough for an RLE run?
    const v = levels[i]!;
    let j = i + 1;
    while (j < to && levels[j] === v) j++;
    if (j - i >= MIN_RUN) {
      out.varint((j - i) << 1);
      out.push(v);
      i = j;
      continue;
    }
    // Bit-packed groups of 8 until a long repeat starts at a group's boundary (or the end).
    const start = i;
    let groups = 0;
    do {
      groups++;
      i += 8;
    } while (i < to && groups < MAX_GROUPS && !repeats(levels, i, to));
    out.varint((groups << 1) | 1);
    let acc = 0;
    let bits = 0;
    for (let k = start; k < start + groups * 8; k++) {
      acc |= (k < to ? levels[k]! : 0) << bits;
      bits += bitWidth;
      while (bits >= 8) {
        out.push(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    }
    // groups * 8 * bitWidth is a whole number of bytes: nothing left over.
    i = Math.min(i, to);
  }
}

/** Whether `levels[i, i + MIN_RUN)` are all the same (and within `to`). */
function repeats(levels: Uint8Array, i: number, to: number): boolean {
  if (i + MIN_RUN > to) return false;
  const v = levels[i];
  for (let k = i + 1; k < i + MIN_RUN; k++) if (levels[k] !== v) return false;
  return true;
}
