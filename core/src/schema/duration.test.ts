import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { formatDuration, parseDuration, tryParseDuration } from './duration.js';

describe('duration', () => {
  it.each([
    [250, 250],
    [0, 0],
    ['250', 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['30S', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m 30s', 90_000],
    [' 2s500ms ', 2500],
    ['.5s', 500],
    [12.6, 13],
  ] as const)('reads %j as %d ms', (input, ms) => {
    expect(tryParseDuration(input)).toBe(ms);
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['soon'], ['30 seconds'], ['-5s'], [-1], ['5x'], ['s'], [''], ['1h30'], [Number.NaN], [Infinity], [false], [{}]])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
  });

  it('throws a CONFIG_INVALID error naming the value', () => {
    expect(() => parseDuration('soon')).toThrow(K8streamError);
    expect(() => parseDuration('soon')).toThrow('invalid duration "soon": expected a number of milliseconds, or a string such as 250ms, 30s, 5m or 1h');
  });

  it('formats durations in a form it reads back', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(90_500)).toBe('1m30s500ms');
    expect(formatDuration(0)).toBe('0ms');
    for (const n of [1, 999, 1000, 61_000, 86_400_001]) expect(parseDuration(formatDuration(n))).toBe(n);
  });
});
