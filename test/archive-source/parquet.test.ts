// The archive source over a Parquet archive: recorded by the real pipeline's file sink with
// `encoding.format: parquet`, replayed through `redact` into an NDJSON file sink, exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../plugins/sink-file/src/read-back.fixture.js';
import type { InputEvent } from '../cloud/helpers/pipeline.fixture.js';
import { BATCH, EVENTS, expectExactReplay, readDeadLetter, readOut, recordArchive, runArchive } from './helpers.fixture.js';

let dir: string;
let input: InputEvent[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-archive-parquet-'));
  input = await recordArchive(dir, { use: 'file', encoding: { format: 'parquet', compression: 'zstd' }, config: { dir: join(dir, 'archive') } });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('archive source: Parquet', () => {
  it('replays a Parquet archive exactly once into the new sink', async () => {
    const objects = await listFiles(join(dir, 'archive'));
    expect(objects).toHaveLength(EVENTS / BATCH);
    expect(objects.every((o) => o.endsWith('.parquet'))).toBe(true);
    const summary = await runArchive(dir, { location: join(dir, 'archive') });
    expect(summary.counters.received).toBe(EVENTS);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(EVENTS);
    expect(expectExactReplay(await readOut(dir), input)).toBeNull();
    await expect(readDeadLetter(dir)).resolves.toEqual([]);
  });
});
