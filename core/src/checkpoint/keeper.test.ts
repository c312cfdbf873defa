/**
 * ResumeKeeper against an in-memory store. Waits (minIntervalMs, retryMs) run on vitest fake
 * timers; every "a save happened" is awaited through a promise the fake store resolves (no sleeps). "No save
 * happened" is checked behind a later save: saves are serialised, so once a later save has
 * landed every earlier one has run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '../util/logger.fixture.js';
import type { Delivery } from '../config/types.js';
import type { DispatchItem } from '../dispatch/types.js';
import { CheckpointLedger } from './checkpoints.js';
import { ResumeKeeper } from './keeper.js';
import type { ResumePoint } from './position.js';
import { decodeState } from './state-doc.js';
import type { ResumeState } from './state-doc.js';
import type { StateStore } from './state-store.js';

const KEY = '/api/v1/events';
const SERVER = 'https://api.example:6443';
const INTERVAL = 1000;
const NOW = Date.parse('2026-03-04T05:06:07.000Z');

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A store that records every completed save; `gate` holds saves open, `failWith` makes them throw. */
function fakeStore() {
  const texts: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const attemptWaiters: { n: number; resolve: () => void }[] = [];
  let finished = 0;
  let inFlight = 0;
  const s = {
    describe: 'memory',
    texts,
    /** save() calls begun (including failed ones). */
    calls: 0,
    maxInFlight: 0,
    gate: null as Deferred | null,
    /** Resolves when the current call has entered save(). */
    entered: deferred(),
    failWith: null as Error | null,
    async load() {
      return texts.at(-1) ?? null;
    },
    async save(text: string) {
      s.calls++;
      inFlight++;
      s.maxInFlight = Math.max(s.maxInFlight, inFlight);
      const entered = s.entered;
      s.entered = deferred();
      entered.resolve();
      try {
        if (s.gate !== null) await s.gate.promise;
        if (s.failWith !== null) throw s.failWith;
        texts.push(text);
      } finally {
        inFlight--;
        finished++;
        for (const w of attemptWaiters.filter((w) => finished >= w.n)) {
          attemptWaiters.splice(attemptWaiters.indexOf(w), 1);
          w.resolve();
        }
      }
      for (const w of waiters.filter((w) => texts.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    /** Resolves once `n` saves have completed. */
    saved(n: number): Promise<void> {
      if (texts.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    /** Resolves once `n` save() calls have finished, failed or not. */
    attempted(n: number): Promise<void> {
      if (finished >= n) return Promise.resolve();
      return new Promise((resolve) => attemptWaiters.push({ n, resolve }));
    },
    last(): ResumeState {
      const d = decodeState(texts.at(-1)!);
      if (typeof d === 'string') throw new Error(d);
      return d;
    },
  };
  const typed: StateStore = s;
  void typed;
  return s;
}

function setup(delivery: Delivery, initial: ResumePoint = {}, timing: { minIntervalMs?: number; retryMs?: number } = {}) {
  const store = fakeStore();
  const ledger = new CheckpointLedger(initial);
  const { logger, lines } = recordingLogger();
  const keeper = new ResumeKeeper({ store, ledger, delivery, server: SERVER, minIntervalMs: 0, ...timing, logger, now: () => NOW });
  return { store, ledger, keeper, lines };
}

/** Begins, seals and completes a chunk at `rv`. */
function ackChunk(ledger: CheckpointLedger, rv: string): number {
  const c = ledger.begin({ key: KEY, rv });
  c.seal();
  return c.seq;
}

function item(checkpoint?: number): DispatchItem {
  const base: DispatchItem = { id: `u:${checkpoint ?? 'x'}`, json: '{}', timestamp: null };
  return checkpoint === undefined ? base : { ...base, checkpoint };
}

async function settled(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  const marker = Symbol('pending');
  const r = await Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    Promise.resolve().then(() => Promise.resolve(marker)),
  ]);
  return r === marker ? 'pending' : r;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ResumeKeeper: at-least-once', () => {
  it('saves as soon as the acked prefix moves: one save per ack when none is running', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    keeper.start();
    ackChunk(ledger, '10');
    await store.saved(1);
    expect(store.last()).toEqual({ version: 1, server: SERVER, delivery: 'at-least-once', watches: { [KEY]: '10' }, savedAt: new Date(NOW).toISOString() });
    for (let rv = 11; rv <= 14; rv++) {
      ackChunk(ledger, String(rv));
      await store.saved(rv - 9);
      expect(store.last().watches).toEqual({ [KEY]: String(rv) });
    }
    // finish finds the point saved already (and, serialised behind them, the stats of every save)
    await keeper.finish();
    expect(store.calls).toBe(5);
    expect(store.maxInFlight).toBe(1);
    expect(keeper.stats).toEqual({ saves: 5, saveErrors: 0, saved: { [KEY]: '14' } });
  });

  it('acks during a running save cost one more save, of the newest prefix, never concurrent', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    keeper.start();
    store.gate = deferred();
    const entered = store.entered.promise;
    ackChunk(ledger, '10');
    await entered;
    for (let rv = 11; rv <= 19; rv++) ackChunk(ledger, String(rv));
    expect(store.calls).toBe(1);
    store.gate.resolve();
    await store.saved(2);
    expect(store.texts.map((t) => (decodeState(t) as ResumeState).watches)).toEqual([{ [KEY]: '10' }, { [KEY]: '19' }]);
    // nothing newer: finish finds the point saved already
    await keeper.finish();
    expect(store.calls).toBe(2);
    expect(store.maxInFlight).toBe(1);
  });

  it('saves the acked prefix, not chunks still waiting for a sink', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    keeper.start();
    ackChunk(ledger, '10');
    await store.saved(1);
    const open = ledger.begin({ key: KEY, rv: '20' });
    const hold = open.hold();
    open.seal();
    ackChunk(ledger, '30');
    await keeper.finish();
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '10' });
    hold.done();
    await keeper.finish();
    expect(store.last().watches).toEqual({ [KEY]: '30' });
  });

  it('a chunk without position moves nothing worth saving', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    keeper.start();
    ledger.begin().seal();
    ackChunk(ledger, '10');
    await store.saved(1);
    ledger.begin().seal();
    await keeper.finish();
    expect(store.calls).toBe(1);
  });

  it('minIntervalMs spaces the starts of two saves; the later one takes the newest prefix', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, ledger, keeper } = setup('at-least-once', {}, { minIntervalMs: INTERVAL });
    keeper.start();
    ackChunk(ledger, '10');
    await store.saved(1);
    ackChunk(ledger, '11');
    ackChunk(ledger, '12');
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(store.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await store.saved(2);
    expect(store.last().watches).toEqual({ [KEY]: '12' });
    // idle past the interval: the next ack saves at once
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    ackChunk(ledger, '13');
    await store.saved(3);
    expect(store.calls).toBe(3);
  });

  it('failures are counted, logged once, retried after retryMs, and recovery is logged', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, ledger, keeper, lines } = setup('at-least-once', {}, { retryMs: INTERVAL });
    keeper.start();
    store.failWith = new Error('disk full');
    ackChunk(ledger, '10');
    await store.attempted(1);
    for (let i = 2; i <= 3; i++) {
      // acks while waiting to retry do not bring the retry forward
      ackChunk(ledger, String(9 + i));
      await vi.advanceTimersByTimeAsync(INTERVAL - 1);
      expect(store.calls).toBe(i - 1);
      await vi.advanceTimersByTimeAsync(1);
      await store.attempted(i);
    }
    expect(store.calls).toBe(3);
    expect(keeper.stats.saveErrors).toBe(3);
    expect(keeper.stats.saves).toBe(0);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([{ level: 'warn', msg: 'cannot save the resume point; retrying', fields: { store: 'memory', error: 'disk full' } }]);

    store.failWith = null;
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await store.saved(1);
    expect(store.calls).toBe(4);
    expect(store.last().watches).toEqual({ [KEY]: '12' });
    expect(keeper.stats).toEqual({ saves: 1, saveErrors: 3, saved: { [KEY]: '12' } });
    expect(lines.filter((l) => l.msg === 'resume point saved again')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('finish saves the final acked point at once, ends a pending wait, and stops saving on acks', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, ledger, keeper } = setup('at-least-once', {}, { minIntervalMs: 60_000 });
    keeper.start();
    ackChunk(ledger, '10');
    await store.saved(1);
    ackChunk(ledger, '11');
    await keeper.finish();
    expect(store.calls).toBe(2);
    expect(store.last().watches).toEqual({ [KEY]: '11' });
    expect(vi.getTimerCount()).toBe(0);
    ackChunk(ledger, '12');
    await keeper.finish();
    expect(store.calls).toBe(3);
    // an ack after finish started no save of its own: the one above was finish's
    expect(store.last().watches).toEqual({ [KEY]: '12' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abandon (lease lost): acks save nothing from then on, and a pending wait ends', async () => {
    vi.useFakeTimers();
    const { store, ledger, keeper } = setup('at-least-once', {}, { minIntervalMs: 60_000 });
    keeper.start();
    ackChunk(ledger, '10');
    await store.saved(1);
    ackChunk(ledger, '11'); // waits for the interval
    keeper.abandon();
    ackChunk(ledger, '12');
    await vi.runAllTimersAsync();
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '10' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an ack after finish starts no save', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    keeper.start();
    await keeper.finish();
    keeper.start();
    // every save fails from here on: the second finish's save is the only attempt
    store.failWith = new Error('read-only');
    ackChunk(ledger, '10');
    await keeper.finish();
    expect(store.calls).toBe(1);
    expect(keeper.stats.saveErrors).toBe(1);
  });

  it('without start, acks save nothing until finish', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    ackChunk(ledger, '10');
    ackChunk(ledger, '11');
    await keeper.finish();
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '11' });
  });

  it('finish with nothing ever acked and no initial point saves nothing', async () => {
    const { store, keeper } = setup('at-least-once');
    await keeper.finish();
    expect(store.calls).toBe(0);
    expect(keeper.stats).toEqual({ saves: 0, saveErrors: 0, saved: null });
  });

  it('finish saves the initial point when nothing newer was acked', async () => {
    const { store, keeper } = setup('at-least-once', { [KEY]: '5' });
    await keeper.finish();
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '5' });
  });

  it('finish does not reject when the final save fails (it is counted)', async () => {
    const { store, ledger, keeper } = setup('at-least-once');
    store.failWith = new Error('gone');
    ackChunk(ledger, '10');
    await expect(keeper.finish()).resolves.toBeUndefined();
    expect(keeper.stats.saveErrors).toBe(1);
  });
});

