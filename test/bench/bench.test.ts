// Unit tests of the benchmark suite's own logic (not of k8stream's speed): statistics, the
// profile summary, the target table, and the bench sink's probe and delay.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakGrowthMb, percentile, slope, round, threadCpu, threadCpuPerEvent, trendMbPerMin } from './stats.mjs';
import { stageOf, summariseProfile } from './profile.mjs';
import { evaluate, formatTable } from './targets.mjs';
import benchSink, { probe, dropProbe } from './bench-sink.mjs';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '../../core/dist/testing/index.js';

describe('stats', () => {
  it('percentile uses nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('slope is the least-squares trend, 0 for a flat series', () => {
    expect(
      slope([
        { t: 0, v: 10 },
        { t: 1, v: 12 },
        { t: 2, v: 14 },
      ]),
    ).toBeCloseTo(2);
    expect(
      slope([
        { t: 0, v: 5 },
        { t: 1, v: 5 },
        { t: 2, v: 5 },
      ]),
    ).toBe(0);
    expect(slope([{ t: 0, v: 5 }])).toBeNull();
    expect(round(1.23456, 2)).toBe(1.23);
  });

  it('trend ignores the warm-up half', () => {
    // Grows 10 MB/s for 5 s, then flat: the second half's trend is 0.
    const samples = Array.from({ length: 11 }, (_, t) => ({ t, v: 100 + 10 * Math.min(t, 5) }));
    expect(trendMbPerMin(samples)).toBe(0);
    expect(trendMbPerMin(samples.slice(0, 3))).toBeNull();
  });

  it('splits CPU by thread group, per event over a window', () => {
    expect(threadCpuPerEvent({ main: 1000, 'libuv pool (zlib, fs)': 0 }, { main: 3000, 'libuv pool (zlib, fs)': 500, 'V8 (GC, compiler)': 100 }, 100)).toEqual({
      main: 20,
      'libuv pool (zlib, fs)': 5,
      'V8 (GC, compiler)': 1,
    });
    expect(threadCpuPerEvent(null, {}, 1)).toBeNull();
    const now = threadCpu();
    if (now !== null) expect(now.main).toBeGreaterThan(0); // Linux: this process's main thread has run
  });

  it('peak growth is about 0 for a bounded saw-tooth and the growth for a leak', () => {
    // 60 s: a 20 MB saw-tooth over 400 MB (GC), whose slope over the second half is not 0.
    const sawTooth = Array.from({ length: 61 }, (_, t) => ({ t, v: 400 + (t % 7) * 3 }));
    expect(trendMbPerMin(sawTooth)).not.toBe(0);
    expect(peakGrowthMb(sawTooth)).toBe(0);
    // The same plus a leak of 30 MB/min: the last third's peaks are ~10 MB higher.
    const leak = sawTooth.map((s) => ({ t: s.t, v: s.v + s.t / 2 }));
    expect(peakGrowthMb(leak)).toBeGreaterThan(8);
    expect(peakGrowthMb(sawTooth.slice(0, 5))).toBeNull();
  });
});

describe('profile summary', () => {
  it('assigns stages by module', () => {
    expect(stageOf('file:///w/core/dist/transform/pool.js', 'call')).toBe('transform');
    expect(stageOf('file:///w/core/dist/record/map.js', 'toRecord')).toBe('pipeline (map+filter+enrich)');
    expect(stageOf('file:///w/core/dist/kube/listwatch.js', 'parseWatchLine')).toBe('source (parse)');
    expect(stageOf('file:///w/core/dist/dispatch/encode.js', 'encode')).toBe('encode/send');
    expect(stageOf('', '(garbage collector)')).toBe('gc');
    expect(stageOf('file:///w/elsewhere.js', 'x')).toBe('other');
  });

  it('sums self time per stage; builtins take their caller’s stage; idle is not counted', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
        { id: 2, callFrame: frame('toRecord', 'file:///w/core/dist/record/map.js'), children: [3] },
        { id: 3, callFrame: frame('stringify', ''), children: [] },
        { id: 4, callFrame: frame('(idle)', ''), children: [] },
        { id: 5, callFrame: frame('(garbage collector)', ''), children: [] },
      ],
      // Each sample covers the next delta: 2 → 100 µs, 3 → 300, 4 → 1000, 5 → 50, 2 → 0 (last).
      samples: [2, 3, 4, 5, 2],
      timeDeltas: [0, 100, 300, 1000, 50],
    };
    const s = summariseProfile(profile, { events: 10 });
    expect(s.usPerEventByStage).toEqual({ 'pipeline (map+filter+enrich)': 40, gc: 5 });
    expect(s.topFunctions.map((f: { fn: string }) => f.fn)).toEqual(['stringify ', 'toRecord core/dist/record/map.js:1', '(garbage collector) ']);
  });
});

describe('targets', () => {
  it('marks PASS, MISS and scenarios that did not run', () => {
    const rows = evaluate({
      A: { eventsPerSec: 120_000, ratio: 0.5, latency: { p99Ms: 99 } },
      E: { maxRssMb: 130, cpuPercent: 8 },
    });
    const by = Object.fromEntries(rows.map((r: { label: string; status: string }) => [r.label, r.status]));
    expect(by['A throughput']).toBe('PASS');
    expect(by['A pipeline/floor']).toBe('MISS');
    expect(by['A p99 latency @1k ev/s']).toBe('PASS');
    expect(by['E max RSS (redact, 2 sinks)']).toBe('MISS');
    expect(by['E CPU @1k ev/s']).toBe('PASS');
    expect(by['B throughput (redact)']).toBe('not run');
    expect(formatTable(rows).split('\n')).toHaveLength(rows.length + 2);
  });
});

