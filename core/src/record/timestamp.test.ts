import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { latestTimestamp, normalizeTimestamp, parseIsoUtc, parseTimestampMs } from './timestamp.js';

const moduleFile = fileURLToPath(new URL('./timestamp.ts', import.meta.url));

/** normalizeTimestamp of each string in a fresh `node` whose time zone is `tz` (a running process keeps its zone). */
function normalizeIn(tz: string, values: readonly string[]): (string | null)[] {
  const script = `const m = await import(${JSON.stringify(moduleFile)}); process.stdout.write(JSON.stringify(${JSON.stringify(values)}.map(m.normalizeTimestamp)));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  return JSON.parse(out) as (string | null)[];
}

describe('normalizeTimestamp: zone-less timestamps are UTC', () => {
  const zoneless = ['2026-11-02T09:24:30', '2026-11-02T09:24:30.123456', '2026-11-02 09:24:30', '2026-11-02T09:24'];
  const utc = ['2026-11-02T09:24:30.000Z', '2026-11-02T09:24:30.123Z', '2026-11-02T09:24:30.000Z', '2026-11-02T09:24:00.000Z'];

  it('whatever the host time zone (TZ=Asia/Tokyo, America/Los_Angeles)', () => {
    // The check is not vacuous: Date.parse reads these in the host's zone.
    const parsedInTokyo = execFileSync(process.execPath, ['-p', 'new Date(Date.parse("2026-11-02T09:24:30")).toISOString()'], {
      env: { ...process.env, TZ: 'Asia/Tokyo' },
      encoding: 'utf8',
    });
    expect(parsedInTokyo.trim()).toBe('2026-11-02T00:24:30.000Z');
    expect(normalizeIn('Asia/Tokyo', zoneless)).toEqual(utc);
    expect(normalizeIn('America/Los_Angeles', zoneless)).toEqual(utc);
  });
});

describe('parseTimestampMs', () => {
  it('reads Z times as Date.parse does, zone-less ones as UTC, and gives NaN for no time', () => {
    expect(parseTimestampMs('2026-11-02T09:24:30.5Z')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30, 500));
    expect(parseTimestampMs('2026-11-02T09:24:30')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30));
    expect(parseTimestampMs('2026-11-02T18:24:30+09:00')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30));
    expect(parseTimestampMs('soon')).toBeNaN();
  });
});

describe('parseIsoUtc', () => {
  it('reads RFC 3339 with offsets, fractions of any length (truncated to ms) and lower-case separators', () => {
    expect(parseIsoUtc('2026-11-02T09:24:30Z')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30));
    expect(parseIsoUtc('2026-11-02t09:24:30.987654321z')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30, 987));
    expect(parseIsoUtc('2026-11-02T09:24:30.9Z')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30, 900));
    expect(parseIsoUtc('2026-11-02T09:24:30,5Z')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30, 500));
    expect(parseIsoUtc('2026-11-02T15:54:30+05:30')).toBe(Date.UTC(2026, 10, 2, 10, 24, 30));
    expect(parseIsoUtc('2026-11-02T01:24:30-0800')).toBe(Date.UTC(2026, 10, 2, 9, 24, 30));
    expect(parseIsoUtc('2026-11-02')).toBe(Date.UTC(2026, 10, 2));
    expect(parseIsoUtc('0042-01-01T00:00:00Z')).toBe(new Date('0042-01-01T00:00:00Z').getTime());
  });

  it('is NaN for days and times that do not exist, undefined for other shapes', () => {
    for (const bad of ['2026-02-30T00:00:00Z', '2025-02-29', '2026-13-01', '2026-11-02T24:00:00Z', '2026-11-02T09:60:00Z', '2016-12-31T23:59:60Z', '2026-11-02T09:00:00+24:00']) {
      expect(parseIsoUtc(bad), bad).toBeNaN();
    }
    expect(parseIsoUtc('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoUtc('Mon, 02 Nov 2026 09:24:30 GMT')).toBeUndefined();
    expect(normalizeTimestamp('Mon, 02 Nov 2026 09:24:30 GMT')).toBe('2026-11-02T09:24:30.000Z');
    expect(normalizeTimestamp('2026-02-30T00:00:00Z')).toBeNull();
  });
});

describe('latestTimestamp', () => {
  it('is the latest non-null one', () => {
    expect(latestTimestamp(null, '2026-11-02T09:00:00.000Z', '2026-11-02T10:00:00.000Z', null, '2026-11-02T09:30:00.000Z')).toBe('2026-11-02T10:00:00.000Z');
    expect(latestTimestamp(null, null)).toBeNull();
  });
});
