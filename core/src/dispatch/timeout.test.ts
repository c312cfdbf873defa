import { afterEach, describe, expect, it, vi } from 'vitest';
import { getEventListeners } from 'node:events';
import type { Batch, SendContext, SinkInstance } from '../plugins/api.js';
import { PermanentError } from '../errors.js';
import { silentLogger } from '../util/logger.js';
import { createStop } from './shutdown.js';
import { createTimeoutSender } from './timeout.js';

const batch = { id: 'b1' } as Batch<unknown>;

afterEach(() => {
  vi.useRealTimers();
});

function sender(send: (batch: Batch<unknown>, ctx: SendContext) => Promise<void>, timeoutMs = 1000) {
  const stop = createStop();
  const contexts: SendContext[] = [];
  const sink: SinkInstance = {
    send: (b, ctx) => {
      contexts.push(ctx);
      return send(b, ctx);
    },
  };
  return { stop, contexts, attempt: createTimeoutSender({ name: 'archive', sink, timeoutMs }, stop) };
}

describe('timeout sender', () => {
  it('resolves null on ack and passes the attempt number and a fresh signal', async () => {
    const { attempt, contexts, stop } = sender(async () => undefined);
    await expect(attempt(batch, 1, silentLogger)).resolves.toBeNull();
    await expect(attempt(batch, 2, silentLogger)).resolves.toBeNull();
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
    expect(contexts[0]!.signal).not.toBe(contexts[1]!.signal);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('classifies rejections and synchronous throws', async () => {
    await expect(sender(() => Promise.reject(new PermanentError('nope'))).attempt(batch, 1, silentLogger)).resolves.toMatchObject({ kind: 'permanent', code: 'SINK_PERMANENT' });
    const sync = sender(() => {
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    });
    await expect(sync.attempt(batch, 1, silentLogger)).resolves.toEqual({ kind: 'transient', code: 'ECONNRESET', message: 'reset' });
  });

  it('times out at timeoutMs even when the sink ignores its signal, aborting it with SINK_TIMEOUT', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { attempt, contexts, stop } = sender(() => new Promise(() => undefined), 250);
    const result = attempt(batch, 1, silentLogger);
    await vi.advanceTimersByTimeAsync(249);
    expect(contexts[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toMatchObject({ kind: 'timeout', code: 'SINK_TIMEOUT' });
    expect(contexts[0]!.signal.reason).toMatchObject({ code: 'SINK_TIMEOUT' });
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a forced stop aborts the send with SINK_CLOSED (not a timeout)', async () => {
    const { attempt, contexts, stop } = sender(() => new Promise(() => undefined), Infinity);
    const result = attempt(batch, 1, silentLogger);
    stop.force();
    const failure = await result;
    expect(failure).toMatchObject({ kind: 'transient', code: 'SINK_CLOSED' });
    expect(contexts[0]!.signal.reason).toMatchObject({ code: 'SINK_CLOSED' });
    expect(String(failure?.message)).toContain('batch b1 aborted at shutdown');
  });
});
