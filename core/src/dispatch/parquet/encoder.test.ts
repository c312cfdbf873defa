// The Parquet encoder's pieces against bytes computed by hand from the format's specs (Thrift
// compact protocol; Encodings.md's RLE / bit-packed hybrid), and files of edge cases read back
// by hyparquet, an independent reader.
import { Buffer } from 'node:buffer';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeParquet } from './reader.js';
import { decodeBatchFile } from './decode.js';
import { compareUtf8, dropSpares, PAGE_BYTES, SPARE_BYTES, SPARE_IDLE_MS, spareBytesHeld } from './column.js';
import { ByteList, encodeLevels } from './levels.js';
import { T, ThriftWriter } from './thrift.js';
import { createParquetColumns } from './writer.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function thrift(write: (w: ThriftWriter) => void): string {
  const w = new ThriftWriter();
  write(w);
  return hex(w.bytes());
}

describe('thrift compact protocol', () => {
  it('integers: a field header (id delta << 4 | type), then the ZigZag varint', () => {
    expect(thrift((w) => w.i32(1, 2))).toBe('1504'); // type 5, delta 1; zigzag(2) = 4
    expect(thrift((w) => w.i32(1, -1))).toBe('1501'); // zigzag(-1) = 1
    expect(thrift((w) => w.i64(3, 300))).toBe('36d804'); // delta 3, type 6; zigzag 600 = 0x258: 0xd8 0x04
    expect(thrift((w) => w.i64(1, 2 ** 40))).toBe('168080808080' + '40'); // zigzag 2^41: five 0x80, then 0x40
    expect(thrift((w) => w.i64(1, -(2 ** 40)))).toBe('16ffffffffff' + '3f'); // zigzag 2^41 - 1: 41 one bits
  });

  it('field ids: a delta of 1–15 in the header, else the type and the id as a ZigZag varint', () => {
    expect(
      thrift((w) => {
        w.i32(1, 0);
        w.i32(16, 0); // delta 15
        w.i32(40, 0); // delta 24: long form, zigzag(40) = 80
        w.i32(2, 0); // backwards: long form, zigzag(2) = 4
      }),
    ).toBe('1500' + 'f500' + '055000' + '050400');
  });

  it('booleans in the header, binary and strings as a varint length and the bytes', () => {
    expect(thrift((w) => w.bool(1, true))).toBe('11');
    expect(thrift((w) => w.bool(1, false))).toBe('12');
    expect(thrift((w) => w.stringField(4, 'héllo'))).toBe('48' + '06' + '68c3a96c6c6f');
    expect(thrift((w) => w.binaryField(1, new Uint8Array(200)))).toBe('18' + 'c801' + '00'.repeat(200));
  });

  it('lists: (size << 4 | type) below 15 elements, else 0xf | type then the size', () => {
    expect(
      thrift((w) => {
        w.listField(1, 3, T.I32);
        for (const n of [0, 1, -1]) w.zigzag(n);
      }),
    ).toBe('19' + '35' + '000201');
    expect(
      thrift((w) => {
        w.listField(1, 20, T.BINARY);
        for (let i = 0; i < 20; i++) w.string('a');
      }),
    ).toBe('19' + 'f814' + '0161'.repeat(20));
    expect(thrift((w) => w.list(14, T.I32))).toBe('e5');
    expect(thrift((w) => w.list(15, T.I32))).toBe('f50f'); // 15 is the long form
  });

  it('structs end in 0 and keep their own field ids: the outer struct goes on from its last id', () => {
    expect(
      thrift((w) => {
        w.beginStruct();
        w.i32(1, 1);
        w.structField(2); // delta 1, type 12
        w.i32(1, 0); // inner ids start again
        w.structField(5); // nested again, empty
        w.end();
        w.end();
        w.i32(3, 2); // delta 1 from the outer struct's field 2
        w.listField(4, 1, T.STRUCT);
        w.beginStruct();
        w.bool(1, true);
        w.end();
        w.end();
      }),
    ).toBe('1502' + '1c' + '1500' + '4c' + '00' + '00' + '1504' + '19' + '1c' + '11' + '00' + '00');
  });
});

