/**
 * `stageArchive` over file-sink directories written by the file sink's own `send`, resolved by
 * the core's plugin loader as `k8stream run` resolves it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import fileSink from '@k8stream/sink-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../plugins/api.js';
import { makeTestBatch, sampleRecord, testSendContext, testSinkContext } from '../../testing/index.js';
import { HIVE_LAYOUT, stageArchive } from './index.js';
import type { ArchiveOptions } from './index.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'k8stream-stage-file-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const at = (iso: string) => Date.parse(iso);
const window = (from: string, to: string) => ({ fromMs: at(from), toMs: at(to) });

/** A batch of three records whose earliest event is at `iso`. */
function batchAt(iso: string, cluster = 'demo', i = Date.parse(iso) / 1000): Promise<Batch<unknown>> {
  const records = [0, 1, 2].map((k) => {
    const time = new Date(at(iso) + k * 60_000).toISOString();
    return sampleRecord(i + k, { cluster, firstTimestamp: time, lastTimestamp: time });
  });
  return makeTestBatch(records, undefined, { sink: 'archive', cluster });
}

/** Writes the batches under `dir` (relative to the work dir) with the file sink's own send. */
async function write(dir: string, batches: Batch<unknown>[], pathTemplate?: string): Promise<void> {
  const config = fileSink.validate({ dir, fsync: false, ...(pathTemplate ? { path: pathTemplate } : {}) });
  const instance = await fileSink.create(config, testSinkContext({ name: 'archive', configDir: work }));
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
}

const sorted = (keys: string[]) => [...keys].sort();

