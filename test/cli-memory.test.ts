// The `k8stream run` binary under a memory limit (issue 14): it reads the limit, re-execs itself
// with a V8 heap that fits, and says what it chose in one start-up line. The limit is simulated
// with K8STREAM_MEMORY_LIMIT (what a cgroup would say; the cgroup reading is unit-tested).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.fixture.js';

const MiB = 1024 * 1024;

interface MemoryLine {
  msg: string;
  limitBytes: number | null;
  limitSource: string;
  heapSizeLimit: number;
  heapSetBy: string;
  heapBudgetMb?: number;
  queueMaxBytes: number;
  transformWorkers: number;
  trackedEvents: number;
  mallocMmapThreshold: string | null;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-cli-memory-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the demo replay config (or `config`) to its end with `env`; returns the exit code and the memory line. */
async function runDemo(env: NodeJS.ProcessEnv, config = 'examples/demo/replay.k8streamrc'): Promise<{ code: number | null; stderr: string; memory: MemoryLine[] }> {
  const out = await mkdtemp(join(dir, 'out-'));
  // NODE_OPTIONS of the test runner must not decide for the child.
  const r = await runCli(['run', '--config', config, '--log-format', 'json'], {
    env: { K8STREAM_DEMO_OUT: out, NODE_OPTIONS: '', K8STREAM_HEAP_REEXEC: undefined, ...env },
  });
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string });
  return { code: r.code, stderr: r.stderr, memory: lines.filter((l): l is MemoryLine => l.msg.startsWith('memory: ')) };
}

describe('k8stream run under a memory limit', () => {
  it('128Mi: re-execs with --max-old-space-size from the budget and says so in one line', async () => {
    const r = await runDemo({ K8STREAM_MEMORY_LIMIT: '128Mi' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.memory).toHaveLength(1);
    const m = r.memory[0]!;
    expect(m).toMatchObject({
      limitBytes: 128 * MiB,
      limitSource: 'K8STREAM_MEMORY_LIMIT',
      heapSetBy: 're-exec',
      heapBudgetMb: 70,
      queueMaxBytes: 8 * MiB,
      transformWorkers: 0,
      trackedEvents: 131_072,
      mallocMmapThreshold: '131072', // fixed by the re-exec (heap-limit.ts MALLOC_ENV)
    });
    // V8's heap_size_limit in the process that ran: old space 70 MB plus a 3 × 4 MB young
    // generation (without the re-exec it is ~4 GB here, ~259 MB in a 128 MiB cgroup).
    expect(m.heapSizeLimit).toBe(82 * MiB);
    expect(m.msg).toMatch(
      /^memory: limit 128 MiB \(K8STREAM_MEMORY_LIMIT\); heap limit \d+ MiB \(re-exec\); queues 8 MiB per sink(; up to 131,072 tracked events per watch)?; no transform workers$/,
    );
  });

  it('128Mi with a transform: re-execs once more, after reading the config, with a heap that leaves its worker room', async () => {
    const config = join(dir, 'with-transform.yaml');
    const demo = join(process.cwd(), 'examples/demo/events.json');
    await writeFile(
      config,
      [
        'cluster: t',
        `source: { type: replay, replay: { file: ${demo} } }`,
        'transforms: [{ use: redact }]',
        `sinks: [{ name: archive, use: file, config: { dir: ${join(dir, 'with-transform')} } }]`,
        `deadLetter: { use: file, config: { dir: ${join(dir, 'with-transform-dl')} } }`,
        '',
      ].join('\n'),
    );
    const r = await runDemo({ K8STREAM_MEMORY_LIMIT: '128Mi' }, config);
    expect(r.code, r.stderr).toBe(0);
    expect(r.memory).toHaveLength(1); // the first process logged nothing before it was replaced
    const m = r.memory[0]!;
    // (128 − 24 MiB for the worker) × 55% = 57 MB old space; semi-space 104/32 = 3 MB.
    expect(m).toMatchObject({ heapSetBy: 're-exec', heapBudgetMb: 57, transformWorkers: 1 });
    expect(m.heapSizeLimit).toBe(69 * MiB); // 57 + 3 × 4 (V8 rounds the semi-space up to a power of two), in the process that ran
  });

  it('an operator-set --max-old-space-size wins: no re-exec', async () => {
    const r = await runDemo({ K8STREAM_MEMORY_LIMIT: '128Mi', NODE_OPTIONS: '--max-old-space-size=100 --max-semi-space-size=2' });
    expect(r.code, r.stderr).toBe(0);
    const m = r.memory[0]!;
    expect(m.heapSetBy).toBe('operator');
    expect(m.heapSizeLimit).toBe(106 * MiB);
    expect(m.mallocMmapThreshold).toBeNull(); // not re-executed: the environment is the operator's
  });

  it('no limit: a 1 GiB old space (re-exec), 64 MiB queues and 1,000,000 tracked events; an operator-set malloc threshold stays', async () => {
    const r = await runDemo({ K8STREAM_MEMORY_LIMIT: 'none', MALLOC_MMAP_THRESHOLD_: '65536' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.memory[0]).toMatchObject({
      limitBytes: null,
      heapSetBy: 're-exec',
      heapBudgetMb: 1024,
      queueMaxBytes: 64 * MiB,
      trackedEvents: 1_000_000,
      mallocMmapThreshold: '65536',
    });
    // 1024 MB old space plus a 3 × 8 MB young generation.
    expect(r.memory[0]!.heapSizeLimit).toBe(1048 * MiB);
  });

  it('an invalid K8STREAM_MEMORY_LIMIT fails the run with a clear message', async () => {
    const r = await runDemo({ K8STREAM_MEMORY_LIMIT: 'lots' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('K8STREAM_MEMORY_LIMIT: expected a size');
  });
});
