/**
 * `stageArchive` over what the real pipeline (`run`, replay source, the file sink) archived over
 * four hours: the pruned listing holds every record of the window, and less than the whole archive.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_MS, CLUSTER, runReplay, writeReplayFile } from '../../../../test/cloud/helpers/pipeline.fixture.js';
import type { InputEvent } from '../../../../test/cloud/helpers/pipeline.fixture.js';
import { decodeBody, encodingForFileName } from '../../testing/index.js';
import { stageArchive } from './index.js';

const HOUR = 3_600_000;
let work: string;
let events: InputEvent[];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'k8stream-stage-pipeline-'));
  const replay = await writeReplayFile(work, 2_000, 4);
  events = replay.events;
  const summary = await runReplay(work, replay.file, { use: 'file', config: { dir: path.join(work, 'out'), fsync: false }, batch: { maxEvents: 100 } });
  const sent = summary.sinks[0]?.stats.eventsSent;
  if (sent !== 2_000) throw new Error(`the pipeline archived ${sent} events, not 2000`);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The ids of every record in the staged files. */
async function idsIn(files: { path: string }[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const f of files) for (const r of decodeBody(await readFile(f.path), encodingForFileName(f.path)!)) ids.add((r as { id: string }).id);
  return ids;
}

describe('stageArchive over a pipeline-written archive', () => {
  it('stages every record of a one-hour window from two hour partitions, not the whole archive', async () => {
    const whole = await stageArchive({ archive: path.join(work, 'out'), cwd: work, env: {}, window: { fromMs: BASE_MS - HOUR, toMs: BASE_MS + 5 * HOUR } });
    const window = { fromMs: BASE_MS + 2 * HOUR, toMs: BASE_MS + 3 * HOUR };
    const staged = await stageArchive({ archive: path.join(work, 'out'), cwd: work, env: {}, cluster: CLUSTER, window });
    const hour = (ms: number) => new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '/');
    expect(staged.partitions).toEqual([`${CLUSTER}/${hour(BASE_MS + HOUR)}/`, `${CLUSTER}/${hour(BASE_MS + 2 * HOUR)}/`]);
    expect(staged.stats.objectsFetched).toBeGreaterThan(0);
    expect(staged.stats.objectsFetched).toBeLessThan(whole.stats.objectsFetched);
    expect(whole.stats.objectsFetched).toBe(whole.stats.objectsListed);
    const inWindow = events.filter((e) => Date.parse(e.lastTimestamp) >= window.fromMs && Date.parse(e.lastTimestamp) < window.toMs);
    expect(inWindow.length).toBeGreaterThan(100);
    const stagedIds = await idsIn(staged.files);
    expect(inWindow.filter((e) => !stagedIds.has(e.id))).toEqual([]);
    expect(await idsIn(whole.files)).toEqual(new Set(events.map((e) => e.id)));
  });
});
