import { describe, expect, it } from 'vitest';
import { rvNumber } from './position.js';

describe('rvNumber', () => {
  it('parses plain integers as bigint', () => {
    expect(rvNumber('0')).toBe(0n);
    expect(rvNumber('12345')).toBe(12345n);
    expect(rvNumber('9'.repeat(30))).toBe(BigInt('9'.repeat(30)));
  });

  it.each([[''], ['-1'], ['1.5'], [' 1'], ['1e3'], ['abc'], ['0x10'], ['9'.repeat(31)], [null], [undefined]])('rejects %j', (rv) => {
    expect(rvNumber(rv)).toBeNull();
  });

  it('compares beyond Number precision', () => {
    expect(rvNumber('9007199254740993')! > rvNumber('9007199254740992')!).toBe(true);
  });
});