describe('definition levels: RLE / bit-packed hybrid', () => {
  function levels(values: number[], bitWidth: number): string {
    const out = new ByteList(1);
    encodeLevels(Uint8Array.from(values), 0, values.length, bitWidth, out);
    return hex(out.view());
  }

  it('a repeat of 8 or more is an RLE run: varint(count << 1), then the value in one byte', () => {
    expect(levels(Array<number>(10).fill(1), 1)).toBe('1401');
    expect(levels(Array<number>(1000).fill(2), 2)).toBe('d00f02'); // 2000 = 0x7d0
    expect(levels(Array<number>(8).fill(0), 1)).toBe('1000');
  });

  it('other values are bit-packed in groups of 8, least significant bit first, the last group padded', () => {
    expect(levels([1, 0, 1, 0, 1, 0, 1, 0], 1)).toBe('0355'); // 1 group; 0b01010101
    expect(levels([2, 1, 0], 2)).toBe('030600'); // 2 | 1 << 2: 0x06, then the padding
    expect(levels([1, 1, 0, 1, 0, 0, 1, 0, 1, 1], 1)).toBe('054b03'); // 2 groups: 0b01001011, 0b00000011
  });

  it('bit-packed up to a group boundary where a long repeat starts, then that run', () => {
    expect(levels([0, 1, 0, 1, ...Array<number>(12).fill(1)], 1)).toBe('03fa' + '1001'); // 0b11111010, then 8 × 1
    // A run that starts inside a group: packed with it, the rest a run of its own.
    expect(levels([0, 1, 0, ...Array<number>(21).fill(2)], 2)).toBe('03' + '84aa' + '2002'); // 0,1,0,2: 0b10000100 | 2,2,2,2; then 16 × 2
  });

  it('a bit-packed run is at most 63 groups (a one-byte header)', () => {
    const alternating = Array.from({ length: 64 * 8 }, (_, i) => i % 2);
    expect(levels(alternating, 1)).toBe('7f' + 'aa'.repeat(63) + '03' + 'aa');
  });

  it('only the rows asked for', () => {
    const out = new ByteList();
    encodeLevels(Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]), 2, 10, 1, out);
    expect(hex(out.view())).toBe('1001');
  });
});

describe('statistics order', () => {
  it('strings compare as their UTF-8 bytes, unsigned (U+FFFD below an emoji, unlike UTF-16)', () => {
    const strings = ['', 'a', 'ab', 'b', 'B', 'é', '\u00ff', '\u0100', '\ud7ff', '\ue000', '\ufffd', '😀', '😀a', '𝄞', 'ü'];
    for (const a of strings) {
      for (const b of strings) expect(Math.sign(compareUtf8(a, b)), `${a} vs ${b}`).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }
  });
});

/** A file of `records` written by the encoder (codec `none`: its bytes are the encoder's alone). */
function file(records: unknown[], compression: 'none' | 'zstd' = 'none', early = false): ArrayBuffer {
  const columns = early ? createParquetColumns(compression) : createParquetColumns();
  for (const r of records) columns.add(r);
  const body = columns.write(compression, undefined);
  return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
}

/** The records of a file as hyparquet reads them (`decodeParquet`), checked to be exactly what our own synchronous decoder reads. */
async function readBack(buffer: ArrayBuffer): Promise<unknown[]> {
  const viaHyparquet = await decodeParquet(new Uint8Array(buffer));
  expect(decodeBatchFile(new Uint8Array(buffer))).toStrictEqual(viaHyparquet);
  return viaHyparquet;
}

function statistics(buffer: ArrayBuffer, path: string) {
  const column = parquetMetadata(buffer).row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema.join('.') === path)!;
  return column.meta_data!.statistics;
}

