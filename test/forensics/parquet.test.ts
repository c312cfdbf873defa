// The forensics commands over Parquet archives: the scripted incident goes through the real
// pipeline into two file sinks at once, one writing gzip NDJSON, one Parquet (zstd inside);
// `query`, `timeline` and `report` must answer the same from either, and from an archive mixing
// both (a sink switched to Parquet mid-way: some objects of each under the same prefix). A
// truncated Parquet object is left out, counted and named, and the rest answered.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedStory } from '@k8stream/apiserver-double';
import { decodeParquet } from '../../core/src/dispatch/parquet/reader.js';
import type { TimelineData } from '../../core/src/forensics/types.js';
import { k8stream, k8streamJson, timelineAnswer } from './helpers/cli.fixture.js';
import { recordStory } from './helpers/story-archives.fixture.js';
import type { StoryArchives } from './helpers/story-archives.fixture.js';

let rec: StoryArchives;
let expected: ExpectedStory;
let scratch: string;
/** The archives compared: NDJSON only, Parquet only, and mixed. */
let archives: { ndjson: string; parquet: string; mixed: string };
/** Rows of the mixed archive beyond one per record: records whose NDJSON and Parquet objects were both copied. */
let mixedRepeats: number;
/** Every object of both sinks under one prefix. */
let both: string;

/** Every file under `dir`, as paths relative to it, sorted (the file sink names batches by time first). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The ids of the records a batch file holds. */
async function idsIn(path: string): Promise<string[]> {
  const body = await readFile(path);
  const records = path.endsWith('.parquet')
    ? await decodeParquet(body)
    : gunzipSync(body)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown);
  return records.map((r) => (r as { id: string }).id);
}

async function copy(from: string, to: string, name: string): Promise<void> {
  await mkdir(dirname(join(to, name)), { recursive: true });
  await cp(join(from, name), join(to, name));
}

/**
 * The mixed archive: the first half of the NDJSON objects (in time order), then every Parquet
 * object holding a record those do not. The two sinks close their batches independently, so
 * a Parquet object may repeat records of a copied NDJSON one: counted, as the engine must.
 */
async function writeMixed(ndjsonDir: string, parquetDir: string, to: string): Promise<number> {
  const ndjson = await filesUnder(ndjsonDir);
  const covered = new Set<string>();
  let rows = 0;
  for (const name of ndjson.slice(0, Math.ceil(ndjson.length / 2))) {
    for (const id of await idsIn(join(ndjsonDir, name))) covered.add(id);
    await copy(ndjsonDir, to, name);
  }
  rows += covered.size;
  for (const name of await filesUnder(parquetDir)) {
    const ids = await idsIn(join(parquetDir, name));
    if (ids.every((id) => covered.has(id))) continue;
    rows += ids.length;
    await copy(parquetDir, to, name);
  }
  return rows - new Set([...covered, ...(await Promise.all((await filesUnder(to)).map((n) => idsIn(join(to, n))))).flat()]).size;
}

