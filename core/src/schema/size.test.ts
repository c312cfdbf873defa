import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { formatSize, parseSize, tryParseSize } from './size.js';

describe('size', () => {
  it.each([
    [1024, 1024],
    [0, 0],
    ['1024', 1024],
    ['100B', 100],
    ['512KB', 512_000],
    ['512kb', 512_000],
    ['8MiB', 8 * 1024 * 1024],
    ['8 MiB', 8 * 1024 * 1024],
    [' 8mib ', 8 * 1024 * 1024],
    ['64Mi', 64 * 1024 * 1024],
    ['2M', 2_000_000],
    ['1.5GiB', 1_610_612_736],
    ['1GB', 1_000_000_000],
    ['2TiB', 2 * 1024 ** 4],
    ['1.5KiB', 1536],
    ['.5K', 500],
  ] as const)('reads %j as %d bytes', (input, bytes) => {
    expect(tryParseSize(input)).toBe(bytes);
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([['ten'], ['8 potatoes'], ['-1'], [-1], [1.5], ['1.5'], ['1.5B'], ['8MiBs'], [''], ['MiB'], [Number.NaN], [Infinity], [true], [null]])('rejects %j', (input) => {
    expect(tryParseSize(input)).toBeUndefined();
  });

  it('throws a CONFIG_INVALID error naming the value', () => {
    expect(() => parseSize('8 potatoes')).toThrow(K8streamError);
    expect(() => parseSize('8 potatoes')).toThrow('invalid size "8 potatoes": expected a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB');
  });

  it('formats sizes in a form it reads back', () => {
    expect(formatSize(8 * 1024 * 1024)).toBe('8MiB');
    expect(formatSize(1_610_612_736)).toBe('1.5GiB');
    expect(formatSize(1536)).toBe('1.5KiB');
    expect(formatSize(1500)).toBe('1500B');
    expect(formatSize(0)).toBe('0B');
    for (const n of [1, 1023, 1024, 5_000_000, 64 * 1024 * 1024, 3 * 1024 ** 4]) expect(parseSize(formatSize(n))).toBe(n);
  });
});
