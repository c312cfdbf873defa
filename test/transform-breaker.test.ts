// A never-returning transform in a chain, under a steady stream, through the real pipeline
// (replay source at a fixed rate → transforms in worker threads → file sink, dead letter to
// files): its circuit breaker opens, the stream keeps its rate instead of paying a deadline and
// a worker respawn per event, and every produced event is accounted for by its policy.
import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../core/src/config/index.js';
import { run } from '../core/src/runtime.js';
import { recordingLogger } from '../core/src/util/logger.fixture.js';
import { writeWasm } from './fixtures/wasm/compile.js';
import { benchEvent } from './bench/events.mjs';

const RATE = 200; // events/s
const N = 600; // 3 s of stream
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-breaker-'));
  await writeWasm(dir, 'tag');
  await writeWasm(dir, 'loop');
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
  await writeFile(join(dir, 'events.ndjson'), lines.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Every NDJSON record written under `root` (uncompressed files). */
async function records(root: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile() || !e.name.endsWith('.ndjson')) continue;
    for (const line of (await readFile(join(e.parentPath, e.name), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

async function stream(name: string, onError: 'pass' | 'deadletter') {
  const out = join(dir, name);
  const config = validateConfig({
    cluster: 'breaker',
    source: { type: 'replay', replay: { file: './events.ndjson', rate: RATE } },
    transforms: [{ use: './tag.wasm' }, { use: './loop.wasm', timeoutMs: 50, onError }],
    sinks: [{ name: 'archive', use: 'file', batch: { maxAgeMs: 50 }, encoding: { compression: 'none' }, config: { dir: `./${name}/out`, fsync: false } }],
    deadLetter: { use: 'file', config: { dir: `./${name}/dl`, fsync: false } },
    server: { enabled: false },
  });
  const { logger, lines } = recordingLogger();
  const t0 = performance.now();
  const summary = await run({ config, filepath: join(dir, '.k8streamrc'), dir }, { logger, signal: new AbortController().signal });
  const seconds = (performance.now() - t0) / 1000;
  const breaker = lines.filter((l) => l.level !== 'debug' && l.msg.startsWith('transform circuit breaker'));
  const failed = lines.filter((l) => l.msg === 'transform failed');
  return { summary, seconds, breaker, failed, delivered: await records(join(out, 'out')), deadLettered: await records(join(out, 'dl')) };
}

describe('a never-returning transform in a chain, under a steady stream', () => {
  it('onError pass: every event is delivered (tagged by the healthy transform, passed by the other), most without calling the module', async () => {
    const { summary, seconds, breaker, failed, delivered, deadLettered } = await stream('pass', 'pass');
    const produced = summary.counters.records;
    expect(produced).toBe(N);
    expect(delivered).toHaveLength(N);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(N);
    expect(deadLettered).toHaveLength(0);
    expect(new Set(delivered.map((r) => r.id)).size).toBe(N);
    expect(delivered.every((r) => r.tagged === true)).toBe(true);
    // produced == accounted: delivered (all passed by the looping transform) + dead-lettered + dropped.
    expect(summary.counters.transformed).toBe(N);
    // The breaker opened, naming the transform; with 3 s of stream and cool-downs of 1 s, 2 s, …
    // it re-opened at most twice more (each probe times out).
    expect(breaker[0]).toMatchObject({ level: 'warn', msg: 'transform circuit breaker opened', fields: { transform: 'loop', failures: 5, coolDownMs: 1000 } });
    expect(breaker.length).toBeGreaterThanOrEqual(1);
    expect(breaker.every((l) => l.level === 'warn' && l.fields?.transform === 'loop')).toBe(true);
    // Calls that really failed (logged at most once a second, with the count left out): the 5
    // that opened the breaker and one per probe. Without it, all 600 would (each a 50 ms deadline
    // and a new worker). The rate itself is bench K's to measure, not this test's.
    const calledAndFailed = failed.reduce((n, l) => n + 1 + Number(l.fields?.alsoFailedSinceLastLog ?? 0), 0);
    expect(calledAndFailed).toBeGreaterThanOrEqual(5);
    expect(calledAndFailed).toBeLessThan(20);
    console.log(`breaker, onError pass: ${N} events at ${RATE}/s in ${seconds.toFixed(2)} s; breaker log: ${breaker.map((l) => l.msg).join(' | ')}`);
  });

  it('onError deadletter: every event is dead-lettered with the looping transform named, none delivered', async () => {
    const { summary, seconds, breaker, delivered, deadLettered } = await stream('dl', 'deadletter');
    const produced = summary.counters.records;
    expect(produced).toBe(N);
    expect(delivered).toHaveLength(0);
    expect(deadLettered).toHaveLength(N);
    expect(summary.deadLetter.stats.eventsSent).toBe(N);
    expect(new Set(deadLettered.map((l) => l.id)).size).toBe(N);
    for (const l of deadLettered) {
      expect(l).toMatchObject({ stage: 'transform', component: 'loop', error: { code: 'TRANSFORM_TIMEOUT' } });
      // The record the failing transform received: the healthy one's output.
      expect((l.record as Record<string, unknown>).tagged).toBe(true);
    }
    const shortCircuited = deadLettered.filter((l) => /^circuit breaker open/.test((l.error as { message: string }).message)).length;
    expect(shortCircuited).toBeGreaterThan(N - 20);
    expect(summary.counters.transformed).toBe(0);
    expect(breaker[0]).toMatchObject({ level: 'warn', msg: 'transform circuit breaker opened', fields: { transform: 'loop', onError: 'deadletter' } });
    console.log(`breaker, onError deadletter: ${N} events at ${RATE}/s in ${seconds.toFixed(2)} s, ${shortCircuited} short-circuited`);
  });
});
