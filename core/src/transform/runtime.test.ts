// The transform stage inside the real pipeline: replay source → transforms → file sinks.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { run } from '../runtime.js';
import { silentLogger } from '../util/logger.js';
import { writeWasm } from '../../../test/fixtures/wasm/compile.js';
import { listFiles, readRecords } from '../../../test/helpers/archive.fixture.js';
import { recordKernels } from './kernels.fixture.js';

// Which kernel each worker ran: the default run and the *.sdk.test.ts re-run are checked at the end.
const kernels = recordKernels();

let dir: string;
const N = 300;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-transform-run-'));
  await Promise.all([writeWasm(dir, 'tag'), writeWasm(dir, 'trap')]);
  const lines = Array.from({ length: N }, (_, i) =>
    JSON.stringify({
      type: 'ADDED',
      object: {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: { name: `pod-${i}.event`, namespace: 'shop', uid: `uid-${i}`, resourceVersion: String(100 + i), creationTimestamp: '2026-11-27T12:00:00Z' },
        involvedObject: { kind: 'Pod', namespace: 'shop', name: `pod-${i}`, uid: `pod-uid-${i}`, apiVersion: 'v1' },
        reason: i % 2 === 0 ? 'BackOff' : 'Pulled',
        message: `event ${i}`,
        type: i % 2 === 0 ? 'Warning' : 'Normal',
        count: 1,
        firstTimestamp: '2026-11-27T12:00:00Z',
        lastTimestamp: '2026-11-27T12:00:00Z',
        source: { component: 'kubelet', host: 'node-1' },
      },
    }),
  );
  await writeFile(path.join(dir, 'events.ndjson'), lines.join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runWith(name: string, transforms: unknown[]) {
  const out = path.join(dir, name);
  const config = validateConfig({
    cluster: 'test',
    source: { type: 'replay', replay: { file: './events.ndjson' } },
    transforms,
    sinks: [{ use: 'file', config: { dir: path.join(out, 'archive') }, encoding: { compression: 'none' } }],
    deadLetter: { use: 'file', config: { dir: path.join(out, 'deadletter') } },
  });
  const summary = await run({ config, filepath: null, dir }, { logger: silentLogger, signal: new AbortController().signal });
  return {
    summary,
    delivered: await readRecords(await listFiles(path.join(out, 'archive'))),
    deadLettered: await readRecords(await listFiles(path.join(out, 'deadletter'))),
  };
}

describe('transforms in the pipeline', () => {
  it('delivers what the transform returns', async () => {
    const { summary, delivered, deadLettered } = await runWith('tag', [{ use: './tag.wasm' }]);
    expect(summary.counters).toMatchObject({ received: N, transformed: N, routed: N });
    expect(delivered).toHaveLength(N);
    expect(delivered.every((r) => r.tagged === true && r.schema === 'k8stream.event/v1')).toBe(true);
    expect(new Set(delivered.map((r) => r.id)).size).toBe(N);
    expect(deadLettered).toEqual([]);
  });

  it('dead-letters every event a failing transform receives, and the run completes', async () => {
    const { summary, delivered, deadLettered } = await runWith('trap', [{ use: './trap.wasm', onError: 'deadletter' }]);
    expect(summary.counters).toMatchObject({ received: N, transformed: 0, routed: 0 });
    expect(delivered).toEqual([]);
    expect(deadLettered).toHaveLength(N);
    for (const d of deadLettered) {
      expect(d).toMatchObject({ schema: 'k8stream.deadletter/v1', stage: 'transform', component: 'trap', error: { code: 'TRANSFORM_TRAP' } });
      expect((d.record as { id: string }).id).toBe(d.id);
    }
    expect(summary.deadLetter.stats.eventsSent).toBe(N);
  });

  it('stops the run with TRANSFORM_FAILED under onError: fail', async () => {
    await expect(runWith('fail', [{ use: './trap.wasm', onError: 'fail' }])).rejects.toMatchObject({ code: 'TRANSFORM_FAILED', plugin: 'trap' });
  });
});

describe('kernel', () => {
  it('every transform worker ran on the kernel this run asked for', () => {
    expect(kernels.reported.length).toBeGreaterThan(0);
    expect(kernels.unexpected()).toEqual([]);
  });
});
