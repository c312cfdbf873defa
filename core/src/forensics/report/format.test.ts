import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatSpan, formatTime, formatWindow } from './format.js';

describe('report formatting', () => {
  it('writes times in UTC without the T and the milliseconds', () => {
    expect(formatTime('2026-12-08T10:04:05.123Z')).toBe('2026-12-08 10:04:05');
    expect(formatTime('2026-12-08T12:04:05+02:00')).toBe('2026-12-08 10:04:05');
    expect(formatTime('soon')).toBe('soon');
  });

  it('writes a window with its span, the end date only when it differs', () => {
    expect(formatWindow('2026-12-08T10:00:00Z', '2026-12-08T12:30:00Z')).toBe('2026-12-08 10:00:00 → 12:30:00 UTC (2 h 30 min)');
    expect(formatWindow('2026-12-08T22:00:00Z', '2026-12-10T02:00:00Z')).toBe('2026-12-08 22:00:00 → 2026-12-10 02:00:00 UTC (28 h)');
    expect(formatWindow('2026-12-01T00:00:00Z', '2026-12-08T06:00:00Z')).toBe('2026-12-01 00:00:00 → 2026-12-08 06:00:00 UTC (7 d 6 h)');
  });

  it('writes spans, sizes and counts', () => {
    expect([formatSpan(30_000), formatSpan(45 * 60_000), formatSpan(3600_000), formatSpan(3 * 86400_000)]).toEqual(['30 s', '45 min', '1 h', '3 d']);
    expect([formatBytes(512), formatBytes(3500), formatBytes(12 * 1024 * 1024)]).toEqual(['512 B', '3.4 KiB', '12.0 MiB']);
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
