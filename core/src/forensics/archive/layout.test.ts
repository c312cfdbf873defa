import { describe, expect, it } from 'vitest';
import { renderKeyTemplate } from '../../plugins/key-template.js';
import type { Batch } from '../../plugins/api.js';
import { DEFAULT_LOOK_BACK_MS, compileLayout, extensionOf, inWindow, layoutProblems } from './layout.js';

const FILE = '{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}';
const S3 = '{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}';
const GCS = '{prefix}/cluster={cluster}/dt={yyyy}-{MM}-{dd}/hour={HH}/{batchId}{ext}';
const HIVE_COPY = 'cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}';

const at = (iso: string) => Date.parse(iso);
const win = (from: string, to: string) => ({ fromMs: at(from), toMs: at(to) });

/** A batch as the sinks render it, filed under `minTimestamp`. */
function batch(minTimestamp: string, overrides: Partial<Batch<unknown>> = {}): Batch<unknown> {
  return {
    id: 'b-0123456789abcdef0123',
    sink: 'archive',
    cluster: 'demo',
    records: [],
    count: 0,
    body: new Uint8Array(),
    rawBytes: 0,
    encoding: { format: 'ndjson', compression: 'gzip' },
    contentType: 'application/x-ndjson',
    contentEncoding: 'gzip',
    extension: '.ndjson.gz',
    createdAt: 0,
    minTimestamp,
    maxTimestamp: minTimestamp,
    ...overrides,
  };
}

