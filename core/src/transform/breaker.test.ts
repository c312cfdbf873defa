import { describe, expect, it } from 'vitest';
import { CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import type { BreakerOpening } from './breaker.js';

/** A breaker on a clock the test moves by hand, recording its state changes. */
function breaker(settings = { failures: 3, coolDownMs: 1000, maxCoolDownMs: 60_000 }) {
  const clock = { ms: 0 };
  const opened: BreakerOpening[] = [];
  const closed: number[] = [];
  const probes: number[] = [];
  const b = new CircuitBreaker(settings, {
    now: () => clock.ms,
    onOpen: (o) => opened.push(o),
    onProbe: () => probes.push(clock.ms),
    onClose: ({ openMs }) => closed.push(openMs),
  });
  return { b, clock, opened, closed, probes };
}

const fail = (b: CircuitBreaker, n = 1, probe = false) => {
  for (let i = 0; i < n; i++) b.failure('TRANSFORM_TIMEOUT', 'too slow', probe);
};

describe('CircuitBreaker', () => {
  it('defaults: 5 failures, 1 s cool-down doubling up to 60 s', () => {
    expect(DEFAULT_BREAKER).toEqual({ failures: 5, coolDownMs: 1000, maxCoolDownMs: 60_000 });
  });

  it('admits every record while closed, and opens after exactly `failures` consecutive failures', () => {
    const { b, opened } = breaker();
    expect(b.admit(250)).toEqual({ count: 250, probe: false });
    fail(b, 2);
    expect(b.state).toBe('closed');
    expect(b.admit(10)).toEqual({ count: 10, probe: false });
    fail(b);
    expect(b.state).toBe('open');
    expect(b.trips).toBe(1);
    expect(opened).toEqual([{ failures: 3, coolDownMs: 1000, probe: false, code: 'TRANSFORM_TIMEOUT', message: 'too slow' }]);
    expect(b.lastFailure).toEqual({ code: 'TRANSFORM_TIMEOUT', message: 'too slow' });
    expect(b.admit(10)).toEqual({ count: 0, probe: false });
  });

  it('a success resets the count: failures must be consecutive', () => {
    const { b } = breaker();
    fail(b, 2);
    b.success();
    fail(b, 2);
    expect(b.state).toBe('closed');
    expect(b.failures).toBe(2);
    fail(b);
    expect(b.state).toBe('open');
  });

  it('after the cool-down admits exactly one probe; others get nothing while it runs', () => {
    const { b, clock, probes } = breaker();
    fail(b, 3);
    clock.ms = 999;
    expect(b.admit(5)).toEqual({ count: 0, probe: false });
    clock.ms = 1000;
    expect(b.admit(5)).toEqual({ count: 1, probe: true });
    expect(b.state).toBe('half-open');
    expect(b.admit(5)).toEqual({ count: 0, probe: false });
    clock.ms = 50_000;
    expect(b.admit(5)).toEqual({ count: 0, probe: false }); // still one probe in flight
    expect(probes).toEqual([1000]);
  });

  it('a successful probe closes it (logged once), and the next trip starts again at the first cool-down', () => {
    const { b, clock, opened, closed } = breaker();
    fail(b, 3);
    clock.ms = 1000;
    b.admit(1);
    fail(b, 1, true); // re-open: 2 s
    clock.ms = 3000;
    b.admit(1);
    b.success(true);
    expect(b.state).toBe('closed');
    expect(closed).toEqual([3000]);
    expect(b.admit(7)).toEqual({ count: 7, probe: false });
    fail(b, 3);
    expect(opened.map((o) => o.coolDownMs)).toEqual([1000, 2000, 1000]);
  });

  it('a failed probe re-opens it with the cool-down doubled, up to maxCoolDownMs', () => {
    const { b, clock, opened } = breaker({ failures: 2, coolDownMs: 1000, maxCoolDownMs: 5000 });
    fail(b, 2);
    for (let i = 0; i < 5; i++) {
      clock.ms += opened.at(-1)!.coolDownMs - 1;
      expect(b.admit(3).count).toBe(0);
      clock.ms += 1;
      expect(b.admit(3)).toEqual({ count: 1, probe: true });
      fail(b, 1, true);
      expect(b.state).toBe('open');
    }
    expect(opened.map((o) => [o.coolDownMs, o.failures, o.probe])).toEqual([
      [1000, 2, false],
      [2000, 1, true],
      [4000, 1, true],
      [5000, 1, true],
      [5000, 1, true],
      [5000, 1, true],
    ]);
    expect(b.trips).toBe(6);
  });

  it('results of calls admitted before it opened change nothing while open or half-open; only the probe decides', () => {
    const { b, clock, opened, closed } = breaker();
    fail(b, 3);
    b.success(); // a straggler succeeding
    fail(b, 10); // stragglers failing
    expect(b.state).toBe('open');
    expect(opened).toHaveLength(1);
    clock.ms = 1000;
    b.admit(1);
    b.success(); // not the probe
    fail(b, 5); // not the probe
    expect(b.state).toBe('half-open');
    b.success(true);
    expect(b.state).toBe('closed');
    expect(closed).toHaveLength(1);
    b.success(true); // a stray probe outcome when closed: ignored
    fail(b, 1, true);
    expect(b.state).toBe('closed');
    expect(b.failures).toBe(0);
  });

  it('wouldOpen: whether more failures in a row would open it (or it is not closed)', () => {
    const { b } = breaker();
    expect(b.wouldOpen(2)).toBe(false);
    expect(b.wouldOpen(3)).toBe(true);
    fail(b);
    expect(b.wouldOpen(1)).toBe(false);
    expect(b.wouldOpen(2)).toBe(true);
    fail(b, 2);
    expect(b.wouldOpen(0)).toBe(true);
  });

  it('admits nothing for an empty list and refuses failures below 1', () => {
    const { b } = breaker();
    expect(b.admit(0)).toEqual({ count: 0, probe: false });
    expect(() => new CircuitBreaker({ failures: 0, coolDownMs: 1, maxCoolDownMs: 1 })).toThrow(RangeError);
  });
});
