import { describe, expect, it } from 'vitest';
import { announcedLength, decodeFrame, encodeFrame } from './frame.js';

describe('disk queue frames', () => {
  it('round-trips seq, id and json including non-ASCII text', () => {
    const buf = encodeFrame(281_474_976_710_000, 'id-ü', '{"m":"line\\nnext ✓"}');
    expect(decodeFrame(buf, 0)).toEqual({
      seq: 281_474_976_710_000,
      id: 'id-ü',
      json: '{"m":"line\\nnext ✓"}',
      end: buf.length,
    });
    expect(announcedLength(buf, 0)).toBe(buf.length);
  });

  it('reports short, bad-length and bad-crc frames', () => {
    const buf = encodeFrame(7, 'a', '{"x":1}');
    expect(decodeFrame(buf.subarray(0, buf.length - 1), 0)).toBe('short');
    expect(decodeFrame(buf.subarray(0, 5), 0)).toBe('short');
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 2] = flipped[flipped.length - 2]! ^ 0x01;
    expect(decodeFrame(flipped, 0)).toBe('bad-crc');
    const badLen = Buffer.from(buf);
    badLen.writeUInt32LE(3, 0);
    expect(decodeFrame(badLen, 0)).toBe('bad-length');
    const wrongLen = Buffer.from(buf);
    wrongLen.writeUInt32LE(buf.length - 9, 0);
    expect(decodeFrame(wrongLen, 0)).toBe('bad-crc');
  });
});