beforeAll(async () => {
  rec = await recordStory({ parquet: true });
  expected = rec.story.expected;
  scratch = await mkdtemp(join(tmpdir(), 'k8stream-parquet-forensics-'));
  const mixed = join(scratch, 'mixed');
  mixedRepeats = await writeMixed(rec.archives.file, rec.parquetArchive!, mixed);
  archives = { ndjson: rec.archives.file, parquet: rec.parquetArchive!, mixed };
  // Every object of both: each record twice, once per format.
  both = join(scratch, 'both');
  await cp(archives.ndjson, both, { recursive: true });
  await cp(archives.parquet, both, { recursive: true });
}, 120_000);
afterAll(async () => {
  await rec?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

type Name = keyof typeof archives;
const NAMES: Name[] = ['ndjson', 'parquet', 'mixed'];
const window = () => ['--from', expected.window.from, '--to', expected.window.to];
const at = (name: Name) => ['--archive', archives[name]];

async function timeline(where: string[], subject: string[] = ['--service', expected.service]): Promise<TimelineData> {
  return (await k8streamJson<TimelineData>(['timeline', ...subject, ...where, ...window(), '--format', 'json'])).value;
}

/** A report page without what differs by archive: its location, the time it was made, the objects and repeats read. */
function normalised(html: string, archive: string): string {
  return html
    .replaceAll(archive, 'ARCHIVE')
    .replace(/<span id="generated-at">[^<]*<\/span>/, '<span id="generated-at"></span>')
    .replace(/<dt>Objects read<\/dt><dd>[^<]*<\/dd>/, '<dt>Objects read</dt><dd></dd>');
}

describe('the story archived as gzip NDJSON and as Parquet by the real pipeline, and mixed', () => {
  it('the Parquet sink wrote .parquet objects holding every write once; the mixed archive has objects of both formats', async () => {
    const writes = rec.story.writes.length;
    expect(rec.summary.sinks.find((s) => s.name === 'parquet')?.stats.eventsSent).toBe(writes);
    const parquet = await filesUnder(archives.parquet);
    expect(parquet.length).toBeGreaterThan(1);
    expect(parquet.every((n) => n.endsWith('.parquet'))).toBe(true);
    const ids = (await Promise.all(parquet.map((n) => idsIn(join(archives.parquet, n))))).flat();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...rec.story.produced].sort());
    const mixed = await filesUnder(archives.mixed);
    expect(mixed.some((n) => n.endsWith('.parquet')) && mixed.some((n) => n.endsWith('.ndjson.gz'))).toBe(true);
  });

  it('query: every column of every record is the same from each archive', async () => {
    const sql = 'SELECT * FROM events ORDER BY id';
    const rows = new Map<Name, unknown[]>();
    for (const name of NAMES) rows.set(name, (await k8streamJson<unknown[]>(['query', ...at(name), ...window(), '--format', 'json', sql])).value);
    expect(rows.get('ndjson')).toHaveLength(expected.records);
    expect(rows.get('parquet'), 'parquet').toEqual(rows.get('ndjson'));
    expect(rows.get('mixed'), 'mixed').toEqual(rows.get('ndjson'));
  });

  it('query: the enrichment, read from Parquet’s JSON column, answers the same nested questions', async () => {
    const sql = `SELECT enrichment.workload.name AS workload, list_contains(enrichment.services, {'name': 'web', 'namespace': 'shop'}) AS web, count(*) AS n
      FROM events GROUP BY ALL ORDER BY ALL`;
    const [ndjson, parquet, mixed] = await Promise.all(NAMES.map(async (name) => (await k8stream(['query', ...at(name), ...window(), '--format', 'csv', sql])).stdout));
    expect(ndjson).toContain('web,true,');
    expect(parquet).toBe(ndjson);
    expect(mixed).toBe(ndjson);
  });

  it('timeline: the same story from each archive, by service, by workload and by node, with the same counts', async () => {
    for (const subject of [
      ['--service', expected.service],
      ['--workload', expected.workload],
      ['--node', 'node-2'],
    ]) {
      const [ndjson, parquet, mixed] = await Promise.all(NAMES.map(async (name) => timeline(at(name), subject)));
      expect(ndjson!.events.length, subject.join(' ')).toBeGreaterThan(0);
      expect(timelineAnswer(parquet!, { repeats: false }), subject.join(' ')).toEqual(timelineAnswer(ndjson!, { repeats: false }));
      expect(timelineAnswer(mixed!, { repeats: false }), subject.join(' ')).toEqual(timelineAnswer(ndjson!, { repeats: false }));
      expect(parquet!.stats.duplicates).toBe(ndjson!.stats.duplicates);
      expect(mixed!.stats.duplicates).toBe(ndjson!.stats.duplicates + mixedRepeats);
    }
    const t = await timeline(at('parquet'));
    expect(t.events).toHaveLength(expected.serviceRecords);
    expect(t.stats).toMatchObject({ records: expected.records, duplicates: 0, malformedLines: 0, foreignRecords: 0, skippedObjects: [] });
  });

  it('an archive holding every record in both formats: each read once, the other counted as a repeat', async () => {
    const sql = 'SELECT * FROM events ORDER BY id';
    const once = (await k8streamJson<unknown[]>(['query', ...at('ndjson'), ...window(), '--format', 'json', sql])).value;
    expect((await k8streamJson<unknown[]>(['query', '--archive', both, ...window(), '--format', 'json', sql])).value).toEqual(once);
    const [ndjson, twice] = await Promise.all([timeline(at('ndjson')), timeline(['--archive', both])]);
    expect(timelineAnswer(twice, { repeats: false })).toEqual(timelineAnswer(ndjson, { repeats: false }));
    expect(twice.stats).toMatchObject({ records: expected.records, duplicates: expected.records });
  });

  it('report: the same page from each archive, but for where it was read from and when', async () => {
    const pages = new Map<Name, string>();
    for (const name of NAMES) {
      const out = join(scratch, `report-${name}.html`);
      const r = await k8stream(['report', '--service', expected.service, ...at(name), ...window(), '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const html = await readFile(out, 'utf8');
      expect(html).toContain(`<span id="event-count">${expected.serviceRecords}</span>`);
      pages.set(name, normalised(html, archives[name]));
    }
    const data = (html: string) => JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { events: unknown[] };
    expect(data(pages.get('ndjson')!).events).toHaveLength(expected.serviceRecords);
    expect(pages.get('parquet')).toBe(pages.get('ndjson'));
    expect(pages.get('mixed')).toBe(pages.get('ndjson'));
  });

  it('a truncated Parquet object is left out, counted and named; the rest is answered', async () => {
    const damaged = join(scratch, 'damaged');
    await cp(archives.parquet, damaged, { recursive: true });
    const objects = await filesUnder(damaged);
    const cut = objects[0]!;
    const lost = await idsIn(join(damaged, cut));
    const body = await readFile(join(damaged, cut));
    await writeFile(join(damaged, cut), body.subarray(0, Math.floor(body.length / 2)));

    const r = await k8stream(['query', '--archive', damaged, ...window(), '--format', 'json', 'SELECT count(*) AS n FROM events']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ n: expected.records - lost.length }]);
    expect(r.stderr).toContain(cut.split('/').pop()!);

    const t = await timeline(['--archive', damaged]);
    expect(t.stats).toMatchObject({ files: objects.length - 1, records: expected.records - lost.length, duplicates: 0, malformedLines: 0, foreignRecords: 0 });
    expect(t.stats.skippedObjects).toEqual([{ key: cut, code: 'EVENT_INVALID', reason: expect.stringMatching(/^not readable as Parquet \(truncated or corrupt\)/) as unknown }]);
  });
});
