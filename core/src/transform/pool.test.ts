import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { compileWat } from '../../../test/fixtures/wasm/compile.js';
import { createPool } from './pool.js';
import type { PoolTransform, TransformPool } from './pool.js';
import { I_BYTES, I_DONE, I_ITEM, RESULTS_OFFSET } from './protocol.js';

const CRASH_WORKER = new URL('../../../test/fixtures/wasm/crash-worker.mjs', import.meta.url);
const LIMITS_WORKER = new URL('../../../test/fixtures/wasm/limits-worker.mjs', import.meta.url);

async function spec(fixture: 'echo' | 'loop' = 'echo', timeoutMs = 5000): Promise<PoolTransform> {
  return {
    name: 'fake',
    module: await WebAssembly.compile(await compileWat(fixture)),
    function: 'transform',
    config: {},
    memoryBytes: 1 << 20,
    wasi: false,
    allowedPaths: {},
    allowedHosts: [],
    timeoutMs,
  };
}

const pools: TransformPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('worker resource limits', () => {
  it("sets each worker's old generation from the memory budget, keeping the small young generation", async () => {
    const start = async (workerHeapMb?: number) => {
      const failed = await createPool({
        transforms: [await spec()],
        size: 1,
        logger: silentLogger,
        workerUrl: LIMITS_WORKER,
        ...(workerHeapMb !== undefined ? { workerHeapMb } : {}),
      }).then(
        () => expect.unreachable('the stand-in worker never gets ready'),
        (err: Error) => err.message,
      );
      return JSON.parse(failed.slice(failed.indexOf('{'))) as { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number };
    };
    const limited = await start(40);
    expect(limited.maxOldGenerationSizeMb).toBe(40);
    expect(limited.maxYoungGenerationSizeMb).toBe(8);
    expect((await start()).maxOldGenerationSizeMb).not.toBe(40);
  });
});

describe('starting workers on demand', () => {
  it('starts initialSize workers, and another only once a task waits for a busy one', async () => {
    const pool = await createPool({ transforms: [await spec()], size: 2, initialSize: 1, batchSize: 4, logger: silentLogger });
    pools.push(pool);
    expect([pool.size, pool.workers]).toEqual([2, 1]);
    // One task (up to batchSize records): the started worker takes it, nothing waits.
    expect((await pool.run(0, ['{}', '{}', '{}'])).results).toHaveLength(3);
    expect(pool.workers).toBe(1);
    // Three tasks at once: two wait for the busy worker, so a second one starts (and no third).
    const many = Array.from({ length: 12 }, () => '{}');
    expect((await pool.run(0, many)).results).toEqual(many.map(() => ({ kind: 'same' })));
    expect(pool.workers).toBe(2);
    expect((await pool.run(0, many)).results).toHaveLength(12);
    expect(pool.workers).toBe(2);
  });

  it('starts every worker up front by default', async () => {
    const pool = await createPool({ transforms: [await spec()], size: 2, logger: silentLogger });
    pools.push(pool);
    expect(pool.workers).toBe(2);
  });
});

describe('worker crashes', () => {
  it('the stand-in worker uses the real control-buffer layout', () => {
    expect([I_ITEM, I_DONE, I_BYTES, RESULTS_OFFSET]).toEqual([0, 2, 3, 64]);
  });

  it('fails the record whose call was running, replaces the worker, and resends the rest', async () => {
    const pool = await createPool({ transforms: [await spec()], size: 1, logger: silentLogger, workerUrl: CRASH_WORKER });
    pools.push(pool);
    const run = await pool.run(0, ['a', 'crash-in-call', 'b', 'c', 'crash-in-call', 'd']);
    expect(run.results).toEqual([
      { kind: 'drop' },
      { kind: 'error', code: 'TRANSFORM_TRAP', message: 'worker exited with code 7' },
      { kind: 'drop' },
      { kind: 'drop' },
      { kind: 'error', code: 'TRANSFORM_TRAP', message: 'worker exited with code 7' },
      { kind: 'drop' },
    ]);
    expect(pool.stats()).toMatchObject({ timeouts: 0, crashes: 2, respawns: 2 });
  });

  it('blames the next record only after a second death without progress', async () => {
    const pool = await createPool({ transforms: [await spec()], size: 1, logger: silentLogger, workerUrl: CRASH_WORKER });
    pools.push(pool);
    const run = await pool.run(0, ['a', 'crash-between', 'b']);
    expect(run.results).toEqual([{ kind: 'drop' }, { kind: 'error', code: 'TRANSFORM_TRAP', message: 'worker exited with code 9' }, { kind: 'drop' }]);
    expect(pool.stats()).toMatchObject({ crashes: 2, respawns: 2 });
  });

  it('rejects pending runs when closed', async () => {
    const pool = await createPool({ transforms: [await spec()], size: 1, logger: silentLogger });
    // eslint-disable-next-line vitest/valid-expect -- the assertion must be pending while close() runs; awaited below
    const pending = expect(pool.run(0, ['{}'])).rejects.toMatchObject({ code: 'TRANSFORM_FAILED', message: 'transform pool closed' });
    await pool.close();
    await pending;
  });
});

describe('stopping a run (the circuit breaker)', () => {
  const record = JSON.stringify({ schema: 'k8stream.event/v1', id: 'x' });

  it('after a timeout, asks `stop` before resending the rest; true leaves the rest unsent (null results)', async () => {
    const pool = await createPool({ transforms: [await spec('loop', 50)], size: 1, logger: silentLogger });
    pools.push(pool);
    const asked: number[] = [];
    const run = await pool.run(
      0,
      Array.from({ length: 10 }, () => record),
      {
        stop: (results) => {
          asked.push(results.length);
          return results.length >= 2;
        },
      },
    );
    expect(asked).toEqual([1, 2]);
    expect(run.results.map((r) => (r === null ? null : r.kind === 'error' ? r.code : r.kind))).toEqual([
      'TRANSFORM_TIMEOUT',
      'TRANSFORM_TIMEOUT',
      ...Array.from({ length: 8 }, () => null),
    ]);
    expect(pool.stats().timeouts).toBe(2);
  });

  it('a task with nothing left to send completes at once, without waiting for the replacement worker', async () => {
    const pool = await createPool({ transforms: [await spec('loop', 50)], size: 1, logger: silentLogger, spare: false });
    pools.push(pool);
    const run = await pool.run(0, [record]);
    expect(run.results).toEqual([{ kind: 'error', code: 'TRANSFORM_TIMEOUT', message: expect.stringMatching(/50 ms deadline/) as unknown }]);
    // The replacement is still starting: the run did not wait for it.
    expect(pool.stats()).toMatchObject({ timeouts: 1, respawns: 0 });
    // And the next run gets it.
    expect((await pool.run(0, [record])).results).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ timeouts: 2, respawns: 1 });
  });
});
