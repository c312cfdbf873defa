import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { parseDuration, parseTime, parseTimeWindow } from './time-args.js';

const NOW = Date.parse('2026-12-08T12:34:56.789Z');
const at = (iso: string): number => Date.parse(iso);
const time = (text: string, zone?: string): number => parseTime('--from', text, { now: NOW, ...(zone ? { zone } : {}) });

function failure(run: () => unknown): K8streamError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(K8streamError);
    return err as K8streamError;
  }
  throw new Error('expected an error');
}

describe('time arguments', () => {
  it('RFC 3339 with Z, an offset or a fraction; without an offset, wall-clock time in the zone', () => {
    expect(time('2026-12-08T10:00:00Z')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08t10:00:00z')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08T11:00:00+01:00')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08T05:30:00-04:30')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08T10:00:00.123456Z')).toBe(at('2026-12-08T10:00:00.123Z'));
    expect(time('2026-12-08 10:00Z')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08T10:00')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('2026-12-08T10:00', 'Europe/Paris')).toBe(at('2026-12-08T09:00:00Z'));
  });

  it('HH:MM[:SS] is today in UTC, or today in --tz', () => {
    expect(time('10:00')).toBe(at('2026-12-08T10:00:00Z'));
    expect(time('9:05:30')).toBe(at('2026-12-08T09:05:30Z'));
    expect(time('10:00', 'Europe/Paris')).toBe(at('2026-12-08T09:00:00Z'));
    // 12:34 UTC is already 2026-12-09 on Kiritimati (UTC+14): "today" there is the 9th.
    expect(time('08:00', 'Pacific/Kiritimati')).toBe(at('2026-12-08T18:00:00Z'));
    expect(time('08:00', 'Asia/Tokyo')).toBe(at('2026-12-07T23:00:00Z'));
    expect(time('10:00', 'America/New_York')).toBe(at('2026-12-08T15:00:00Z'));
  });

  it('YYYY-MM-DD is midnight in the zone; summer time and its gaps are handled', () => {
    expect(time('2026-12-08')).toBe(at('2026-12-08T00:00:00Z'));
    expect(time('2026-07-01', 'Europe/Paris')).toBe(at('2026-06-30T22:00:00Z'));
    // 2026-03-29 02:30 does not exist in Paris (clocks go 02:00 → 03:00): the later offset.
    expect(time('2026-03-29T02:30', 'Europe/Paris')).toBe(at('2026-03-29T01:30:00Z'));
    // 2026-10-25 02:30 happens twice in Paris: the earlier one.
    expect(time('2026-10-25T02:30', 'Europe/Paris')).toBe(at('2026-10-25T00:30:00Z'));
  });

  it('relative times and now', () => {
    expect(time('now')).toBe(NOW);
    expect(time('-2h')).toBe(NOW - 2 * 3_600_000);
    expect(time('-30m')).toBe(NOW - 30 * 60_000);
    expect(time('-1d')).toBe(NOW - 86_400_000);
    expect(time('-1h30m')).toBe(NOW - 90 * 60_000);
    expect(parseDuration('--since', '90s')).toBe(90_000);
  });

  it('an unparseable time names the argument, the value and what is accepted', () => {
    const err = failure(() => parseTimeWindow({ from: '10:7x' }, { now: NOW }));
    expect(err.code).toBe('ARGUMENT_INVALID');
    expect(err.message).toBe('--from "10:7x": expected RFC 3339 (2026-12-08T10:00:00Z), HH:MM[:SS] (today), YYYY-MM-DD, a relative time (-2h, -30m, -1d) or now');
    expect(failure(() => parseTimeWindow({ from: '-1h', to: 'yesterday' }, { now: NOW })).message).toMatch(/^--to "yesterday": expected RFC 3339/);
    expect(failure(() => parseTimeWindow({ from: '2026-02-30' }, { now: NOW })).message).toContain('2026-02-30 is not a calendar date');
    expect(failure(() => parseTimeWindow({ from: '25:00' }, { now: NOW })).message).toContain('the hour is 00–23');
    expect(failure(() => parseTimeWindow({ from: '2026-12-08T10:00:00+25:00' }, { now: NOW })).message).toContain('offset +25:00 is out of range');
    expect(failure(() => parseTimeWindow({ since: '2 hours' }, { now: NOW })).message).toBe('--since "2 hours": expected a duration such as 2h, 30m, 1d, 90s or 1h30m');
    expect(failure(() => parseTimeWindow({ since: '0h' }, { now: NOW })).message).toContain('greater than zero');
    expect(failure(() => parseTimeWindow({ from: '10:00', tz: 'Mars/Olympus' }, { now: NOW })).message).toMatch(/^--tz "Mars\/Olympus": not a time zone/);
  });
});

describe('the window', () => {
  it('--from/--to is [from, to); --from alone ends now; --to alone starts a day before', () => {
    expect(parseTimeWindow({ from: '10:00', to: '11:00' }, { now: NOW })).toEqual({ fromMs: at('2026-12-08T10:00:00Z'), toMs: at('2026-12-08T11:00:00Z') });
    expect(parseTimeWindow({ from: '-2h' }, { now: NOW })).toEqual({ fromMs: NOW - 7_200_000, toMs: NOW });
    expect(parseTimeWindow({ to: '2026-12-08' }, { now: NOW })).toEqual({ fromMs: at('2026-12-07T00:00:00Z'), toMs: at('2026-12-08T00:00:00Z') });
  });

  it('--since D is [now - D, now); no window at all is the last 24 hours', () => {
    expect(parseTimeWindow({ since: '2h' }, { now: NOW })).toEqual({ fromMs: NOW - 7_200_000, toMs: NOW });
    expect(parseTimeWindow({}, { now: NOW })).toEqual({ fromMs: NOW - 86_400_000, toMs: NOW });
  });

  it('an empty or reversed window, one over 366 days, and --since with --from are errors', () => {
    const reversed = failure(() => parseTimeWindow({ from: '11:00', to: '10:00' }, { now: NOW }));
    expect(reversed.code).toBe('ARGUMENT_INVALID');
    expect(reversed.message).toBe('the window is empty: --to (2026-12-08T10:00:00.000Z) is not after --from (2026-12-08T11:00:00.000Z)');
    expect(failure(() => parseTimeWindow({ from: '10:00', to: '10:00' }, { now: NOW })).message).toContain('the window is empty');
    const long = failure(() => parseTimeWindow({ from: '2025-01-01', to: '2026-12-08' }, { now: NOW }));
    expect(long.message).toContain('spans 706 days; at most 366 are read at once');
    expect(parseTimeWindow({ from: '2025-12-07', to: '2026-12-08' }, { now: NOW }).toMs).toBe(at('2026-12-08T00:00:00Z'));
    expect(failure(() => parseTimeWindow({ from: '-2h', since: '1h' }, { now: NOW })).message).toBe('--since cannot be combined with --from');
  });
});
