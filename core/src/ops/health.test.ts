import { describe, expect, it } from 'vitest';
import { evaluateReadiness, SinkHealth } from './health.js';
import type { ReadinessInput } from './health.js';

const limits = { watchFailingMs: 1000, sinkFailingMs: 5000 };
const live = (over: Partial<Extract<ReadinessInput['source'], { type: 'kubernetes' }>> = {}): ReadinessInput['source'] => ({
  type: 'kubernetes',
  synced: true,
  established: true,
  watching: true,
  failingSince: null,
  lastError: null,
  ...over,
});
const input = (over: Partial<ReadinessInput> = {}): ReadinessInput => ({ phase: 'running', leader: null, source: live(), sinks: [{ name: 'a', failingSince: null }], ...over });

describe('evaluateReadiness', () => {
  it('running, synced, nothing failing: ready', () => {
    const r = evaluateReadiness(input(), limits, 10_000);
    expect(r).toMatchObject({ ready: true, reasons: [], phase: 'running', sinks: [{ name: 'a', failingForMs: null, ok: true }] });
  });

  it('starting and stopping are not ready; a standby is ready and says leader: false', () => {
    expect(evaluateReadiness(input({ phase: 'starting', source: null, sinks: [] }), limits, 0)).toMatchObject({ ready: false, reasons: ['starting'] });
    expect(evaluateReadiness(input({ phase: 'stopping' }), limits, 0)).toMatchObject({ ready: false, reasons: ['stopping'] });
    expect(evaluateReadiness(input({ phase: 'standby', leader: false, source: null, sinks: [] }), limits, 0)).toMatchObject({ ready: true, leader: false });
  });

  it('a watch failing within the budget is ready; past it, not', () => {
    expect(evaluateReadiness(input({ source: live({ watching: false, failingSince: 9_000 }) }), limits, 10_000).ready).toBe(true);
    const r = evaluateReadiness(input({ source: live({ watching: false, failingSince: 8_999, lastError: 'HTTP 500' }) }), limits, 10_000);
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(['watch failing for 1001 ms (limit 1000 ms)']);
    expect(r.source).toEqual({ type: 'kubernetes', synced: true, established: true, watching: false, failingForMs: 1001, lastError: 'HTTP 500' });
  });

  it('not synced yet: not ready; a replay source needs no sync', () => {
    expect(evaluateReadiness(input({ source: live({ synced: false, established: false }) }), limits, 0).reasons).toEqual(['source not synced']);
    // Listed, but the watch has not opened yet: not live.
    expect(evaluateReadiness(input({ source: live({ established: false, watching: false }) }), limits, 0).reasons).toEqual(['watch not open yet']);
    expect(evaluateReadiness(input({ source: { type: 'replay' } }), limits, 0).ready).toBe(true);
    expect(evaluateReadiness(input({ source: null }), limits, 0).reasons).toEqual(['source not started']);
  });

  it('a sink failing every send past sinkFailingMs makes it not ready', () => {
    const r = evaluateReadiness(
      input({
        sinks: [
          { name: 'a', failingSince: 0 },
          { name: 'b', failingSince: 4_000 },
        ],
      }),
      limits,
      9_000,
    );
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(['sink a failing for 9000 ms (limit 5000 ms)']);
    expect(r.sinks).toEqual([
      { name: 'a', failingForMs: 9000, ok: false },
      { name: 'b', failingForMs: 5000, ok: true },
    ]);
  });
});

describe('SinkHealth', () => {
  it('failing since the first failure of a streak; a success clears it', () => {
    let t = 100;
    const h = new SinkHealth(() => t);
    expect(h.failingSince('s')).toBeNull();
    h.failed('s');
    t = 200;
    h.failed('s');
    expect(h.failingSince('s')).toBe(100);
    h.ok('s');
    expect(h.failingSince('s')).toBeNull();
    h.failed('s');
    expect(h.failingSince('s')).toBe(200);
  });
});