describe('partitions', () => {
  it('lists one prefix per hour of the file layout, from the hour before the window to the hour of its last instant', () => {
    const layout = compileLayout(FILE);
    expect(layout.partitions(win('2026-12-08T10:00:00Z', '2026-12-08T12:00:00Z'), { cluster: 'demo' })).toEqual([
      'demo/2026/12/08/09/',
      'demo/2026/12/08/10/',
      'demo/2026/12/08/11/',
    ]);
    // A window ending one millisecond into an hour lists that hour too; one starting mid-hour looks back one hour.
    expect(layout.partitions(win('2026-12-08T10:30:00Z', '2026-12-08T11:00:00.001Z'), { cluster: 'demo' })).toEqual([
      'demo/2026/12/08/09/',
      'demo/2026/12/08/10/',
      'demo/2026/12/08/11/',
    ]);
  });

  it('takes the look-back as an option (0: from the window start hour)', () => {
    const layout = compileLayout(FILE);
    expect(layout.partitions(win('2026-12-08T10:00:00Z', '2026-12-08T11:00:00Z'), { cluster: 'demo', lookBackMs: 0 })).toEqual(['demo/2026/12/08/10/']);
    expect(layout.partitions(win('2026-12-08T10:00:00Z', '2026-12-08T11:00:00Z'), { cluster: 'demo', lookBackMs: 3 * 3_600_000 })).toEqual([
      'demo/2026/12/08/07/',
      'demo/2026/12/08/08/',
      'demo/2026/12/08/09/',
      'demo/2026/12/08/10/',
    ]);
  });

  it('renders the S3 hive layout with a prefix of several levels, crossing midnight', () => {
    const layout = compileLayout(S3, { prefix: 'k8s/events/raw' });
    expect(layout.partitions(win('2026-12-08T23:30:00Z', '2026-12-09T01:00:00Z'), { cluster: 'prod-eu-1' })).toEqual([
      'k8s/events/raw/cluster=prod-eu-1/dt=2026-12-08/hour=22/',
      'k8s/events/raw/cluster=prod-eu-1/dt=2026-12-08/hour=23/',
      'k8s/events/raw/cluster=prod-eu-1/dt=2026-12-09/hour=00/',
    ]);
  });

  it('renders the GCS layout across a month and a year end, and drops an empty prefix as rendering does', () => {
    const layout = compileLayout(GCS, { prefix: '' });
    expect(layout.partitions(win('2026-12-31T23:10:00Z', '2027-01-01T00:20:00Z'), { cluster: 'demo' })).toEqual([
      'cluster=demo/dt=2026-12-31/hour=22/',
      'cluster=demo/dt=2026-12-31/hour=23/',
      'cluster=demo/dt=2027-01-01/hour=00/',
    ]);
    expect(compileLayout(FILE).partitions(win('2026-02-28T23:00:00Z', '2026-03-01T00:30:00Z'), { cluster: 'demo' })).toEqual([
      'demo/2026/02/28/22/',
      'demo/2026/02/28/23/',
      'demo/2026/03/01/00/',
    ]);
  });

  it('lists one prefix per day for a template without {HH}', () => {
    const layout = compileLayout('{prefix}/{cluster}/{date}/{batchId}{ext}', { prefix: 'ev' });
    expect(layout.partitions(win('2026-01-30T12:00:00Z', '2026-02-02T00:00:00Z'), { cluster: 'c' })).toEqual(['ev/c/2026-01-30/', 'ev/c/2026-01-31/', 'ev/c/2026-02-01/']);
    // The look-back crosses into the previous day.
    expect(layout.partitions(win('2026-01-30T00:30:00Z', '2026-01-30T02:00:00Z'), { cluster: 'c' })).toEqual(['ev/c/2026-01-29/', 'ev/c/2026-01-30/']);
  });

  it('stops each prefix at the first placeholder without a value ({mm}, {sink}, {cluster})', () => {
    expect(compileLayout('{prefix}/{sink}/{yyyy}{MM}{dd}-{HH}{mm}-{batchId}{ext}', { prefix: 'a/b' }).partitions(win('2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z'))).toEqual([
      'a/b/',
    ]);
    expect(compileLayout('{yyyy}{MM}{dd}-{HH}{mm}-{batchId}{ext}').partitions(win('2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z'))).toEqual(['20260102-02', '20260102-03']);
    expect(compileLayout(S3, { prefix: 'events' }).partitions(win('2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z'))).toEqual(['events/cluster=']);
    expect(compileLayout('{yyyy}/{MM}/{dd}/{HH}/{cluster}/{batchId}{ext}').partitions(win('2026-01-02T03:00:00Z', '2026-01-02T04:00:00Z'))).toEqual([
      '2026/01/02/02/',
      '2026/01/02/03/',
    ]);
  });

  it('renders the cluster as keys hold it, and lists nothing for an empty window', () => {
    expect(compileLayout(FILE).partitions(win('2026-01-02T03:00:00Z', '2026-01-02T03:30:00Z'), { cluster: 'a/b', lookBackMs: 0 })).toEqual(['a_b/2026/01/02/03/']);
    expect(compileLayout(FILE).partitions(win('2026-01-02T03:00:00Z', '2026-01-02T03:00:00Z'), { cluster: 'demo' })).toEqual([]);
  });

  it('lists a day whose 24 hours are all needed once, at its day level', () => {
    const layout = compileLayout(S3, { prefix: 'events' });
    expect(layout.partitions(win('2026-12-08T00:00:00Z', '2026-12-10T02:00:00Z'), { cluster: 'demo' })).toEqual([
      'events/cluster=demo/dt=2026-12-07/hour=23/',
      'events/cluster=demo/dt=2026-12-08/hour=',
      'events/cluster=demo/dt=2026-12-09/hour=',
      'events/cluster=demo/dt=2026-12-10/hour=00/',
      'events/cluster=demo/dt=2026-12-10/hour=01/',
    ]);
    // Not when the day has no level of its own (the hour comes first): then hour by hour.
    const hourFirst = compileLayout('{HH}/{date}/{batchId}{ext}').partitions(win('2026-12-08T00:00:00Z', '2026-12-09T00:00:00Z'), { lookBackMs: 0 });
    expect(hourFirst).toHaveLength(24);
    expect(hourFirst[0]).toBe('00/2026-12-08/');
  });

  it('covers a year-long window with one listing per day', () => {
    const list = compileLayout(FILE).partitions(win('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'), { cluster: 'demo', lookBackMs: 0 });
    expect(list).toHaveLength(365);
    expect(list.at(-1)).toBe('demo/2026/12/31/');
    expect(compileLayout(FILE).partitions(win('2026-01-01T00:30:00Z', '2027-01-01T00:00:00Z'), { cluster: 'demo' })).toHaveLength(1 + 365);
  });
});

