import { describe, expect, it } from 'vitest';
import {
  DEFER_BURST_EVENTS,
  DEFER_BURST_MS,
  DEFER_BUSY_SAMPLES,
  DEFER_BUSY_SHARE,
  DEFER_FLAGS,
  DEFER_SAMPLE_MS,
  HEAP_REEXEC_ENV,
  HEAP_RESIZE_ENV,
  RESUME_FLAGS,
  deferOptimization,
  planHeapLimit,
  planHeapResize,
  reexecEnv,
} from './heap-limit.js';
import type { DeferOptions, HeapPlanInput } from './heap-limit.js';

const TIERS = ['--no-turbofan', '--no-maglev'];

const base: HeapPlanInput = { argv: ['run', '--config', 'x.yaml'], execArgv: [], env: {}, heapMb: 70, semiSpaceMb: 4, canExec: true };

describe('planHeapLimit', () => {
  it('re-execs `run` (also the default command) with the budget heap', () => {
    const flags = ['--max-old-space-size=70', '--max-semi-space-size=4', ...TIERS];
    expect(planHeapLimit(base)).toEqual({ reexec: true, flags });
    expect(planHeapLimit({ ...base, argv: ['-c', 'x.yaml'] })).toEqual({ reexec: true, flags });
    expect(planHeapLimit({ ...base, argv: [] })).toEqual({ reexec: true, flags });
  });

  it("keeps the operator's semi-space (the image sets --max-semi-space-size=8 in NODE_OPTIONS)", () => {
    expect(planHeapLimit({ ...base, env: { NODE_OPTIONS: '--max-semi-space-size=8' } })).toEqual({ reexec: true, flags: ['--max-old-space-size=70', ...TIERS] });
    expect(planHeapLimit({ ...base, execArgv: ['--max-semi-space-size=2'] })).toEqual({ reexec: true, flags: ['--max-old-space-size=70', ...TIERS] });
  });

  it('keeps a heap limit the operator set in Node flags or NODE_OPTIONS', () => {
    expect(planHeapLimit({ ...base, execArgv: ['--max-old-space-size=200'] })).toEqual({ reexec: false, setBy: 'operator' });
    expect(planHeapLimit({ ...base, env: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=200' } })).toEqual({ reexec: false, setBy: 'operator' });
  });

  it('does not re-exec twice: the re-executed process says it was the re-exec', () => {
    expect(planHeapLimit({ ...base, execArgv: ['--max-old-space-size=70'], env: { [HEAP_REEXEC_ENV]: '70' } })).toEqual({ reexec: false, setBy: 're-exec' });
  });

  it('no limit: re-execs for the semi-space alone, once; nothing to add means no re-exec', () => {
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8 })).toEqual({ reexec: true, flags: ['--max-semi-space-size=8', ...TIERS] });
    const added = ['--max-semi-space-size=8', ...TIERS];
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8, execArgv: added, env: { [HEAP_REEXEC_ENV]: added.join(' ') } })).toEqual({
      reexec: false,
      setBy: 'V8 default',
    });
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8, env: { NODE_OPTIONS: '--max-semi-space-size=16' } })).toEqual({ reexec: false, setBy: 'V8 default' });
  });

  it('another command: V8 default, no re-exec', () => {
    for (const argv of [['validate'], ['version'], ['--help'], ['transform', 'test'], ['plugins', 'list'], ['run', '--nope']]) {
      expect(planHeapLimit({ ...base, argv })).toEqual({ reexec: false, setBy: 'V8 default' });
    }
  });

  it("adds the start-up tier flags only beside another reason to re-exec, and never over the operator's", () => {
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8, env: { NODE_OPTIONS: '--max-semi-space-size=8' } })).toEqual({ reexec: false, setBy: 'V8 default' });
    for (const flag of ['--maglev', '--no-opt', '--no_turbofan', '--jitless', '--nomaglev']) {
      expect(planHeapLimit({ ...base, execArgv: [flag] })).toEqual({ reexec: true, flags: ['--max-old-space-size=70', '--max-semi-space-size=4'] });
    }
    // Flags that only look alike are not the operator's choice of tiers.
    expect(planHeapLimit({ ...base, execArgv: ['--maglev-inlining', '--optimize-for-size'] })).toEqual({
      reexec: true,
      flags: ['--max-old-space-size=70', '--max-semi-space-size=4', ...TIERS],
    });
  });

  it('without process.execve (Windows, old Node) the run goes on with V8 default and says why', () => {
    expect(planHeapLimit({ ...base, canExec: false })).toEqual({ reexec: false, setBy: 'V8 default (no process.execve)' });
  });
});

