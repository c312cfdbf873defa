// `sinks[].buffer: { type: disk }` through the real runtime: events pass through the on-disk
// queue into the sink, and a relative buffer dir resolves against the config directory.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../core/src/runtime.js';
import { validateConfig } from '../core/src/config/index.js';
import { silentLogger } from '../core/src/util/logger.js';
import { benchEvent } from './bench/events.mjs';
import { listFiles, readRecords } from './helpers/archive.js';

const N = 3000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-diskbuf-'));
  const lines = Array.from({ length: N }, (_, i) => JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
  await writeFile(join(dir, 'events.ndjson'), lines.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('disk buffer through the runtime', () => {
  it('delivers every event exactly once and leaves the buffer dir under the config dir', async () => {
    const config = validateConfig({
      source: { type: 'replay', replay: { file: 'events.ndjson' } },
      sinks: [{ name: 'archive', use: 'file', batch: { maxEvents: 500 }, buffer: { type: 'disk', fsync: '100ms' }, config: { dir: './out', fsync: false } }],
      deadLetter: { use: 'file', config: { dir: './dl' } },
    });
    const summary = await run({ config, filepath: join(dir, '.k8streamrc'), dir }, { logger: silentLogger, signal: new AbortController().signal });
    expect(summary.sinks[0]!.stats.eventsSent).toBe(N);
    expect(summary.sinks[0]!.flushed).toBe(true);
    const records = await readRecords((await listFiles(join(dir, 'out'))).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(N);
    expect(new Set(records.map((r) => r.id)).size).toBe(N);
    expect(await readdir(join(dir, 'k8stream-buffer'))).toEqual(['archive']);
  });
});
