import { describe, expect, it } from 'vitest';
import { faultLabel, randomFaultSchedule } from './random-schedule.js';

describe('randomFaultSchedule', () => {
  it('is a function of its seed', () => {
    const a = randomFaultSchedule({ seed: 7, durationMs: 3000 });
    expect(randomFaultSchedule({ seed: 7, durationMs: 3000 })).toEqual(a);
    expect(randomFaultSchedule({ seed: 8, durationMs: 3000 }).entries).not.toEqual(a.entries);
    expect(a.seed).toBe(7);
    expect(a.healthyAtMs).toBe(3000);
  });

  it('keeps arrivals inside the storm, in time order, with a Retry-After on every 429', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const s = randomFaultSchedule({ seed, durationMs: 2000, meanGapMs: 100, maxRetryAfterSeconds: 3, maxSilentMs: 400 });
      expect(s.entries.length).toBeGreaterThan(0);
      let last = 0;
      for (const e of s.entries) {
        expect(e.atMs).toBeGreaterThanOrEqual(last);
        expect(e.atMs).toBeLessThan(2000);
        expect(e.resource).toBe('events');
        last = e.atMs;
        if (e.fault.type === 'http' && e.fault.status === 429) {
          expect(e.fault.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(e.fault.retryAfterSeconds).toBeLessThanOrEqual(3);
        }
        if (e.fault.type === 'silent' && e.fault.ms !== undefined) expect(e.fault.ms).toBeLessThanOrEqual(400);
      }
    }
  });

  it('mixes every kind of trouble, and sometimes several at once', () => {
    const labels = new Set<string>();
    let bursts = 0;
    let restarts = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const { entries } = randomFaultSchedule({ seed, durationMs: 3000 });
      // A restart: the open watch cut, then 503/429 waiting for the reconnect, arriving together.
      restarts += entries.filter(
        (e, i) => e.fault.type === 'reset' && e.live === true && e.fault.afterEvents === undefined && entries[i + 1]?.atMs === e.atMs && entries[i + 1]?.fault.type === 'http',
      ).length;
      for (const e of entries) labels.add(faultLabel(e).replace(/ \+\d+/, ''));
      bursts += entries.filter((e, i) => i > 0 && entries[i - 1]!.atMs === e.atMs).length;
    }
    expect([...labels].sort()).toEqual(
      [
        '410 watch',
        '429 any',
        '429 list',
        '429 watch',
        '500 any',
        '500 list',
        '500 watch',
        '503 any',
        '503 list',
        '503 list continue',
        '503 watch',
        'closeStream watch live',
        'empty200 list',
        'empty200 list continue',
        'empty200 watch',
        'error410 list continue',
        'error410 watch',
        'error410 watch live',
        'reset any',
        'reset watch',
        'reset watch live',
        'silent watch',
        'silent watch live',
      ].sort(),
    );
    expect(bursts).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
  });
});