describe('files of edge cases, read back by hyparquet', () => {
  it('all-null columns, empty strings, non-ASCII, timestamps before 1970', async () => {
    const records = [
      { id: 'a', namespace: '', reason: 'équipe-ü ✓', message: '', lastTimestamp: '1969-12-31T23:59:59.999Z', related: null, series: null, eventTime: null },
      { id: 'b', namespace: 'ns', reason: '😀', message: '𝄞'.repeat(40), lastTimestamp: '1900-01-01T00:00:00.000Z', related: null, series: null, eventTime: null },
      { id: 'c', namespace: 'ns', reason: '\ufffd', message: 'x', lastTimestamp: '2262-04-11T23:47:16.854Z', related: null, series: null, eventTime: null },
    ];
    const buffer = file(records);
    expect(await readBack(buffer)).toStrictEqual(records);
    expect(statistics(buffer, 'eventTime')).toMatchObject({ null_count: 3n, min_value: undefined, max_value: undefined });
    expect(statistics(buffer, 'involvedObject.kind')).toMatchObject({ null_count: 3n, min_value: undefined });
    expect(statistics(buffer, 'namespace')).toMatchObject({ null_count: 0n, min_value: '', max_value: 'ns' });
    expect(statistics(buffer, 'reason')).toMatchObject({ min_value: 'équipe-ü ✓', max_value: '😀' }); // UTF-8: é (c3) < U+FFFD (ef) < 😀 (f0)
    expect(statistics(buffer, 'lastTimestamp')).toMatchObject({ min_value: new Date('1900-01-01T00:00:00.000Z'), max_value: new Date('2262-04-11T23:47:16.854Z') });
    const rows = await parquetReadObjects({ file: buffer, columns: ['related', 'eventTime', 'namespace'] });
    expect(rows.map((r) => [r.related ?? null, r.eventTime, r.namespace])).toEqual([
      [null, null, ''],
      [null, null, 'ns'],
      [null, null, 'ns'],
    ]);
  });

  it('a group that is there with null members is not a null group', async () => {
    const records = [{ series: { count: null, lastObservedTime: null } }, { series: null }, { series: { count: -5, lastObservedTime: '1970-01-01T00:00:00.000Z' } }];
    const buffer = file(records);
    expect(await readBack(buffer)).toStrictEqual(records);
    const rows = await parquetReadObjects({ file: buffer, columns: ['series'] });
    expect(rows.map((r) => r.series ?? null)).toEqual([{ count: null, lastObservedTime: null }, null, { count: -5, lastObservedTime: new Date(0) }]);
  });

  it('a 2 MiB value, and columns of several pages, come back whole', async () => {
    const big = `${'ü'.repeat(1024 * 1024)}✓`;
    const records = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, message: i === 7 ? big : `${i}:${'m'.repeat(100_000)}` }));
    const buffer = file(records, 'zstd');
    const column = parquetMetadata(buffer).row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'message')!.meta_data!;
    expect(Number(column.total_uncompressed_size)).toBeGreaterThan(3 * PAGE_BYTES); // so several pages
    expect(await readBack(buffer)).toStrictEqual(records.map((r) => ({ ...r })));
  });

  it('columns told the codec up front compress each page as it fills: the same records, a page of bytes held per column', async () => {
    dropSpares(); // this batch's buffers are its own
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: `r${i}`, message: `${i} ${'m'.repeat(1000)}` }));
    const early = file(records, 'zstd', true);
    expect(await readBack(early)).toStrictEqual(records);
    expect(early.byteLength).toBe(file(records, 'zstd').byteLength); // the same pages either way
    // Messages: 3 MB, in a buffer of at most a page and a value (2 MiB); _absent's ~1 MB in one of 1 MiB; the rest small.
    expect(spareBytesHeld()).toBeLessThan(4 * PAGE_BYTES);
    const columns = createParquetColumns('zstd', 3);
    columns.add(records[0]);
    expect(() => columns.write('gzip', undefined)).toThrow(expect.objectContaining({ code: 'INTERNAL' }) as Error);
  });

  it('an empty batch: no row groups, no rows', async () => {
    const buffer = file([]);
    expect(parquetMetadata(buffer)).toMatchObject({ num_rows: 0n, row_groups: [], created_by: 'k8stream' });
    expect(await readBack(buffer)).toEqual([]);
  });
});

describe('the synchronous decoder of our own files', () => {
  it('refuses what is not one of them (EVENT_INVALID): not Parquet, a cut file, a damaged page, another schema', () => {
    const ours = new Uint8Array(file([{ id: 'a', message: 'm'.repeat(200) }, { id: 'b' }]));
    expect(decodeBatchFile(ours)).toStrictEqual([{ id: 'a', message: 'm'.repeat(200) }, { id: 'b' }]);
    const damaged = ours.slice();
    damaged[24] = damaged[24]! ^ 0xff; // in the first pages
    const other = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'id', data: ['a', 'b'] }] }));
    // Our file with one schema element renamed (the footer's first `reason`: the records have none), its column paths as they were.
    const renamed = ours.slice();
    const footerAt = ours.length - 8 - Buffer.from(ours).readUInt32LE(ours.length - 8);
    renamed[Buffer.from(ours).indexOf('reason', footerAt) + 5] = 'x'.charCodeAt(0);
    for (const body of [new TextEncoder().encode('{"a":1}\n'), ours.subarray(0, ours.length - 9), ours.subarray(9), damaged, other, renamed]) {
      expect(() => decodeBatchFile(body)).toThrow(expect.objectContaining({ code: 'EVENT_INVALID' }) as Error);
    }
  });
});

describe('buffers kept for the next batch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a closed batch leaves its column buffers to the next one, at most SPARE_BYTES, dropped once idle', () => {
    dropSpares(); // whatever an earlier test left
    vi.useFakeTimers();
    const records = Array.from({ length: 2000 }, (_, i) => ({ id: `r${i}`, message: 'm'.repeat(1000) }));
    file(records);
    const held = spareBytesHeld();
    expect(held).toBeGreaterThan(2000 * 1000);
    expect(held).toBeLessThanOrEqual(SPARE_BYTES);
    file(records); // takes them and gives them back
    expect(spareBytesHeld()).toBe(held);
    vi.advanceTimersByTime(SPARE_IDLE_MS - 1);
    expect(spareBytesHeld()).toBe(held);
    vi.advanceTimersByTime(1);
    expect(spareBytesHeld()).toBe(0);
    // A column of more than SPARE_BYTES is not kept.
    file(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, message: 'm'.repeat(1024 * 1024) })));
    expect(spareBytesHeld()).toBeGreaterThan(0);
    expect(spareBytesHeld()).toBeLessThanOrEqual(SPARE_BYTES);
  });
});
