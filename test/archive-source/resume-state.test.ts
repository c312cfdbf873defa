// The archive source's resume positions, read straight off its stream (a 600-record, 12-object
// file archive; the window has 6 hourly partitions, 3 of them empty): one key per partition, its
// value the count of objects done in key order, then "0" once the partition is finished. A resume
// point of finished partitions and a count inside the next skips exactly those objects; one of the
// older per-object form ({ <object key>: "1" }) is still honoured.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResumePoint } from '../../core/src/checkpoint/position.js';
import { createArchiveSource } from '../../core/src/source/archive-source.js';
import type { ArchiveSource } from '../../core/src/source/archive-source.js';
import { silentLogger } from '../../core/src/util/logger.js';
import { BATCH, EVENTS, REPO, WINDOW, recordArchive } from './helpers.fixture.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-archive-resume-'));
  await recordArchive(dir, { use: 'file', config: { dir: join(dir, 'archive') } });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function source(resume?: ResumePoint): ArchiveSource {
  const config = { ...WINDOW, location: join(dir, 'archive'), cluster: null, endpoint: null, region: null, forcePathStyle: false, layout: null };
  return createArchiveSource(config, { dir: REPO, ...(resume !== undefined ? { resumeFrom: () => resume } : {}) });
}

/** Pulls the whole stream: the positions in order, and the records counted. */
async function drain(s: ArchiveSource): Promise<{ positions: [string, string][]; records: number }> {
  const positions: [string, string][] = [];
  let records = 0;
  for await (const chunk of s.stream({ signal: new AbortController().signal, logger: silentLogger })) {
    records += chunk.length;
    if (chunk.position !== undefined) positions.push([chunk.position.key, chunk.position.rv]);
  }
  return { positions, records };
}

describe('archive source: resume positions', () => {
  it('one key per partition: the objects done in key order, then "0" when it is finished', async () => {
    const { positions, records } = await drain(source());
    expect(records).toBe(EVENTS);
    const partitions = [...new Set(positions.map(([key]) => key))];
    expect(partitions).toHaveLength(6);
    // Each data partition: 1, 2, 3 objects done, then finished; an empty one: finished at once.
    const values = partitions.map((p) => positions.filter(([key]) => key === p).map(([, rv]) => rv));
    expect(values).toEqual([['0'], ['0'], ['1', '2', '3', '0'], ['1', '2', '3', '0'], ['1', '2', '3', '0'], ['0']]);
  });

  it('skips finished partitions and the objects counted inside the next one', async () => {
    const { positions } = await drain(source());
    const partitions = [...new Set(positions.map(([key]) => key))];
    const s = source({ [partitions[0]!]: '0', [partitions[1]!]: '0', [partitions[2]!]: '0', [partitions[3]!]: '2' });
    const { positions: again, records } = await drain(s);
    expect(records).toBe(EVENTS - 6 * BATCH);
    expect(s.counters()).toMatchObject({ partitions: 6, partitionsDone: 6, partitionsResumed: 3, objects: 8, objectsRead: 6, objectsResumed: 2, records: EVENTS - 6 * BATCH });
    // Nothing is said again about the finished partitions; the resumed one goes on from 2.
    expect(again.filter(([key]) => partitions.slice(0, 3).includes(key))).toEqual([]);
    expect(again.filter(([key]) => key === partitions[3]).map(([, rv]) => rv)).toEqual(['3', '0']);
  });

  it('honours a resume point of the older per-object form', async () => {
    const first = await drain(source());
    // The first object of the first data partition: the first name in its directory.
    const partition = [...new Set(first.positions.map(([key]) => key))][2]!;
    const names = (await readdir(join(dir, 'archive', partition))).sort();
    const s = source({ [`${partition}${names[0]!}`]: '1' });
    const { records } = await drain(s);
    expect(records).toBe(EVENTS - BATCH);
    expect(s.counters()).toMatchObject({ objectsResumed: 1, objectsRead: EVENTS / BATCH - 1 });
  });
});