describe('footprint targets (issue 14)', () => {
  it("compares the unlimited k8stream row's CPU and peak RSS with the Go client's row, found by name", () => {
    const rows = (k8streamCpu: number, go: object) => [
      { row: 'minimal Node client (list, parse, re-encode, gzip)', cpuS: 1.5, completed: true },
      { row: 'minimal Go client (stdlib: list, parse, re-encode, gzip)', ...go },
      { row: 'k8stream, no limit', cpuS: k8streamCpu, peakRssMb: 149, completed: true },
      { row: 'k8stream in a 128 MiB cgroup', delivered: 100_000, completed: true },
    ];
    const at = (g: object) => Object.fromEntries(evaluate({ G: g }).map((r: { label: string }) => [r.label, r]));
    const g = (k8streamCpu: number, go: object) => ({ events: 100_000, cgroups: 'v1', rows: rows(k8streamCpu, go), vsNodeClient128: 1.2 });
    expect(at(g(3, { cpuS: 4, completed: true }))['G 100k sync, no limit: CPU vs Go client']).toMatchObject({ measured: 0.8, status: 'PASS' });
    expect(at(g(6, { cpuS: 4, completed: true }))['G 100k sync, no limit: CPU vs Go client']).toMatchObject({ measured: 1.5, status: 'MISS' });
    expect(at(g(3, { cpuS: 4, completed: true }))['G 100k sync, no limit: peak RSS']).toMatchObject({ measured: 149, status: 'PASS' });
    expect(at(g(3, { skipped: 'go is required' }))['G 100k sync, no limit: CPU vs Go client']).toMatchObject({ status: 'skipped (no Go toolchain)' });
  });

  it('an OOM-killed 128 MiB row misses every G target; no cgroups skips them', () => {
    const g = {
      events: 100_000,
      cgroups: 'v1',
      rows: [{ wallS: 6 }, { wallS: 8 }, { wallS: 9 }, { delivered: 75_801, oomKilled: true, completed: false }],
      vsNodeClient128: null,
    };
    const h = { cgroups: 'v1', lost: 0, oomKilled: false };
    const by = (rows: { label: string; status: string; measured: number | null }[]) => Object.fromEntries(rows.map((r) => [r.label, r]));
    const rows = by(evaluate({ G: g, H: h }));
    expect(rows['G 100k sync in 128 MiB: lost']).toMatchObject({ measured: 24_199, status: 'MISS' });
    expect(rows['G 100k sync in 128 MiB: OOM kills']).toMatchObject({ status: 'MISS' });
    expect(rows['G 100k sync in 128 MiB: wall vs Node client']).toMatchObject({ measured: null, status: 'MISS' });
    expect(rows['H steady 1k ev/s, 128 MiB + 250m: lost']).toMatchObject({ status: 'PASS' });
    expect(rows['H steady 1k ev/s, 128 MiB + 250m: OOM kills']).toMatchObject({ status: 'PASS' });
    const skipped = by(evaluate({ G: { ...g, cgroups: false }, H: { cgroups: false } }));
    expect(skipped['G 100k sync in 128 MiB: lost']).toMatchObject({ status: 'skipped (no cgroups)' });
    expect(skipped['H steady 1k ev/s, 128 MiB + 250m: OOM kills']).toMatchObject({ status: 'skipped (no cgroups)' });
  });
});

describe('bench sink', () => {
  it('writes through the file sink, then counts acks, and records per-record latency only while timing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-sink-'));
    try {
      const config = benchSink.validate({ dir, fsync: false, probe: 'unit', delayMs: 20 });
      const sink = await benchSink.create(config, testSinkContext({ name: 'unit', cluster: 'c' }));
      const stamp = new Date(Date.now() - 1000).toISOString();
      const records = sampleRecords(3).map((r: object) => ({ ...r, eventTime: stamp }));
      const batch = await makeTestBatch(records, { format: 'ndjson', compression: 'gzip' }, { sink: 'unit', cluster: 'c' });
      const p = probe('unit');
      await sink.send(batch, testSendContext());
      expect(p).toMatchObject({ acked: 3, batches: 1, latenciesMs: [] }); // not timing: the body is not decoded
      p.timing = true;
      const t0 = performance.now();
      await sink.send(batch, testSendContext());
      expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
      expect(p.acked).toBe(6);
      expect(p.batches).toBe(2);
      expect(p.latenciesMs).toHaveLength(3);
      for (const ms of p.latenciesMs) expect(ms).toBeGreaterThanOrEqual(1000);
      expect((await readdir(dir, { recursive: true })).some((f) => String(f).endsWith('.ndjson.gz'))).toBe(true);
      await sink.close?.();
    } finally {
      dropProbe('unit');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown keys like the file sink does', () => {
    expect(() => benchSink.validate({ dir: '/tmp/x', nope: 1 })).toThrow(/nope/);
  });
});
