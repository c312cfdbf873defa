import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from './retry-after.js';

const now = Date.UTC(2026, 9, 21, 7, 28, 0); // Wed, 21 Oct 2026 07:28:00 GMT

describe('parseRetryAfter: delay-seconds', () => {
  it('reads whole seconds as milliseconds, ignoring surrounding whitespace', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('\t7', now)).toBe(7000);
  });

  it('rejects what the grammar (1*DIGIT) does not allow', () => {
    for (const v of ['-5', '+5', '1.5', '0.25', '1e3', '5s', '0x10', '1 2']) expect(parseRetryAfter(v, now)).toBeUndefined();
  });

  it('caps absurd delays at the longest timer instead of overflowing', () => {
    expect(parseRetryAfter('99999999999999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('3000000', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('parseRetryAfter: HTTP-date', () => {
  it('reads IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
  });

  it('reads the obsolete rfc850 and asctime forms', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-26 07:29:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed Oct 21 07:28:05 2026', now)).toBe(5000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(0);
  });

  it('gives 0 for a date in the past, never a negative wait', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('matches names case-insensitively', () => {
    expect(parseRetryAfter('wed, 21 OCT 2026 07:28:10 gmt', now)).toBe(10_000);
  });

  it('rejects what is not an HTTP-date (no Date.parse guessing)', () => {
    for (const v of [
      'soon',
      '2026-10-21',
      'Oct 21 2026',
      '2026-10-21T07:29:00Z',
      'Wed, 21 Oct 2026 07:28:30 +0000',
      'Wed, 31 Feb 2026 07:28:30 GMT',
      'Wed, 21 Oct 2026 24:00:00 GMT',
      'Wed, 21 Oct 26 07:28:30 GMT',
    ]) {
      expect(parseRetryAfter(v, now), v).toBeUndefined();
    }
  });

  it('returns undefined for absent or empty values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('   ', now)).toBeUndefined();
  });
});

describe('parseHttpDate', () => {
  it('gives the same instant for the three forms (RFC 9110 §5.6.7 examples)', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(at);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(at);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', now)).toBe(at);
  });

  it('puts an rfc850 two-digit year more than 50 years ahead into the previous century', () => {
    expect(new Date(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', now)!).getUTCFullYear()).toBe(2076);
    expect(new Date(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', now)!).getUTCFullYear()).toBe(1977);
  });
});
