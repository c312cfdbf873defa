// Graceful shutdown: SIGTERM/SIGINT during a run flushes every open batch, then exits 0.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, writeReplayConfig } from './helpers/cli.fixture.js';
import { listFiles, readRecords } from './helpers/archive.fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-shutdown-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const config = (name: string) => writeReplayConfig(dir, name, ['shutdown: { graceMs: 10s }']);

describe.each(['SIGTERM', 'SIGINT'] as const)('%s during a run', (signal) => {
  it('flushes the open batch: every emitted record is in a file, exit 0', async () => {
    const { file, out } = await config(signal);
    const run = startCli(['run', '--config', file, '--log-format', 'json', '--log-level', 'debug']);
    // Wait until at least one full batch was written, so events are flowing and a batch is open.
    await run.waitFor(/"msg":"batch sent"/);
    run.child.kill(signal);
    const { code } = await run.exit;
    expect(code).toBe(0);
    const finished = run
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; emitted?: number })
      .find((l) => l.msg === 'run finished');
    expect(finished?.emitted).toBeGreaterThan(250);
    const records = await readRecords((await listFiles(out)).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(finished!.emitted!);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
  });
});
