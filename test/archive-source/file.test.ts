// The archive source over a file-sink directory: a 600-event, 3-hour archive recorded by the real
// pipeline is replayed through `redact` into a new file sink: every record exactly once, with its
// recorded id and cluster, redacted; nothing enriched again; the run ends by itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../plugins/sink-file/src/read-back.fixture.js';
import type { InputEvent } from '../cloud/helpers/pipeline.fixture.js';
import { BATCH, EVENTS, HOURS, expectExactReplay, readDeadLetter, readOut, recordArchive, runArchive } from './helpers.fixture.js';

let dir: string;
let input: InputEvent[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-archive-source-'));
  input = await recordArchive(dir, { use: 'file', config: { dir: join(dir, 'archive') } });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('archive source: file directory', () => {
  it('replays every archived record once, through the transform, into the new sink', async () => {
    const objects = await listFiles(join(dir, 'archive'));
    expect(objects).toHaveLength(EVENTS / BATCH);
    const run = join(dir, 'run1');
    const summary = await runArchive(run, { location: join(dir, 'archive') });

    expect(summary.counters.received).toBe(EVENTS);
    expect(summary.counters.records).toBe(EVENTS);
    expect(summary.counters.invalid).toBe(0);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(EVENTS);
    expect(summary.sinks[0]!.flushed).toBe(true);
    const out = await readOut(run);
    expect(expectExactReplay(out, input)).toBeNull();
    // Unhealthy messages carry an IPv4 address: 1 event in 5.
    expect(out.filter((r) => r.message.includes('[REDACTED:ipv4]'))).toHaveLength(EVENTS / 5);
    await expect(readDeadLetter(run)).resolves.toEqual([]);
  });

  it('replays only the window: one hour of three', async () => {
    const run = join(dir, 'run-hour');
    const from = new Date(Date.UTC(2026, 10, 27, 13, 0, 0)).toISOString();
    const to = new Date(Date.UTC(2026, 10, 27, 14, 0, 0)).toISOString();
    const summary = await runArchive(run, { location: join(dir, 'archive'), from, to });
    const inHour = input.filter((e) => e.lastTimestamp >= from && e.lastTimestamp < to);
    expect(inHour).toHaveLength(EVENTS / HOURS);
    expect(summary.counters.records).toBe(EVENTS / HOURS);
    const out = await readOut(run);
    expect(expectExactReplay(out, inHour)).toBeNull();
  });

  it("the issue's flat form: archive as a string, the window as dates at source level", async () => {
    const run = join(dir, 'run-flat');
    // 2026-11-27 (a date: UTC midnight) to the next day: the whole recording.
    const source = { type: 'archive', archive: join(dir, 'archive'), from: '2026-11-27', to: '2026-11-28' };
    const summary = await runArchive(run, {}, { source });
    expect(summary.counters.records).toBe(EVENTS);
    // A whole day is one listing (one partition), plus the look-back hour before it.
    expect(summary.archive).toMatchObject({ partitions: 2, partitionsDone: 2, objectsRead: EVENTS / BATCH, records: EVENTS });
    expect(expectExactReplay(await readOut(run), input)).toBeNull();
  });

  it('a location with nothing in the window fails with one line saying why', async () => {
    const run = join(dir, 'run-empty');
    const from = '2027-01-01T00:00:00Z';
    await expect(runArchive(run, { location: join(dir, 'archive'), from, to: '2027-01-01T01:00:00Z' })).rejects.toThrow(
      /nothing to replay: no archived batch between 2027-01-01T00:00:00Z and 2027-01-01T01:00:00Z/,
    );
    await expect(runArchive(run, { location: join(dir, 'no-such-dir') })).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE' });
  });
});