describe('planHeapResize', () => {
  const env = { [HEAP_REEXEC_ENV]: '--max-old-space-size=70 --max-semi-space-size=4' };

  it('replaces the flags the first re-exec added when the config asks for others', () => {
    expect(planHeapResize({ env, heapMb: 57, semiSpaceMb: 3 })).toEqual(['--max-old-space-size=57', '--max-semi-space-size=3']);
  });

  it('keeps a semi-space the operator set (the first re-exec did not add one)', () => {
    expect(planHeapResize({ env: { [HEAP_REEXEC_ENV]: '--max-old-space-size=70' }, heapMb: 57, semiSpaceMb: 3 })).toEqual(['--max-old-space-size=57']);
  });

  it('does nothing when the flags are the same, in a process the binary did not re-exec, or a second time', () => {
    expect(planHeapResize({ env, heapMb: 70, semiSpaceMb: 4 })).toBeNull();
    expect(planHeapResize({ env: {}, heapMb: 57, semiSpaceMb: 3 })).toBeNull();
    expect(planHeapResize({ env: { ...env, [HEAP_RESIZE_ENV]: '1' }, heapMb: 57, semiSpaceMb: 3 })).toBeNull();
  });
});

describe('reexecEnv', () => {
  it("sets glibc's mmap threshold and two arenas, says which flags it added, and keeps the rest", () => {
    expect(reexecEnv({ PATH: '/bin', [HEAP_REEXEC_ENV]: 'stale' }, ['--max-semi-space-size=8', ...TIERS], { [HEAP_RESIZE_ENV]: '1' })).toEqual({
      PATH: '/bin',
      MALLOC_MMAP_THRESHOLD_: '131072',
      MALLOC_ARENA_MAX: '2',
      [HEAP_RESIZE_ENV]: '1',
      [HEAP_REEXEC_ENV]: '--max-semi-space-size=8 --no-turbofan --no-maglev',
    });
  });

  it("keeps the operator's malloc settings", () => {
    expect(reexecEnv({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '65536' }, [])).toMatchObject({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '65536' });
  });
});

