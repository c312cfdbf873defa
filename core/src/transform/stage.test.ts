import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import type { TransformConfig } from '../config/types.js';
import type { DeadLetterRecord } from '../dispatch/types.js';
import type { EventRecord } from '../record/types.js';
import { silentLogger } from '../util/logger.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { compileWatSource, transformConfig, writeWasm } from '../../../test/fixtures/wasm/compile.js';
import type { WasmFixture } from '../../../test/fixtures/wasm/compile.js';
import { recordJson } from '../record/serialized.js';
import { benchRecord } from './bench.js';
import { createTransformStage } from './stage.js';
import { STARVED_GRACE_MS } from './pool.js';
import type { TransformCounters, TransformFailure, TransformStageOptions, WasmTransformStage } from './stage.js';
import { recordKernels } from './kernels.fixture.js';

// Which kernel each worker ran: the default run and the *.sdk.test.ts re-run are checked at the end.
const kernels = recordKernels();

const FIXTURES: WasmFixture[] = ['echo', 'trap', 'loop', 'membomb', 'invalid-json', 'drop', 'error', 'fanout', 'config', 'select', 'tag', 'exit', 'http'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-stage-'));
  await Promise.all(FIXTURES.map((name) => writeWasm(dir, name)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open: WasmTransformStage[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A realistic record whose id is `id` (schema and id are the first keys of its JSON). */
function rec(id: string, i = 0): EventRecord {
  return { ...benchRecord(i), id };
}

function recs(n: number, prefix = 'r'): EventRecord[] {
  return Array.from({ length: n }, (_, i) => rec(`${prefix}${i}`, i));
}

async function stageOf(configs: TransformConfig[], extra: Partial<TransformStageOptions> = {}) {
  const letters: DeadLetterRecord[] = [];
  const failures: TransformFailure[] = [];
  const stage = await createTransformStage(configs, {
    configDir: dir,
    deadLetter: {
      write: async (records) => {
        letters.push(...records);
      },
    },
    logger: silentLogger,
    workers: 1,
    onTransformError: (f) => failures.push(f),
    ...extra,
  });
  open.push(stage);
  return { stage, letters, failures };
}

/** The call counters, without the time and the breaker's (see {@link breakerCounts}). */
function counts(c: TransformCounters | undefined): Omit<TransformCounters, 'micros' | 'shortCircuited' | 'trips' | 'breakerOpen'> {
  const { micros: _, shortCircuited: _s, trips: _t, breakerOpen: _o, ...rest } = c!;
  return rest;
}

describe('createTransformStage', () => {
  it('passes records through an identity module written against the raw kernel imports, in order', async () => {
    const { stage, letters } = await stageOf([transformConfig('./echo.wasm')]);
    const input = recs(25);
    const out = await stage.apply(input);
    expect(out).toEqual(input);
    // Returned byte for byte: the same record objects, not re-parsed copies.
    expect(out.every((r, i) => r === input[i])).toBe(true);
    expect(letters).toEqual([]);
    const c = stage.counters().echo!;
    expect(counts(c)).toEqual({ calls: 25, drops: 0, fanouts: 0, errors: 0, timeouts: 0 });
    expect(c.micros).toBeGreaterThan(0);
  });

  it('replaces a record with the one the module returns', async () => {
    const { stage } = await stageOf([transformConfig('./tag.wasm')]);
    const input = recs(3);
    expect(await stage.apply(input)).toEqual(input.map((r) => ({ ...r, tagged: true })));
    expect(counts(stage.counters().tag)).toEqual({ calls: 3, drops: 0, fanouts: 0, errors: 0, timeouts: 0 });
  });

  it('hands the sink the JSON it already has: the input text when kept, the module text when replaced', async () => {
    const input = recs(4).map((r, i) => ({ ...r, message: `ünïcödé ✓ 😀 ${i}` }));
    const kept = await (await stageOf([transformConfig('./echo.wasm')])).stage.apply(input);
    expect(kept.map((r) => recordJson(r))).toEqual(input.map((r) => JSON.stringify(r)));
    const replaced = await (await stageOf([transformConfig('./tag.wasm')])).stage.apply(input);
    expect(replaced).toEqual(input.map((r) => ({ ...r, tagged: true })));
    expect(replaced.map((r) => JSON.parse(recordJson(r)))).toEqual(replaced);
  });

  it('grows a worker input buffer for records larger than it, and keeps them intact', async () => {
    const { stage } = await stageOf([transformConfig('./echo.wasm'), transformConfig('./tag.wasm')]);
    const big = { ...rec('big'), message: 'x'.repeat(1_500_000) + 'é' };
    const input = [rec('a'), big, rec('b')];
    const out = await stage.apply(input);
    expect(out).toEqual(input.map((r) => ({ ...r, tagged: true })));
  });

  it('returns the identity stage when no transform is configured', async () => {
    const { stage } = await stageOf([]);
    const input = recs(3);
    expect(await stage.apply(input)).toBe(input);
    expect(stage.counters()).toEqual({});
  });

  it('counts a module that returns nothing as a drop, not an error', async () => {
    const { stage, letters, failures } = await stageOf([transformConfig('./drop.wasm')]);
    expect(await stage.apply(recs(7))).toEqual([]);
    expect(letters).toEqual([]);
    expect(failures).toEqual([]);
    expect(counts(stage.counters().drop)).toEqual({ calls: 7, drops: 7, fanouts: 0, errors: 0, timeouts: 0 });
  });

  it('fans out: an array of records becomes that many records, in place', async () => {
    const { stage } = await stageOf([transformConfig('./fanout.wasm')]);
    const input = recs(3);
    const out = await stage.apply(input);
    expect(out.map((r) => r.id)).toEqual(['r0', 'r0', 'r1', 'r1', 'r2', 'r2']);
    expect(out[4]).toEqual(input[2]);
    expect(counts(stage.counters().fanout)).toEqual({ calls: 3, drops: 0, fanouts: 3, errors: 0, timeouts: 0 });
  });

  describe('failure policies', () => {
    const cases: { fixture: WasmFixture; code: string; message: string | RegExp }[] = [
      { fixture: 'trap', code: 'TRANSFORM_TRAP', message: /^trap: unreachable/ },
      { fixture: 'error', code: 'TRANSFORM_ERROR', message: 'event rejected by policy' },
      { fixture: 'invalid-json', code: 'TRANSFORM_OUTPUT_INVALID', message: 'output is not valid JSON (25 bytes)' },
    ];
    for (const { fixture, code, message } of cases) {
      it(`${fixture}: deadletter sends each record with the error and the transform name`, async () => {
        const { stage, letters } = await stageOf([transformConfig(`./${fixture}.wasm`, { onError: 'deadletter' })]);
        const input = recs(4);
        expect(await stage.apply(input)).toEqual([]);
        expect(letters.map((l) => l.id)).toEqual(['r0', 'r1', 'r2', 'r3']);
        for (const [i, l] of letters.entries()) {
          expect(l.schema).toBe('k8stream.deadletter/v1');
          expect(l.stage).toBe('transform');
          expect(l.component).toBe(fixture);
          expect(l.error.code).toBe(code);
          expect(l.error.message).toMatch(message);
          expect(l.record).toEqual(input[i]);
        }
        expect(counts(stage.counters()[fixture])).toEqual({ calls: 4, drops: 0, fanouts: 0, errors: 4, timeouts: 0 });
      });

      it(`${fixture}: pass lets the original record continue`, async () => {
        const { stage, letters, failures } = await stageOf([transformConfig(`./${fixture}.wasm`, { onError: 'pass' })]);
        const input = recs(3);
        expect(await stage.apply(input)).toEqual(input);
        expect(letters).toEqual([]);
        expect(failures.map((f) => [f.transform, f.recordId, f.code, f.policy])).toEqual([
          [fixture, 'r0', code, 'pass'],
          [fixture, 'r1', code, 'pass'],
          [fixture, 'r2', code, 'pass'],
        ]);
      });

      it(`${fixture}: drop drops the record and counts an error`, async () => {
        const { stage, letters } = await stageOf([transformConfig(`./${fixture}.wasm`, { onError: 'drop' })]);
        expect(await stage.apply(recs(3))).toEqual([]);
        expect(letters).toEqual([]);
        expect(counts(stage.counters()[fixture])).toEqual({ calls: 3, drops: 0, fanouts: 0, errors: 3, timeouts: 0 });
      });

      it(`${fixture}: fail rejects with TRANSFORM_FAILED naming the transform and the record`, async () => {
        const { stage, letters } = await stageOf([transformConfig(`./${fixture}.wasm`, { onError: 'fail' })]);
        const err = await Promise.resolve(stage.apply([rec('only-one')])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(K8streamError);
        expect((err as K8streamError).code).toBe('TRANSFORM_FAILED');
        expect((err as K8streamError).plugin).toBe(fixture);
        expect((err as K8streamError).message).toMatch(new RegExp(`^transform "${fixture}" failed on record only-one: \\[${code}\\] `));
        expect(letters).toEqual([]);
      });
    }

    it('a trap does not break the instance: every later call behaves the same', async () => {
      const { stage, letters } = await stageOf([transformConfig('./trap.wasm', { breaker: false })]);
      for (let round = 0; round < 3; round++) await stage.apply(recs(5, `t${round}-`));
      expect(letters).toHaveLength(15);
      expect(new Set(letters.map((l) => l.error.message)).size).toBe(1);
    });
  });

  describe('config', () => {
    it('hands objects to the module JSON-encoded: a configured record replaces the input', async () => {
      const replacement = { schema: 'k8stream.event/v1', id: 'from-config', reason: 'Configured', nested: { a: [1, 2] } };
      const { stage } = await stageOf([transformConfig('./config.wasm', { config: { output: replacement } })]);
      expect(await stage.apply([rec('x')])).toEqual([replacement]);
    });

    it('gives fan-out elements without an id the id <input id>#<index>', async () => {
      const output = [
        { schema: 'k8stream.event/v1', reason: 'first' },
        { schema: 'k8stream.event/v1', id: 'own-id', reason: 'second' },
        { schema: 'k8stream.event/v1', reason: 'third' },
      ];
      const { stage } = await stageOf([transformConfig('./config.wasm', { config: { output } })]);
      const out = await stage.apply([rec('a'), rec('b')]);
      expect(out.map((r) => r.id)).toEqual(['a#0', 'own-id', 'a#2', 'b#0', 'own-id', 'b#2']);
      expect(out[2]).toEqual({ schema: 'k8stream.event/v1', reason: 'third', id: 'a#2' });
    });

    it('serves an empty-string config value (which makes SDK 1.0.3 fail) as empty: a drop', async () => {
      const { stage, failures } = await stageOf([transformConfig('./config.wasm', { config: { output: '', other: 'x' } })]);
      expect(await stage.apply(recs(2))).toEqual([]);
      expect(failures).toEqual([]);
      expect(counts(stage.counters().config)).toEqual({ calls: 2, drops: 2, fanouts: 0, errors: 0, timeouts: 0 });
    });

    it('treats an empty array as a drop', async () => {
      const { stage } = await stageOf([transformConfig('./config.wasm', { config: { output: [] } })]);
      expect(await stage.apply(recs(2))).toEqual([]);
      expect(stage.counters().config!.drops).toBe(2);
    });

    const invalid: { output: unknown; message: string }[] = [
      { output: 42, message: 'output must be a JSON object or an array of objects, got a number' },
      { output: 'plain text', message: 'output is not valid JSON (10 bytes)' },
      { output: { schema: 'k8stream.event/v1', reason: 'no id' }, message: 'output a record needs an "id" string' },
      { output: { id: 'x' }, message: 'output a record needs a non-empty "schema" string' },
      { output: [{ schema: 'k8stream.event/v1' }, 7], message: 'fan-out element 1: a number is not a record object' },
      { output: [{ schema: 'k8stream.event/v1', id: 5 }], message: 'fan-out element 0: "id" must be a non-empty string' },
    ];
    for (const { output, message } of invalid) {
      it(`rejects the output ${JSON.stringify(output)} as invalid`, async () => {
        const { stage, letters } = await stageOf([transformConfig('./config.wasm', { config: { output } })]);
        expect(await stage.apply([rec('bad')])).toEqual([]);
        expect(letters.map((l) => l.error)).toEqual([{ code: 'TRANSFORM_OUTPUT_INVALID', message }]);
      });
    }

    it('reports a missing key through the module (error channel)', async () => {
      const { stage, letters } = await stageOf([transformConfig('./config.wasm')]);
      await stage.apply([rec('x')]);
      expect(letters.map((l) => l.error)).toEqual([{ code: 'TRANSFORM_ERROR', message: 'missing config: output' }]);
    });
  });

  describe('chains', () => {
    it('feeds each output to the next transform; fan-out multiplies', async () => {
      const { stage } = await stageOf([transformConfig('./fanout.wasm', { name: 'dup1' }), transformConfig('./echo.wasm'), transformConfig('./fanout.wasm', { name: 'dup2' })]);
      const out = await stage.apply(recs(3));
      expect(out.map((r) => r.id)).toEqual(['r0', 'r0', 'r0', 'r0', 'r1', 'r1', 'r1', 'r1', 'r2', 'r2', 'r2', 'r2']);
      const c = stage.counters();
      expect(counts(c.dup1)).toEqual({ calls: 3, drops: 0, fanouts: 3, errors: 0, timeouts: 0 });
      expect(counts(c.echo)).toEqual({ calls: 6, drops: 0, fanouts: 0, errors: 0, timeouts: 0 });
      expect(counts(c.dup2)).toEqual({ calls: 6, drops: 0, fanouts: 6, errors: 0, timeouts: 0 });
    });

    it('pass hands the next transform the record the failing one received', async () => {
      const { stage } = await stageOf([transformConfig('./trap.wasm', { onError: 'pass' }), transformConfig('./fanout.wasm')]);
      const input = recs(2);
      expect(await stage.apply(input)).toEqual([input[0], input[0], input[1], input[1]]);
    });

    it('dead-letters the record the failing transform received, not the chain input', async () => {
      const replaced = { schema: 'k8stream.event/v1', id: 'replaced', token: 'redacted' };
      const { stage, letters } = await stageOf([transformConfig('./config.wasm', { config: { output: replaced } }), transformConfig('./error.wasm')]);
      expect(await stage.apply([rec('original')])).toEqual([]);
      expect(letters).toHaveLength(1);
      expect(letters[0]!.component).toBe('error');
      expect(letters[0]!.id).toBe('replaced');
      expect(letters[0]!.record).toEqual(replaced);
    });
  });

  it('keeps input order across workers and messages', async () => {
    const { stage } = await stageOf([transformConfig('./echo.wasm'), transformConfig('./select.wasm')], { workers: 2, batchSize: 16 });
    const input = recs(500);
    const out = await stage.apply(input);
    expect(out.map((r) => r.id)).toEqual(input.map((r) => r.id));
  });

  it('may be applied concurrently: each call gets its own records back, in order', async () => {
    const { stage } = await stageOf([transformConfig('./tag.wasm')], { workers: 2, batchSize: 8 });
    const batches = [recs(40, 'a'), recs(3, 'b'), recs(25, 'c')];
    const outs = await Promise.all(batches.map(async (b) => stage.apply(b)));
    expect(outs.map((o) => o.map((r) => r.id))).toEqual(batches.map((b) => b.map((r) => r.id)));
    expect(stage.counters().tag!.calls).toBe(68);
  });

  it('keeps working past the 16381st call, where SDK 1.0.3 fails without reset()', async () => {
    const { stage, failures } = await stageOf([transformConfig('./echo.wasm')], { batchSize: 500 });
    let delivered = 0;
    for (let i = 0; i < 17; i++) delivered += (await stage.apply(recs(1000, `b${i}-`))).length;
    expect(failures).toEqual([]);
    expect(delivered).toBe(17_000);
  });

  it('stops a memory bomb at memoryMb: it traps quickly instead of growing', async () => {
    const { stage, letters } = await stageOf([transformConfig('./membomb.wasm', { memoryMb: 4, timeoutMs: 10_000 })]);
    const t0 = performance.now();
    await stage.apply([rec('bomb')]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(letters.map((l) => l.error.code)).toEqual(['TRANSFORM_TRAP']);
    expect(letters[0]!.error.message).toMatch(/^trap: unreachable/);
  });

  it('caps host blocks allocated through the kernel at memoryMb per call', async () => {
    const hog = await compileWatSource(`(module
      (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
      (func (export "transform") (result i32)
        (loop $more (drop (call $alloc (i64.const 1048576))) (br $more))
        (i32.const 0)))`);
    await writeFile(path.join(dir, 'hog.wasm'), hog);
    const { stage, letters } = await stageOf([transformConfig('./hog.wasm', { memoryMb: 4, timeoutMs: 10_000 })]);
    await stage.apply([rec('hog')]);
    expect(letters.map((l) => l.error)).toEqual([{ code: 'TRANSFORM_TRAP', message: 'host memory allocated by one call exceeds the memory cap of 4194304 bytes' }]);
  });

  it('treats a WASI proc_exit as a failed call, not a dead process', async () => {
    const { stage, letters } = await stageOf([transformConfig('./exit.wasm')]);
    expect(await stage.apply(recs(2))).toEqual([]);
    // As Extism's runtime: a non-zero exit code is an error (exit.wat exits with 3).
    expect(letters.map((l) => l.error)).toEqual([
      { code: 'TRANSFORM_ERROR', message: 'the module exited with code 3' },
      { code: 'TRANSFORM_ERROR', message: 'the module exited with code 3' },
    ]);
    expect(await stage.apply(recs(1))).toEqual([]);
    expect(stage.poolStats().crashes).toBe(0);
  });

  it('rejects apply after close', async () => {
    const { stage } = await stageOf([transformConfig('./echo.wasm')]);
    await stage.close();
    await expect(stage.apply(recs(1))).rejects.toMatchObject({ code: 'TRANSFORM_FAILED' });
  });
});

describe('deadlines', () => {
  it('stops an infinite loop at timeoutMs + respawn, per call, and measures it', async () => {
    const timeoutMs = 100;
    const { stage, letters } = await stageOf([transformConfig('./loop.wasm', { timeoutMs })]);
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = stage.poolStats().respawnMs;
      const t0 = performance.now();
      expect(await stage.apply([rec(`loop${i}`)])).toEqual([]);
      const cost = performance.now() - t0;
      const respawn = stage.poolStats().respawnMs - before;
      lines.push(`${cost.toFixed(1)} ms (respawn wait ${respawn.toFixed(1)} ms)`);
      // The deadline, the wait for the replacement worker, and (generous) scheduling slack.
      expect(cost).toBeGreaterThanOrEqual(timeoutMs);
      expect(cost).toBeLessThan(timeoutMs + respawn + 500);
      expect(cost).toBeLessThan(timeoutMs + 5000);
    }
    console.log(`infinite loop, timeoutMs ${timeoutMs}, cost per call: ${lines.join('; ')}`);
    expect(letters.map((l) => [l.id, l.error.code])).toEqual([
      ['loop0', 'TRANSFORM_TIMEOUT'],
      ['loop1', 'TRANSFORM_TIMEOUT'],
      ['loop2', 'TRANSFORM_TIMEOUT'],
      ['loop3', 'TRANSFORM_TIMEOUT'],
    ]);
    expect(letters[0]!.error.message).toBe('call ran longer than its 100 ms deadline; the worker running loop was terminated');
    expect(counts(stage.counters().loop)).toEqual({ calls: 4, drops: 0, fanouts: 0, errors: 0, timeouts: 4 });
    expect(stage.poolStats()).toMatchObject({ timeouts: 4, crashes: 0 });
    // A task with nothing left does not wait for its replacement worker: the last may still be starting.
    expect(stage.poolStats().respawns).toBeGreaterThanOrEqual(3);
  });

  it('after a timeout, the replacement worker gets the rest of the message and records keep flowing', async () => {
    const { stage, letters } = await stageOf([transformConfig('./select.wasm', { timeoutMs: 400 })], { batchSize: 100 });
    const input = recs(40).map((r, i) => (i === 3 || i === 17 || i === 18 || i === 39 ? rec(`L${i}`, i) : r));
    const out = await stage.apply(input);
    const loopers = new Set(['L3', 'L17', 'L18', 'L39']);
    expect(out.map((r) => r.id)).toEqual(input.map((r) => r.id).filter((id) => !loopers.has(id)));
    expect(letters.map((l) => l.id)).toEqual(['L3', 'L17', 'L18', 'L39']);
    expect(counts(stage.counters().select)).toEqual({ calls: 40, drops: 0, fanouts: 0, errors: 0, timeouts: 4 });
    // Later applies still work.
    expect(await stage.apply(recs(5, 'after'))).toHaveLength(5);
  });

  describe('a call past timeoutMs that did not get the CPU (a starved process, or a blocked call)', () => {
    let server: http.Server;
    let origin: string;
    const hanging: http.ServerResponse[] = [];
    const served = { schema: 'k8stream.event/v1', id: 'from-http', reason: 'Fetched' };
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const m = /^\/after\/(\d+)$/.exec(req.url ?? '');
        if (m) setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served)), Number(m[1]));
        else hanging.push(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const res of hanging) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const waiting = (url: string) => transformConfig('./http.wasm', { config: { request: { url } }, allowedHosts: ['127.0.0.1'], timeoutMs: 100, onError: 'deadletter' });

    it(`is given up to timeoutMs + max(timeoutMs, ${STARVED_GRACE_MS} ms): a worker that used no CPU is not stopped at timeoutMs`, async () => {
      // The worker waits 200 ms without using CPU, as a call of a throttled process does.
      const { stage, letters } = await stageOf([waiting(`${origin}/after/200`)]);
      expect((await stage.apply([rec('slow')])).map((r) => r.id)).toEqual(['from-http']);
      expect(letters).toEqual([]);
      expect(stage.counters().http!.timeouts).toBe(0);
      expect(stage.poolStats().starved).toBeGreaterThanOrEqual(1);
      expect(stage.poolStats().timeouts).toBe(0);
    });

    it('is stopped at that hard deadline whatever its CPU', async () => {
      const { stage, letters } = await stageOf([waiting(`${origin}/never`)]);
      const t0 = performance.now();
      expect(await stage.apply([rec('blocked')])).toEqual([]);
      const ms = performance.now() - t0;
      expect(letters.map((l) => l.error.code)).toEqual(['TRANSFORM_TIMEOUT']);
      expect(ms).toBeGreaterThanOrEqual(100 + STARVED_GRACE_MS);
      expect(ms).toBeLessThan(100 + STARVED_GRACE_MS + 2000);
    });
  });

  it('applies pass to a timed-out record', async () => {
    const { stage } = await stageOf([transformConfig('./loop.wasm', { timeoutMs: 50, onError: 'pass' })]);
    const input = recs(2);
    expect(await stage.apply(input)).toEqual(input);
    expect(stage.counters().loop!.timeouts).toBe(2);
  });
});

function breakerCounts(c: TransformCounters | undefined) {
  return { calls: c!.calls, errors: c!.errors, timeouts: c!.timeouts, shortCircuited: c!.shortCircuited, trips: c!.trips, breakerOpen: c!.breakerOpen };
}

describe('circuit breaker', () => {
  const breaker = { failures: 3, coolDownMs: 1000, maxCoolDownMs: 60_000 };

  it('a never-returning module: after `failures` timeouts in a message the rest is not sent; events pass at once until a probe', async () => {
    const clock = { ms: 0 };
    const { logger, lines } = recordingLogger();
    const { stage, failures } = await stageOf([transformConfig('./loop.wasm', { timeoutMs: 50, onError: 'pass', breaker })], { now: () => clock.ms, logger });
    const input = recs(20);
    expect(await stage.apply(input)).toEqual(input);
    // Three calls timed out (three workers terminated); the other 17 records were never sent.
    expect(breakerCounts(stage.counters().loop)).toEqual({ calls: 3, errors: 0, timeouts: 20, shortCircuited: 17, trips: 1, breakerOpen: 1 });
    expect(stage.poolStats().timeouts).toBe(3);
    expect(failures.filter((f) => f.shortCircuited === true)).toHaveLength(17);
    expect(failures.every((f) => f.code === 'TRANSFORM_TIMEOUT' && f.policy === 'pass')).toBe(true);
    const opened = lines.filter((l) => l.msg.startsWith('transform circuit breaker'));
    expect(opened).toEqual([
      {
        level: 'warn',
        msg: 'transform circuit breaker opened',
        fields: expect.objectContaining({ transform: 'loop', failures: 3, coolDownMs: 1000, code: 'TRANSFORM_TIMEOUT', onError: 'pass' }) as unknown,
      },
    ]);
    // Short-circuited records are not logged one by one (failed calls: at most once a second).
    const logged = () => lines.filter((l) => l.msg === 'transform failed').length;
    expect(logged()).toBeGreaterThanOrEqual(1);
    expect(logged()).toBeLessThanOrEqual(3);

    // Open: nothing is called, however many records come.
    const t0 = performance.now();
    const more = recs(500, 'm');
    expect(await stage.apply(more)).toEqual(more);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(breakerCounts(stage.counters().loop)).toEqual({ calls: 3, errors: 0, timeouts: 520, shortCircuited: 517, trips: 1, breakerOpen: 1 });
    expect(logged()).toBeLessThanOrEqual(3);

    // Cool-down over: one probe (it times out too), the others pass at once; the cool-down doubles.
    clock.ms = 1000;
    expect(await stage.apply(recs(5, 'p'))).toHaveLength(5);
    expect(breakerCounts(stage.counters().loop)).toEqual({ calls: 4, errors: 0, timeouts: 525, shortCircuited: 521, trips: 2, breakerOpen: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: 'transform circuit breaker re-opened: the probe failed', fields: { failures: 1, coolDownMs: 2000 } });
    clock.ms = 2999;
    await stage.apply(recs(3, 'q'));
    expect(stage.counters().loop!.calls).toBe(4);
    clock.ms = 3000;
    await stage.apply(recs(3, 's'));
    expect(stage.counters().loop!.calls).toBe(5);
    expect(stage.poolStats().timeouts).toBe(5);
  });

  it('closes when the probe succeeds; records arriving with the probe in flight take onError; a closed breaker calls again', async () => {
    const clock = { ms: 0 };
    const { logger, lines } = recordingLogger();
    const { stage, letters } = await stageOf([transformConfig('./select.wasm', { onError: 'deadletter', breaker })], { now: () => clock.ms, logger });
    // Fast errors come back in one message: all five were called, the breaker opened at the third.
    expect(await stage.apply(recs(5, 'E'))).toEqual([]);
    expect(breakerCounts(stage.counters().select)).toEqual({ calls: 5, errors: 5, timeouts: 0, shortCircuited: 0, trips: 1, breakerOpen: 1 });
    // Open: healthy records are dead-lettered without a call, with the error that opened it.
    expect(await stage.apply([rec('n1'), rec('n2')])).toEqual([]);
    expect(letters.slice(5).map((l) => [l.id, l.error.code])).toEqual([
      ['n1', 'TRANSFORM_ERROR'],
      ['n2', 'TRANSFORM_ERROR'],
    ]);
    expect(letters[5]!.error.message).toMatch(/^circuit breaker open: "select" was not called .*selected error/);
    expect(stage.counters().select!.calls).toBe(5);
    // Cool-down over: n3 is the probe and succeeds; n4 came with it and was dead-lettered.
    clock.ms = 1000;
    expect((await stage.apply([rec('n3'), rec('n4')])).map((r) => r.id)).toEqual(['n3']);
    expect(letters.slice(7).map((l) => l.id)).toEqual(['n4']);
    expect(breakerCounts(stage.counters().select)).toEqual({ calls: 6, errors: 8, timeouts: 0, shortCircuited: 3, trips: 1, breakerOpen: 0 });
    expect(lines.filter((l) => l.msg.startsWith('transform circuit breaker')).map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'transform circuit breaker opened'],
      ['debug', 'transform circuit breaker half-open: sending one probe event'],
      ['info', 'transform circuit breaker closed: the probe succeeded'],
    ]);
    // Closed: everything is called again, and two failures do not open it.
    expect((await stage.apply([rec('E9'), rec('n5'), rec('E10'), rec('E11'), rec('n6')])).map((r) => r.id)).toEqual(['n5', 'n6']);
    expect(breakerCounts(stage.counters().select)).toEqual({ calls: 11, errors: 11, timeouts: 0, shortCircuited: 3, trips: 1, breakerOpen: 0 });
  });

  it('fail keeps its meaning: a short-circuited record fails the stage too', async () => {
    const { stage } = await stageOf([transformConfig('./select.wasm', { onError: 'fail', breaker: { ...breaker, failures: 1 } })], { now: () => 0 });
    await expect(stage.apply([rec('E1')])).rejects.toMatchObject({ code: 'TRANSFORM_FAILED' });
    const err = await Promise.resolve(stage.apply([rec('n1')])).catch((e: unknown) => e);
    expect((err as K8streamError).message).toMatch(/^transform "select" failed on record n1: \[TRANSFORM_ERROR\] circuit breaker open/);
    expect(stage.counters().select!.calls).toBe(1);
  });

  it('breaker: false calls the module for every record, and a hand-built config without breaker gets the default (5)', async () => {
    const off = await stageOf([transformConfig('./error.wasm', { onError: 'drop', breaker: false })]);
    await off.stage.apply(recs(12));
    expect(breakerCounts(off.stage.counters().error)).toEqual({ calls: 12, errors: 12, timeouts: 0, shortCircuited: 0, trips: 0, breakerOpen: 0 });
    const dflt = await stageOf([transformConfig('./error.wasm', { onError: 'drop' })], { now: () => 0 });
    await dflt.stage.apply(recs(12));
    await dflt.stage.apply(recs(3, 'x'));
    expect(breakerCounts(dflt.stage.counters().error)).toEqual({ calls: 12, errors: 15, timeouts: 0, shortCircuited: 3, trips: 1, breakerOpen: 1 });
  });
});

