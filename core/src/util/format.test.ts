import { describe, expect, it } from 'vitest';
import { groupDigits } from './format.js';

describe('groupDigits', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1,000'],
    [131072, '131,072'],
    [1234567, '1,234,567'],
    [-1234567, '-1,234,567'],
    [12.9, '12'],
  ])('%s → %s', (n, text) => {
    expect(groupDigits(n)).toBe(text);
  });

  it('writes what toLocaleString("en-US") writes for integers', () => {
    for (const n of [1, 12, 123, 1234, 12345, 123456, 1234567, 2 ** 31, Number.MAX_SAFE_INTEGER]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });
});