const fileKey = (b: Batch<unknown>) => {
  const t = new Date(b.minTimestamp!);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${b.cluster}/${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())}/${p(t.getUTCHours())}/${b.id}${b.extension}`;
};

/** Six hours of one batch per half hour for `demo`, and two batches of `other`. */
async function sixHours(): Promise<{ demo: Batch<unknown>[]; other: Batch<unknown>[] }> {
  const demo: Batch<unknown>[] = [];
  for (let h = 7; h < 13; h++) for (const m of ['05', '35']) demo.push(await batchAt(`2026-12-08T${String(h).padStart(2, '0')}:${m}:00Z`));
  const other = [await batchAt('2026-12-08T10:10:00Z', 'other'), await batchAt('2026-12-08T03:10:00Z', 'other')];
  await write('out', [...demo, ...other]);
  return { demo, other };
}

const base = (extra: Partial<ArchiveOptions>): ArchiveOptions => ({ cwd: work, env: {}, window: window('2026-12-08T10:00:00Z', '2026-12-08T12:00:00Z'), ...extra });

describe('stageArchive: a file-sink directory (--archive DIR)', () => {
  it('lists only the partitions of the window (one hour of look-back) and stages their batch files in place', async () => {
    const { demo } = await sixHours();
    await writeFile(path.join(work, 'out', 'demo', '2026', '12', '08', '10', 'notes.txt'), 'a foreign file');
    const staged = await stageArchive(base({ archive: 'out', cluster: 'demo' }));
    const expected = demo.filter((b) => b.minTimestamp! >= '2026-12-08T09' && b.minTimestamp! < '2026-12-08T12');
    expect(expected).toHaveLength(6);
    expect(staged.files.map((f) => f.key)).toEqual(sorted(expected.map(fileKey)));
    expect(staged.files.map((f) => f.path)).toEqual(sorted(expected.map(fileKey)).map((k) => path.join(work, 'out', ...k.split('/'))));
    expect(staged.files.every((f) => f.extension === '.ndjson.gz')).toBe(true);
    expect(staged.files.map((f) => f.size)).toEqual(staged.files.map((f) => expected.find((b) => fileKey(b) === f.key)!.body.byteLength));
    expect(staged.partitions).toEqual(['demo/2026/12/08/09/', 'demo/2026/12/08/10/', 'demo/2026/12/08/11/']);
    expect(staged.stats).toEqual({ objectsListed: 7, objectsFetched: 6, bytesFetched: expected.reduce((n, b) => n + b.body.byteLength, 0) });
    expect(staged.skipped).toEqual([]);
    expect(staged.clusters).toEqual(['demo']);
    expect(staged.describe).toBe(path.join(work, 'out'));
    expect(new Uint8Array(await readFile(staged.files[0]!.path))).toEqual(expected.find((b) => fileKey(b) === staged.files[0]!.key)!.body);
    await staged.dispose();
    expect(await readFile(staged.files[0]!.path)).toBeDefined();
  });

  it('finds the clusters with one listing when --cluster is left out', async () => {
    const { demo, other } = await sixHours();
    const staged = await stageArchive(base({ archive: path.join(work, 'out'), window: window('2026-12-08T10:30:00Z', '2026-12-08T11:00:00Z') }));
    expect(staged.partitions).toEqual(['demo/2026/12/08/09/', 'demo/2026/12/08/10/', 'other/2026/12/08/09/', 'other/2026/12/08/10/']);
    expect(staged.files.map((f) => f.key)).toEqual(sorted([...demo.slice(4, 8), other[0]!].map(fileKey)));
    expect(staged.clusters).toEqual(['demo', 'other']);
  });

  it("leaves out sibling folders of another layout (the demo's warnings/ and deadletter/ next to its cluster)", async () => {
    const { demo } = await sixHours();
    await write('out/warnings', [await batchAt('2026-12-08T10:40:00Z')]);
    await mkdir(path.join(work, 'out', 'deadletter', 'demo'), { recursive: true });
    const staged = await stageArchive(base({ archive: path.join(work, 'out'), window: window('2026-12-08T10:30:00Z', '2026-12-08T11:00:00Z') }));
    expect(staged.partitions.filter((p) => !p.startsWith('other/'))).toEqual(['demo/2026/12/08/09/', 'demo/2026/12/08/10/']);
    expect(staged.clusters).toEqual(['demo', 'other']);
    expect(staged.files.filter((f) => f.key.startsWith('demo/')).map((f) => f.key)).toEqual(sorted(demo.slice(4, 8).map(fileKey)));
  });

  it('lists a day whose hours are all needed once, at its day level', async () => {
    const { demo } = await sixHours();
    const staged = await stageArchive(base({ archive: 'out', cluster: 'demo', window: window('2026-12-08T01:00:00Z', '2026-12-09T00:00:00Z') }));
    expect(staged.partitions).toEqual(['demo/2026/12/08/']);
    expect(staged.files.map((f) => f.key)).toEqual(sorted(demo.map(fileKey)));
    expect(staged.stats.objectsListed).toBe(12);
  });

  it('reads a window crossing midnight and a month end', async () => {
    const batches = [await batchAt('2026-11-30T22:59:00Z'), await batchAt('2026-11-30T23:30:00Z'), await batchAt('2026-12-01T00:10:00Z'), await batchAt('2026-12-01T01:00:00Z')];
    await write('out', batches);
    const staged = await stageArchive(base({ archive: 'out', cluster: 'demo', window: window('2026-11-30T23:45:00Z', '2026-12-01T00:30:00Z') }));
    expect(staged.partitions).toEqual(['demo/2026/11/30/22/', 'demo/2026/11/30/23/', 'demo/2026/12/01/00/']);
    expect(staged.files.map((f) => f.key)).toEqual(sorted(batches.slice(0, 3).map(fileKey)));
  });

  it('detects the hive layout of a local copy of an S3 prefix', async () => {
    const batches = [await batchAt('2026-12-08T09:30:00Z'), await batchAt('2026-12-08T10:30:00Z'), await batchAt('2026-12-08T13:30:00Z')];
    await write('copy', batches, HIVE_LAYOUT);
    const staged = await stageArchive(base({ archive: 'copy' }));
    expect(staged.partitions).toEqual(['cluster=demo/dt=2026-12-08/hour=09/', 'cluster=demo/dt=2026-12-08/hour=10/', 'cluster=demo/dt=2026-12-08/hour=11/']);
    expect(staged.files.map((f) => f.key)).toEqual(batches.slice(0, 2).map((b) => `cluster=demo/dt=2026-12-08/hour=${b.minTimestamp!.slice(11, 13)}/${b.id}.ndjson.gz`));
    expect(staged.clusters).toEqual(['demo']);
  });

  it('reads a custom layout given with --layout, and rejects an invalid one naming --layout', async () => {
    const batches = [await batchAt('2026-12-08T10:30:00Z'), await batchAt('2026-12-09T10:30:00Z')];
    await write('daily', batches, 'days/{date}/{cluster}-{batchId}{ext}');
    const staged = await stageArchive(base({ archive: 'daily', layout: 'days/{date}/{cluster}-{batchId}{ext}', cluster: 'demo' }));
    expect(staged.partitions).toEqual(['days/2026-12-08/demo-']);
    expect(staged.files.map((f) => f.key)).toEqual([`days/2026-12-08/demo-${batches[0]!.id}.ndjson.gz`]);
    await expect(stageArchive(base({ archive: 'daily', layout: 'days/{day}/{batchId}' }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: expect.stringMatching(/^--layout "days\/\{day\}\/\{batchId\}": unknown placeholder \{day\}/),
    });
  });

  it('checks the time fields of every key when the prefix cannot prune (a {sink} level before the time)', async () => {
    const template = '{sink}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}';
    const batches = [await batchAt('2026-12-08T08:30:00Z'), await batchAt('2026-12-08T09:30:00Z'), await batchAt('2026-12-08T11:30:00Z'), await batchAt('2026-12-08T12:00:00Z')];
    await write('bysink', batches, template);
    const staged = await stageArchive(base({ archive: 'bysink', layout: template }));
    expect(staged.partitions).toEqual(['']);
    expect(staged.stats.objectsListed).toBe(4);
    expect(staged.files.map((f) => f.key)).toEqual(batches.slice(1, 3).map((b) => `archive/2026/12/08/${b.minTimestamp!.slice(11, 13)}/${b.id}.ndjson.gz`));
  });

  it('answers an empty window with the partitions it looked at', async () => {
    await sixHours();
    const staged = await stageArchive(base({ archive: 'out', cluster: 'demo', window: window('2026-12-09T10:00:00Z', '2026-12-09T11:00:00Z') }));
    expect(staged.files).toEqual([]);
    expect(staged.partitions).toEqual(['demo/2026/12/09/09/', 'demo/2026/12/09/10/']);
    expect(staged.stats).toEqual({ objectsListed: 0, objectsFetched: 0, bytesFetched: 0 });
  });

  it('fails with ARCHIVE_UNAVAILABLE naming a missing directory', async () => {
    await expect(stageArchive(base({ archive: 'nowhere' }))).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: `file archive ${path.join(work, 'nowhere')}: no such directory`,
    });
  });

  it('fails with ARCHIVE_UNAVAILABLE for an empty directory, rather than answering "no data"', async () => {
    await mkdir(path.join(work, 'empty'));
    await expect(stageArchive(base({ archive: 'empty', cluster: 'demo' }))).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: `${path.join(work, 'empty')}: holds nothing: no such prefix, or nothing was archived there yet`,
    });
  });

  it('rejects an empty window and options that do not fit the location', async () => {
    await expect(stageArchive(base({ archive: 'out', window: { fromMs: 10, toMs: 10 } }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: 'the window 1970-01-01T00:00:00.010Z to 1970-01-01T00:00:00.010Z is empty: --to must come after --from',
    });
    await expect(stageArchive(base({ archive: 'out', region: 'eu-west-1' }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: '--region only applies to --archive s3://…, not to out',
    });
    await expect(stageArchive(base({ archive: 'out', sink: 'archive' }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: '--archive and --sink are exclusive: give one',
    });
  });

  it('shows progress on the stream it is given, ending the line', async () => {
    await sixHours();
    let text = '';
    const progress = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    await stageArchive(base({ archive: 'out', cluster: 'demo', progress }));
    expect(text.startsWith('\r')).toBe(true);
    expect(text.endsWith('\rlisted 6 objects in 3 partitions · fetched 6/6 · 0.0 MB\x1b[K\n')).toBe(true);
  });
});

describe('stageArchive: a sink of the .k8streamrc (--sink NAME)', () => {
  const rc = (sinks: unknown[]) => writeFile(path.join(work, '.k8streamrc.json'), JSON.stringify({ cluster: 'demo', sinks }));

  it('reads the named sink with its own config (dir relative to the config file, its path template, the config cluster)', async () => {
    const { demo } = await sixHours();
    await mkdir(path.join(work, 'sub'));
    await rc([
      { name: 'stdout', use: 'stdout' },
      { name: 'archive', use: 'file', config: { dir: 'out' } },
    ]);
    const staged = await stageArchive({ ...base({ sink: 'archive' }), cwd: path.join(work, 'sub') });
    expect(staged.clusters).toEqual(['demo']);
    expect(staged.files.map((f) => f.key)).toEqual(sorted(demo.slice(4, 10).map(fileKey)));
    expect(staged.describe).toBe(path.join(work, 'out'));
  });

  it('takes the only sink that can be read back when neither --archive nor --sink is given; --cluster overrides the config', async () => {
    const { other } = await sixHours();
    await rc([{ use: 'stdout' }, { use: 'file', config: { dir: 'out' } }]);
    const staged = await stageArchive(base({ cluster: 'other' }));
    expect(staged.files.map((f) => f.key)).toEqual([fileKey(other[0]!)]);
  });

  it("needs only the sinks' and the cluster's variables: an unset kubeconfig variable does not stop it, an unset sink one does", async () => {
    const { demo } = await sixHours();
    const write = (dir: string) =>
      writeFile(
        path.join(work, '.k8streamrc.json'),
        JSON.stringify({ cluster: 'demo', source: { type: 'kubernetes', kubeconfig: '${K8STREAM_TEST_KUBECONFIG}' }, sinks: [{ name: 'archive', use: 'file', config: { dir } }] }),
      );
    await write('out');
    const staged = await stageArchive(base({ sink: 'archive' }));
    expect(staged.files.map((f) => f.key)).toEqual(sorted(demo.slice(4, 10).map(fileKey)));
    await write('${K8STREAM_TEST_OUT}');
    await expect(stageArchive(base({ sink: 'archive' }))).rejects.toMatchObject({ code: 'CONFIG_INTERPOLATION', message: expect.stringContaining('K8STREAM_TEST_OUT') as unknown });
  });

  it('loads the config given with configPath', async () => {
    await sixHours();
    await mkdir(path.join(work, 'conf'));
    await writeFile(path.join(work, 'conf', 'k8stream.yaml'), 'cluster: demo\nsinks:\n  - use: file\n    name: archive\n    config: { dir: ../out }\n');
    const staged = await stageArchive(base({ sink: 'archive', configPath: 'conf/k8stream.yaml' }));
    expect(staged.files).toHaveLength(6);
  });

  it('names the choices when there are several sinks to read, or none', async () => {
    await rc([
      { name: 'a', use: 'file', config: { dir: 'a' } },
      { name: 'b', use: 'file', config: { dir: 'b' } },
    ]);
    await expect(stageArchive(base({}))).rejects.toMatchObject({ code: 'ARGUMENT_INVALID', message: expect.stringContaining('has 2 sinks that can be read back: a, b') });
    await rc([{ name: 'out', use: 'stdout' }]);
    await expect(stageArchive(base({}))).rejects.toMatchObject({ code: 'ARGUMENT_INVALID', message: expect.stringContaining('no sink of') });
  });

  it('fails with ARCHIVE_UNAVAILABLE for a sink whose plugin cannot read back, ARGUMENT_INVALID for an unknown name', async () => {
    await rc([{ name: 'console', use: 'stdout' }]);
    await expect(stageArchive(base({ sink: 'console' }))).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: expect.stringMatching(/^sink "console" uses @k8stream\/sink-stdout@[\d.]+, which cannot read back what it wrote/),
    });
    await expect(stageArchive(base({ sink: 'nope' }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: `--sink nope: no sink of that name in ${path.join(work, '.k8streamrc.json')} (sinks: console)`,
    });
  });
});