describe('prefixFor', () => {
  it('agrees with the key the sinks render, for every layout', () => {
    for (const [template, extra] of [
      [FILE, {}],
      [S3, { prefix: 'events' }],
      [S3, { prefix: '' }],
      [GCS, { prefix: 'x/y' }],
      [HIVE_COPY, {}],
      ['{prefix}/{cluster}/{date}/{batchId}{ext}', { prefix: 'ev' }],
    ] as const) {
      const key = renderKeyTemplate(template, batch('2026-06-07T08:09:10Z'), extra);
      const prefix = compileLayout(template, extra).prefixFor({ cluster: 'demo', yyyy: '2026', MM: '06', dd: '07', HH: '08', date: '2026-06-07' });
      expect(key.startsWith(prefix), `${key} starts with ${prefix}`).toBe(true);
      expect(key.slice(prefix.length)).toBe('b-0123456789abcdef0123.ndjson.gz');
    }
  });
});

describe('match', () => {
  it('reads the cluster, the extension and the partition hour of a rendered key', () => {
    const layout = compileLayout(S3, { prefix: 'events' });
    const key = renderKeyTemplate(S3, batch('2026-12-08T10:59:00Z', { cluster: 'prod-eu-1', extension: '.json.zst' }), { prefix: 'events' });
    expect(layout.match(key)).toEqual({ cluster: 'prod-eu-1', extension: '.json.zst', startMs: at('2026-12-08T10:00:00Z'), endMs: at('2026-12-08T11:00:00Z') });
    const parquet = renderKeyTemplate(S3, batch('2026-12-08T10:59:00Z', { cluster: 'prod-eu-1', extension: '.parquet' }), { prefix: 'events' });
    expect(layout.match(parquet)).toEqual({ cluster: 'prod-eu-1', extension: '.parquet', startMs: at('2026-12-08T10:00:00Z'), endMs: at('2026-12-08T11:00:00Z') });
    expect(layout.match(`${parquet}.gz`)).toBeNull();
  });

  it('takes the day for the span of a template without {HH}, the minute for one with {mm}', () => {
    const day = compileLayout('{cluster}/{date}/{batchId}{ext}').match('c/2026-02-28/b-1.ndjson');
    expect(day).toMatchObject({ startMs: at('2026-02-28T00:00:00Z'), endMs: at('2026-03-01T00:00:00Z') });
    const minute = compileLayout('{yyyy}{MM}{dd}-{HH}{mm}-{batchId}{ext}').match('20260102-0304-b-1.json.gz');
    expect(minute).toMatchObject({ cluster: null, startMs: at('2026-01-02T03:04:00Z'), endMs: at('2026-01-02T03:05:00Z') });
  });

  it('rejects foreign keys: other extensions, other shapes, impossible dates, disagreeing fields', () => {
    const layout = compileLayout(FILE);
    expect(layout.match('demo/2026/12/08/10/b-1.ndjson.gz')).not.toBeNull();
    expect(layout.match('demo/2026/12/08/10/notes.txt')).toBeNull();
    expect(layout.match('demo/2026/12/08/10/b-1.ndjson.gz.tmp-0123456789ab')).toBeNull();
    expect(layout.match('demo/2026/12/08/10/extra/b-1.ndjson.gz')).toBeNull();
    expect(layout.match('demo/2026/02/30/10/b-1.ndjson.gz')).toBeNull();
    expect(layout.match('demo/2026/13/01/10/b-1.ndjson.gz')).toBeNull();
    expect(layout.match('demo/2026/12/08/24/b-1.ndjson.gz')).toBeNull();
    expect(layout.match('demo/26/12/08/10/b-1.ndjson.gz')).toBeNull();
    expect(compileLayout('{date}/{yyyy}/{batchId}{ext}').match('2026-01-02/2025/b.json')).toBeNull();
    expect(compileLayout('{date}/{yyyy}/{batchId}{ext}').match('2026-01-02/2026/b.json')).toMatchObject({ startMs: at('2026-01-02T00:00:00Z') });
    expect(compileLayout(S3, { prefix: 'events' }).match('other/cluster=demo/dt=2026-12-08/hour=10/b.ndjson.gz')).toBeNull();
  });

  it('matches only the given cluster, which makes {cluster}-{batchId} unambiguous', () => {
    const layout = compileLayout('{date}/{cluster}-{batchId}{ext}');
    expect(layout.match('2026-12-08/demo-b-1.ndjson', 'demo')).toMatchObject({ cluster: 'demo' });
    expect(layout.match('2026-12-08/demo-b-1.ndjson', 'other')).toBeNull();
    expect(compileLayout(FILE).match('a_b/2026/12/08/10/b.json', 'a/b')).toMatchObject({ cluster: 'a_b' });
  });

  it('spans everything for a template without time fields', () => {
    expect(compileLayout('{cluster}/{batchId}{ext}').match('c/b.ndjson')).toEqual({ cluster: 'c', extension: '.ndjson', startMs: -Infinity, endMs: Infinity });
  });
});

