import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SinkInstance } from '../plugins/api.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { STOPPED, TIMED_OUT, closeSink, createCloser, createStop, timer, untilAborted, within, type CloseSteps } from './shutdown.js';

const useFakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

afterEach(() => {
  vi.useRealTimers();
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('timers', () => {
  it('timer never fires for Infinity and clamps delays past setTimeout’s maximum', () => {
    useFakeTime();
    const fired: string[] = [];
    expect(timer(Infinity, () => fired.push('inf'))).toBeUndefined();
    timer(2 ** 40, () => fired.push('huge'));
    timer(-5, () => fired.push('negative'));
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['negative']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['negative']); // an unclamped huge delay would have fired after 1 ms
    vi.advanceTimersByTime(2_147_483_647);
    expect(fired).toEqual(['negative', 'huge']);
  });

  it('within resolves the value, TIMED_OUT at the deadline, or the rejection; no timer is left', async () => {
    useFakeTime();
    await expect(within(Promise.resolve(7), 100)).resolves.toBe(7);
    await expect(within(Promise.reject(new Error('no')), 100)).rejects.toThrow('no');
    expect(vi.getTimerCount()).toBe(0);
    const late = within(new Promise<number>(() => undefined), 100);
    vi.advanceTimersByTime(100);
    await expect(late).resolves.toBe(TIMED_OUT);
  });

  it('untilAborted resolves the value, or STOPPED once the signal aborts', async () => {
    const stop = createStop();
    await expect(untilAborted(Promise.resolve('v'), stop.signal)).resolves.toBe('v');
    const hung = untilAborted(new Promise(() => undefined), stop.signal);
    stop.force();
    await expect(hung).resolves.toBe(STOPPED);
    expect(stop.forced).toBe(true);
    // A rejection arriving after the stop is not unhandled.
    await expect(untilAborted(Promise.reject(new Error('late')), stop.signal)).resolves.toBe(STOPPED);
  });
});

describe('createCloser', () => {
  function steps(settled: () => Promise<unknown> | null, calls: string[]): CloseSteps {
    return {
      stopAccepting: () => void calls.push('stopAccepting'),
      settled: () => {
        calls.push('settled');
        return settled();
      },
      abandon: (graceMs) => void calls.push(`abandon(${graceMs})`),
      release: async (flushed) => {
        calls.push(`release(${flushed})`);
        return flushed;
      },
    };
  }

  it('runs the steps once, in order, without abandon when everything settled in time', async () => {
    const calls: string[] = [];
    const done = deferred();
    const closer = createCloser(
      silentLogger,
      steps(() => done.promise, calls),
    );
    expect(closer.started).toBe(false);
    const first = closer.close(1000);
    expect(closer.started).toBe(true);
    expect(closer.close(5)).toBe(first);
    done.resolve();
    await expect(first).resolves.toEqual({ flushed: true });
    expect(calls).toEqual(['stopAccepting', 'settled', 'release(true)']);
  });

  it('abandons when the grace period runs out, or when settling rejects', async () => {
    useFakeTime();
    const calls: string[] = [];
    const closing = createCloser(
      silentLogger,
      steps(() => new Promise(() => undefined), calls),
    ).close(300);
    await vi.advanceTimersByTimeAsync(300);
    await expect(closing).resolves.toEqual({ flushed: false });
    expect(calls).toEqual(['stopAccepting', 'settled', 'abandon(300)', 'release(false)']);
    const rejected: string[] = [];
    await expect(
      createCloser(
        silentLogger,
        steps(() => Promise.reject(new Error('x')), rejected),
      ).close(300),
    ).resolves.toEqual({ flushed: false });
    expect(rejected).toContain('abandon(300)');
  });

  it('needs no timer when settled() says everything already completed', async () => {
    useFakeTime();
    const calls: string[] = [];
    await expect(
      createCloser(
        silentLogger,
        steps(() => null, calls),
      ).close(0),
    ).resolves.toEqual({ flushed: true });
    expect(calls).toEqual(['stopAccepting', 'settled', 'release(true)']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes release the end of the grace period and lets it decide flushed', async () => {
    useFakeTime();
    vi.setSystemTime(10_000);
    let seen = 0;
    const closer = createCloser(silentLogger, {
      stopAccepting: () => undefined,
      settled: () => null,
      abandon: () => undefined,
      release: async (_flushed, deadline) => {
        seen = deadline;
        return false;
      },
    });
    await expect(closer.close(2500)).resolves.toEqual({ flushed: false });
    expect(seen).toBe(12_500);
  });

  it('never rejects: a throwing step is logged as close failed', async () => {
    const { logger, lines } = recordingLogger();
    const closer = createCloser(logger, {
      stopAccepting: () => {
        throw new Error('broken');
      },
      settled: () => null,
      abandon: () => undefined,
      release: async () => true,
    });
    await expect(closer.close(10)).resolves.toEqual({ flushed: false });
    expect(lines).toEqual([{ level: 'error', msg: 'close failed', fields: { error: 'broken' } }]);
  });
});

describe('closeSink', () => {
  const sink = (close?: () => Promise<void>): SinkInstance => ({ send: async () => undefined, ...(close ? { close } : {}) });

  it('waits for close, at most timeoutMs, and logs a timeout or a failure without throwing', async () => {
    useFakeTime();
    const { logger, lines } = recordingLogger();
    await closeSink(sink(), 100, logger);
    await closeSink(
      sink(async () => undefined),
      100,
      logger,
    );
    expect(lines).toEqual([]);
    const hung = closeSink(
      sink(() => new Promise(() => undefined)),
      100,
      logger,
    );
    await vi.advanceTimersByTimeAsync(100);
    await hung;
    await closeSink(
      sink(() => {
        throw new Error('sync');
      }),
      100,
      logger,
    );
    expect(lines).toEqual([
      { level: 'warn', msg: 'sink close did not finish in time', fields: { timeoutMs: 100 } },
      { level: 'warn', msg: 'sink close failed', fields: { error: 'sync' } },
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