describe('deferOptimization', () => {
  /** A fake V8, CPU clock, wall clock and interval timer (fired by hand with `tick`). */
  function harness(options: Partial<DeferOptions> = {}) {
    const set: string[] = [];
    const timers: { fn: () => void; ms: number; unref: boolean; cleared: boolean }[] = [];
    let cpuUs = 0;
    let nowMs = 0;
    const tiers = deferOptimization({
      execArgv: [],
      env: {},
      setFlags: (f) => set.push(f),
      cpuMicros: () => cpuUs,
      now: () => nowMs,
      setTimer: (fn, ms) => {
        const t = { fn, ms, unref: false, cleared: false };
        timers.push(t);
        return { unref: () => (t.unref = true) };
      },
      clearTimer: () => {
        for (const t of timers) t.cleared = true;
      },
      ...options,
    });
    /** One sample period passes with `share` of a core used. */
    const tick = (share: number): void => {
      nowMs += DEFER_SAMPLE_MS;
      cpuUs += share * DEFER_SAMPLE_MS * 1000;
      for (const t of timers) if (!t.cleared) t.fn();
    };
    /** `ms` pass without a sample (a chunk arriving between two samples). */
    const wait = (ms: number): void => {
      nowMs += ms;
    };
    return { tiers, set, timers, tick, wait };
  }

  it('turns the optimizing tiers off now, and watches the CPU only once the pipeline works', () => {
    const { tiers, set, timers, tick } = harness();
    expect(set).toEqual([DEFER_FLAGS.join(' ')]);
    expect(timers).toEqual([]);
    tick(1); // start-up's own work: not watched
    tiers!.watch();
    tiers!.watch();
    expect(timers).toHaveLength(1);
    expect(timers[0]).toMatchObject({ ms: DEFER_SAMPLE_MS, unref: true });
    expect(tiers!.deferred).toBe(true);
  });

  it(`resumes once, after ${DEFER_BUSY_SAMPLES} busy samples in a row, and stops sampling`, () => {
    const { tiers, set, timers, tick } = harness();
    tiers!.watch();
    tick(DEFER_BUSY_SHARE);
    expect(set).toHaveLength(1);
    tick(0.9);
    expect(set).toEqual([DEFER_FLAGS.join(' '), RESUME_FLAGS]);
    expect(timers[0]!.cleared).toBe(true);
    expect(tiers!.deferred).toBe(false);
    tiers!.resume();
    tiers!.watch();
    expect(set).toHaveLength(2);
    expect(timers).toHaveLength(1);
  });

  it('stays deferred under light or bursty load: a quiet sample resets the count', () => {
    const { tiers, set, tick } = harness();
    tiers!.watch();
    for (let i = 0; i < 50; i++) tick(DEFER_BUSY_SHARE * 0.9); // e.g. 1,000 events/s at ~18% of a core
    for (let i = 0; i < 10; i++) tick(i % 2 === 0 ? 1 : 0.05); // bursts, never two in a row
    expect(set).toEqual([DEFER_FLAGS.join(' ')]);
    expect(tiers!.deferred).toBe(true);
  });

  it(`resumes at once on a burst: ${DEFER_BURST_EVENTS} entries pulled within ${DEFER_BURST_MS} ms (a sync's first pages)`, () => {
    const { tiers, set, timers, wait } = harness();
    tiers!.watch(500); // the first page
    for (let received = 1000; received < 500 + DEFER_BURST_EVENTS; received += 500) {
      wait(50);
      tiers!.watch(received);
    }
    expect(set).toHaveLength(1);
    wait(50);
    tiers!.watch(500 + DEFER_BURST_EVENTS);
    expect(set).toEqual([DEFER_FLAGS.join(' '), RESUME_FLAGS]);
    expect(timers[0]!.cleared).toBe(true);
  });

  it('a steady rate below the burst, window after window, does not resume', () => {
    const { tiers, set, wait } = harness();
    let received = 0;
    for (let i = 0; i < 100; i++) {
      received += (DEFER_BURST_EVENTS * 0.9 * 100) / DEFER_BURST_MS; // 90% of the burst rate, a chunk every 100 ms
      tiers!.watch(received);
      wait(100);
    }
    expect(set).toEqual([DEFER_FLAGS.join(' ')]);
    expect(tiers!.deferred).toBe(true);
  });

  it('resume() turns them back on at once', () => {
    const { tiers, set, timers } = harness();
    tiers!.watch();
    tiers!.resume();
    expect(set).toEqual([DEFER_FLAGS.join(' '), RESUME_FLAGS]);
    expect(timers[0]!.cleared).toBe(true);
  });

  it('in a process the binary re-executed with the flags, only resumes (they are off already)', () => {
    const added = ['--max-semi-space-size=8', ...DEFER_FLAGS];
    const { tiers, set } = harness({ execArgv: added, env: { [HEAP_REEXEC_ENV]: added.join(' ') } });
    expect(set).toEqual([]);
    tiers!.resume();
    expect(set).toEqual([RESUME_FLAGS]);
  });

  it("leaves the operator's choice of tiers alone, also beside the re-exec's flags", () => {
    for (const flag of ['--no-maglev', '--turbofan', '--no_opt', '--jitless', '--lite-mode']) {
      const { tiers, set, timers } = harness({ execArgv: [flag] });
      expect(tiers).toBeNull();
      expect(set).toEqual([]);
      expect(timers).toEqual([]);
    }
    const added = ['--max-semi-space-size=8'];
    expect(harness({ execArgv: ['--no-maglev', ...added], env: { [HEAP_REEXEC_ENV]: added.join(' ') } }).tiers).toBeNull();
  });
});