describe('ResumeKeeper: at-most-once', () => {
  it('start does not save on acks: only beforeSend and finish save', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    keeper.start();
    ackChunk(ledger, '10');
    const c2 = ledger.begin({ key: KEY, rv: '20' });
    c2.hold();
    await keeper.beforeSend([item(c2.seq)]);
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '20' });
  });

  it('beforeSend saves the newest chunk of the batch durably before resolving', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const c1 = ledger.begin({ key: KEY, rv: '10' });
    const c2 = ledger.begin({ key: KEY, rv: '20' });
    ledger.begin({ key: KEY, rv: '30' });
    c1.hold();
    c2.hold();
    store.gate = deferred();
    const entered = store.entered.promise;
    const p = keeper.beforeSend([item(c2.seq), item(c1.seq), item()]);
    await entered;
    expect(await settled(p)).toBe('pending');
    expect(store.texts).toHaveLength(0);
    store.gate.resolve();
    await p;
    expect(store.calls).toBe(1);
    expect(store.last()).toEqual({ version: 1, server: SERVER, delivery: 'at-most-once', watches: { [KEY]: '20' }, savedAt: new Date(NOW).toISOString() });
    expect(keeper.stats.saved).toEqual({ [KEY]: '20' });
  });

  it('beforeSend commits the newest chunk only up to the newest record version in the batch', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const c1 = ledger.begin({ key: KEY, rv: '500' });
    const withRv = (rv: string): DispatchItem => ({ ...item(c1.seq), resourceVersion: rv });
    await keeper.beforeSend([withRv('101'), withRv('140'), withRv('120')]);
    expect(store.last()?.watches).toEqual({ [KEY]: '140' });
    // a record without an integer version in that chunk: the whole chunk counts as sent
    await keeper.beforeSend([withRv('160'), item(c1.seq)]);
    expect(store.last()?.watches).toEqual({ [KEY]: '500' });
  });

  it('a batch without checkpoints resolves without saving', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    ledger.begin({ key: KEY, rv: '10' });
    await keeper.beforeSend([item(), item()]);
    await keeper.beforeSend([]);
    expect(store.calls).toBe(0);
  });

  it('an empty point (chunks without position) is not saved', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const seq = ledger.begin().seq;
    await keeper.beforeSend([item(seq)]);
    expect(store.calls).toBe(0);
    expect(keeper.stats.saves).toBe(0);
  });

  it('a batch already covered by the last save resolves without another write', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const c1 = ledger.begin({ key: KEY, rv: '10' });
    await keeper.beforeSend([item(c1.seq)]);
    await keeper.beforeSend([item(c1.seq)]);
    expect(store.calls).toBe(1);
  });

  it('concurrent calls coalesce: 10 callers behind a slow save cost 2 writes, saves never overlap', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const seqs = Array.from({ length: 10 }, (_, i) => ledger.begin({ key: KEY, rv: String(100 + i) }).seq);
    store.gate = deferred();
    const entered = store.entered.promise;
    const first = keeper.beforeSend([item(seqs[0])]);
    await entered;
    const rest = seqs.slice(1).map((s) => keeper.beforeSend([item(s)]));
    expect(store.calls).toBe(1);
    store.gate.resolve();
    await Promise.all([first, ...rest]);
    expect(store.calls).toBe(2);
    expect(store.maxInFlight).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '109' });
    expect(keeper.stats).toEqual({ saves: 2, saveErrors: 0, saved: { [KEY]: '109' } });
  });

  it('callers in the same tick share one write', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const a = ledger.begin({ key: KEY, rv: '1' }).seq;
    const b = ledger.begin({ key: KEY, rv: '2' }).seq;
    await Promise.all([keeper.beforeSend([item(a)]), keeper.beforeSend([item(b)])]);
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '2' });
  });

  it('a failing store rejects beforeSend, counts the error, and recovers', async () => {
    const { store, ledger, keeper, lines } = setup('at-most-once');
    const c1 = ledger.begin({ key: KEY, rv: '10' });
    const boom = new Error('lease write refused');
    store.failWith = boom;
    await expect(keeper.beforeSend([item(c1.seq)])).rejects.toBe(boom);
    expect(keeper.stats).toEqual({ saves: 0, saveErrors: 1, saved: null });
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);

    // a second failure is counted, not logged again
    await expect(keeper.beforeSend([item(c1.seq)])).rejects.toBe(boom);
    expect(keeper.stats.saveErrors).toBe(2);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);

    store.failWith = null;
    await keeper.beforeSend([item(c1.seq)]);
    expect(store.calls).toBe(3);
    expect(store.texts).toHaveLength(1);
    expect(store.last().watches).toEqual({ [KEY]: '10' });
    expect(keeper.stats).toEqual({ saves: 1, saveErrors: 2, saved: { [KEY]: '10' } });
    expect(lines.filter((l) => l.msg === 'resume point saved again')).toHaveLength(1);
  });

  it('concurrent callers behind a failing save each get their own attempt and rejection', async () => {
    const { store, ledger, keeper } = setup('at-most-once');
    const a = ledger.begin({ key: KEY, rv: '1' }).seq;
    const b = ledger.begin({ key: KEY, rv: '2' }).seq;
    store.failWith = new Error('down');
    const results = await Promise.allSettled([keeper.beforeSend([item(a)]), keeper.beforeSend([item(b)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.calls).toBe(2);
    expect(keeper.stats.saveErrors).toBe(2);
  });

  it('finish saves the committed point (past the acked one)', async () => {
    const { store, ledger, keeper } = setup('at-most-once', { [KEY]: '1' });
    const c1 = ledger.begin({ key: KEY, rv: '10' });
    c1.hold();
    ledger.commitThrough(c1.seq);
    await keeper.finish();
    expect(store.calls).toBe(1);
    expect(store.last().watches).toEqual({ [KEY]: '10' });
    expect(store.last().delivery).toBe('at-most-once');
  });
});
