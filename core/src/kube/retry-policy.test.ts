import { describe, expect, it } from 'vitest';
import { RetryPolicy } from './retry-policy.js';

const policy = () => new RetryPolicy({ backoff: { initialMs: 100, maxMs: 1000 }, maxRetryAfterMs: 30_000 }, () => 1);

describe('RetryPolicy', () => {
  it('re-lists at once on a first 410, however many other failures came before', () => {
    const p = policy();
    for (let i = 0; i < 8; i++) p.next('failure');
    p.next('throttled');
    expect(p.next('expired')).toBe(0);
    expect(p.next('expired')).toBe(100); // 410s repeating without a healthy cycle back off
    expect(p.next('expired')).toBe(200);
    expect(p.consecutive).toBe(12);
  });

  it('follows Retry-After (capped); without one, throttling has its own backoff', () => {
    const p = policy();
    for (let i = 0; i < 8; i++) p.next('failure');
    expect(p.next('throttled', 7000)).toBe(7000);
    expect(p.next('throttled', 120_000)).toBe(30_000);
    expect(p.next('throttled', null)).toBe(100);
    expect(p.next('throttled', 0)).toBe(200);
  });

  it('each class keeps its own counter, capped at maxMs', () => {
    const p = policy();
    expect([1, 2, 3, 4, 5, 6].map(() => p.next('failure'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(p.attempts('failure')).toBe(6);
    expect(p.attempts('expired')).toBe(0);
  });

  it('starts every class over after reset (a healthy cycle)', () => {
    const p = policy();
    p.next('failure');
    p.next('failure');
    p.next('expired');
    p.next('throttled');
    p.reset();
    expect(p.consecutive).toBe(0);
    expect(p.next('failure')).toBe(100);
    expect(p.next('expired')).toBe(0);
    expect(p.next('throttled')).toBe(100);
  });
});