describe('inWindow', () => {
  const span = { startMs: at('2026-12-08T09:00:00Z'), endMs: at('2026-12-08T10:00:00Z') };
  it('keeps the hour before the window (look-back) and drops hours outside it', () => {
    expect(inWindow(span, win('2026-12-08T10:00:00Z', '2026-12-08T11:00:00Z'))).toBe(true);
    expect(inWindow(span, win('2026-12-08T10:00:00Z', '2026-12-08T11:00:00Z'), 0)).toBe(false);
    expect(inWindow(span, win('2026-12-08T11:00:00Z', '2026-12-08T12:00:00Z'))).toBe(false);
    expect(inWindow(span, win('2026-12-08T08:00:00Z', '2026-12-08T09:00:00Z'))).toBe(false);
    expect(inWindow(span, win('2026-12-08T08:00:00Z', '2026-12-08T09:00:00.001Z'))).toBe(true);
    expect(DEFAULT_LOOK_BACK_MS).toBe(3_600_000);
  });
});

describe('clusterDiscovery', () => {
  it('lists the level of {cluster} when it comes before the time fields', () => {
    const hive = compileLayout(S3, { prefix: 'events' }).clusterDiscovery()!;
    expect(hive.prefix).toBe('events/cluster=');
    expect(hive.clusterOf('events/cluster=prod-eu-1/')).toBe('prod-eu-1');
    expect(hive.clusterOf('events/other/')).toBeNull();
    const file = compileLayout(FILE).clusterDiscovery()!;
    expect(file.prefix).toBe('');
    expect(file.clusterOf('demo/')).toBe('demo');
    const suffixed = compileLayout('{cluster}-events/{yyyy}/{batchId}{ext}').clusterDiscovery()!;
    expect(suffixed.clusterOf('a-events/')).toBe('a');
    expect(suffixed.clusterOf('a-logs/')).toBeNull();
  });

  it('checks the level below a cluster against the template, when there is one', () => {
    const file = compileLayout(FILE).clusterDiscovery()!;
    expect(file.fitsBelow!('2026')).toBe(true);
    expect(file.fitsBelow!('demo')).toBe(false);
    const hive = compileLayout(S3, { prefix: 'events' }).clusterDiscovery()!;
    expect(hive.fitsBelow!('dt=2026-12-08')).toBe(true);
    expect(hive.fitsBelow!('2026')).toBe(false);
    expect(compileLayout('{cluster}/{batchId}{ext}').clusterDiscovery()!.fitsBelow).toBeNull();
  });

  it('is not needed when the time comes first or there is no {cluster}', () => {
    expect(compileLayout('{yyyy}/{MM}/{dd}/{HH}/{cluster}/{batchId}{ext}').clusterDiscovery()).toBeNull();
    expect(compileLayout('{yyyy}/{batchId}{ext}').clusterDiscovery()).toBeNull();
    expect(compileLayout('{yyyy}/{batchId}{ext}').hasCluster).toBe(false);
  });
});

describe('extensionOf and layoutProblems', () => {
  it('knows the seven batch extensions', () => {
    expect(
      ['a.ndjson', 'a.ndjson.gz', 'a.ndjson.zst', 'a.json', 'a.json.gz', 'a.json.zst', 'a.parquet', 'a.txt', 'a.gz', '.json', '.parquet', 'a.parquet.gz'].map(extensionOf),
    ).toEqual(['.ndjson', '.ndjson.gz', '.ndjson.zst', '.json', '.json.gz', '.json.zst', '.parquet', null, null, null, null, null]);
  });

  it("reports a template's problems with the sinks' own check", () => {
    expect(layoutProblems('{cluster}/{day}/{batchId}', [])).toEqual([expect.stringContaining('unknown placeholder {day}')]);
    expect(layoutProblems(S3, ['prefix'])).toEqual([]);
  });
});
