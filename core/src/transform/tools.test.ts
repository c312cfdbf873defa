import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import type { ValidationError } from '../errors.js';
import { WASM_FIXTURES_DIR, compileWatSource, transformConfig, writeWasm } from '../../../test/fixtures/wasm/compile.js';
import { benchRecord, benchTransform } from './bench.js';
import { runTransformOnce } from './run-once.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-tools-'));
  await Promise.all((['echo', 'trap', 'drop', 'fanout'] as const).map((f) => writeWasm(dir, f)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runTransformOnce', () => {
  it('returns what the chain delivers and the time spent', async () => {
    const record = benchRecord(3);
    const result = await runTransformOnce([transformConfig('./echo.wasm'), transformConfig('./fanout.wasm')], record, { configDir: dir });
    expect(result.outputs).toEqual([record, record]);
    expect(result.dropped).toBe(false);
    expect(result.error).toBeNull();
    expect(result.deadLettered).toEqual([]);
    expect(result.micros).toBeGreaterThan(0);
  });

  it('reports a transform drop as dropped without an error', async () => {
    const result = await runTransformOnce([transformConfig('./drop.wasm')], benchRecord(), { configDir: dir });
    expect(result).toMatchObject({ outputs: [], dropped: true, error: null, deadLettered: [] });
  });

  it('reports the first failure whatever the policy', async () => {
    const record = benchRecord();
    const dead = await runTransformOnce([transformConfig('./trap.wasm')], record, { configDir: dir });
    expect(dead.dropped).toBe(true);
    expect(dead.error).toMatchObject({ transform: 'trap', code: 'TRANSFORM_TRAP' });
    expect(dead.deadLettered.map((d) => [d.component, d.record])).toEqual([['trap', record]]);

    const passed = await runTransformOnce([transformConfig('./trap.wasm', { onError: 'pass' })], record, { configDir: dir });
    expect(passed.outputs).toEqual([record]);
    expect(passed.error).toMatchObject({ transform: 'trap', code: 'TRANSFORM_TRAP' });

    const failed = await runTransformOnce([transformConfig('./trap.wasm', { onError: 'fail' })], record, { configDir: dir });
    expect(failed).toMatchObject({ outputs: [], dropped: true, error: { transform: 'trap', code: 'TRANSFORM_TRAP' } });
  });
});

describe('benchTransform', () => {
  it('measures a chain of 1 and of 3 on a ~1.2 KB record', async () => {
    const one = await benchTransform(['./echo.wasm'], { configDir: dir, records: 400, warmup: 100, chunk: 100, workers: 1 });
    expect(one).toMatchObject({ records: 400, chain: 1, workers: 1, outputs: 400 });
    expect(one.recordBytes).toBeGreaterThan(1150);
    expect(one.recordBytes).toBeLessThan(1350);
    expect(one.eventsPerSec).toBeGreaterThan(0);
    expect(one.usPerEventPerStep).toBe(one.usPerEvent);
    expect(one.counters.echo).toMatchObject({ calls: 400, errors: 0 });

    const three = await benchTransform([{ use: './echo.wasm', timeoutMs: 1000 }], { configDir: dir, records: 300, warmup: 0, chunk: 100, chain: 3, workers: 1 });
    expect(Object.keys(three.counters)).toEqual(['echo', 'echo-2', 'echo-3']);
    for (const c of Object.values(three.counters)) expect(c.calls).toBe(300);
    expect(three.usPerEventPerStep).toBeCloseTo(three.usPerEvent / 3, 6);
  });

  it('counts what happened while measuring, not during the warm-up (breaker counters included)', async () => {
    const breaker = { failures: 5, coolDownMs: '1h', maxCoolDownMs: '1h' };
    const options = { configDir: dir, records: 200, chunk: 100, workers: 1 };
    const opened = await benchTransform([{ use: './trap.wasm', breaker }], { ...options, warmup: 0 });
    const trap = opened.counters.trap!;
    expect(trap).toMatchObject({ errors: 200, trips: 1, breakerOpen: 1 });
    expect(trap.calls).toBeGreaterThanOrEqual(5); // a message already sent to the worker is run
    expect(trap.calls + trap.shortCircuited!).toBe(200);
    // Opened during the warm-up: the measured records were all short-circuited, no new trip.
    const warm = await benchTransform([{ use: './trap.wasm', breaker }], { ...options, warmup: 100 });
    expect(warm.counters.trap).toMatchObject({ calls: 0, errors: 200, shortCircuited: 200, trips: 0, breakerOpen: 1 });
  });

  it("calls the entry's `function`", async () => {
    const echo = await readFile(path.join(WASM_FIXTURES_DIR, 'echo.wat'), 'utf8');
    await writeFile(path.join(dir, 'run.wasm'), await compileWatSource(echo.replace('(export "transform")', '(export "run")')));
    const named = await benchTransform([{ use: './run.wasm', function: 'run' }], { configDir: dir, records: 200, warmup: 0, chunk: 100, workers: 1 });
    expect(named.counters.run).toMatchObject({ calls: 200, errors: 0 });
    await expect(benchTransform(['./run.wasm'], { configDir: dir, records: 10, warmup: 0, workers: 1 })).rejects.toThrow('does not export a function named "transform"');
  });
});

describe('transforms[] in .k8streamrc', () => {
  it('fills the sandbox defaults: no hash, no paths, no hosts', () => {
    const [t] = validateConfig({ transforms: [{ use: './x.wasm' }] }).transforms;
    expect(t).toMatchObject({ sha256: null, allowedPaths: {}, allowedHosts: [] });
  });

  it('requires https modules to be pinned and refuses plain http, naming the field', () => {
    const issues = (raw: unknown) => {
      try {
        validateConfig(raw);
        return [];
      } catch (err) {
        return (err as ValidationError).issues;
      }
    };
    expect(issues({ transforms: [{ use: 'https://example.com/x.wasm' }] })).toEqual([
      { path: 'transforms[0].sha256', message: 'an https module must be pinned: set sha256 to the hex sha256 of the .wasm file' },
    ]);
    expect(issues({ transforms: [{ use: `https://example.com/x.wasm#sha256=${'a'.repeat(64)}` }] })).toEqual([]);
    expect(issues({ transforms: [{ use: 'https://example.com/x.wasm', sha256: 'abc' }] })).toEqual([
      { path: 'transforms[0].sha256', message: 'expected a sha256 hex digest (64 hex characters), got "abc"' },
    ]);
    expect(issues({ transforms: [{ use: 'http://example.com/x.wasm', sha256: 'b'.repeat(64) }] })).toEqual([
      { path: 'transforms[0].use', message: 'plain http modules are not allowed: use an https URL pinned by sha256' },
    ]);
  });
});