describe('every failure kind at once', () => {
  it('gives each record its policy, counts exactly, and loses nothing', async () => {
    // First character of the id picks the behaviour (see select.wat).
    const kinds = ['ok', 'L', 'T', 'E', 'D', 'J', 'F', 'M'];
    const input: EventRecord[] = [];
    for (let i = 0; i < 64; i++) {
      const kind = kinds[i % kinds.length]!;
      input.push(rec(kind === 'ok' ? `n${i}` : `${kind}${i}`, i));
    }
    const { stage, letters } = await stageOf([transformConfig('./select.wasm', { timeoutMs: 100, memoryMb: 8, onError: 'deadletter' }), transformConfig('./echo.wasm')], {
      workers: 2,
      batchSize: 10,
    });
    const out = await stage.apply(input);

    const expectedOut: string[] = [];
    const expectedDead: string[] = [];
    let dropped = 0;
    for (const r of input) {
      const k = r.id[0]!;
      if (k === 'n') expectedOut.push(r.id);
      else if (k === 'F') expectedOut.push(r.id, r.id);
      else if (k === 'D') dropped++;
      else expectedDead.push(r.id);
    }
    expect(out.map((r) => r.id)).toEqual(expectedOut);
    expect(letters.map((l) => l.id).sort()).toEqual([...expectedDead].sort());
    const codeOf = Object.fromEntries(letters.map((l) => [l.id[0], l.error.code]));
    expect(codeOf).toEqual({
      L: 'TRANSFORM_TIMEOUT',
      T: 'TRANSFORM_TRAP',
      E: 'TRANSFORM_ERROR',
      J: 'TRANSFORM_OUTPUT_INVALID',
      M: 'TRANSFORM_TRAP',
    });
    // Every input is delivered (fan-out inputs twice), dropped by the transform, or dead-lettered.
    const fanned = input.filter((r) => r.id.startsWith('F')).length;
    expect(out.length - fanned + dropped + letters.length).toBe(input.length);
    const c = stage.counters();
    expect(counts(c.select)).toEqual({ calls: 64, drops: 8, fanouts: 8, errors: 32, timeouts: 8 });
    expect(counts(c.echo)).toEqual({ calls: 24, drops: 0, fanouts: 0, errors: 0, timeouts: 0 });
    // And the pipeline keeps running.
    expect(await stage.apply(recs(10, 'n-after'))).toHaveLength(10);
  });
});

describe('kernel', () => {
  it('every transform worker ran on the kernel this run asked for (WASI without allowedPaths included: the fast kernel serves it)', () => {
    expect(kernels.reported.length).toBeGreaterThan(0);
    expect(kernels.unexpected()).toEqual([]);
  });
});
