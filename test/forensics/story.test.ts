// The forensics commands end to end, on an incident whose story is known: the scripted incident
// (test/apiserver/src/story.ts) goes through the real pipeline into a file, an S3 and a GCS
// archive at once; `k8stream timeline`, `query` and `report` must then tell that story — the
// same answers from all three archives, read by location (`--archive`) or by the run's own sink
// config (`--sink NAME -c FILE`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedStory } from '@k8stream/apiserver-double';
import type { TimelineData } from '../../core/src/forensics/types.js';
import { k8stream, k8streamJson, timelineAnswer } from './helpers/cli.fixture.js';
import { SINKS, recordStory } from './helpers/story-archives.fixture.js';
import type { StoryArchives } from './helpers/story-archives.fixture.js';

let rec: StoryArchives;
let expected: ExpectedStory;

beforeAll(async () => {
  rec = await recordStory();
  expected = rec.story.expected;
}, 120_000);
afterAll(() => rec?.close());

type ArchiveName = keyof StoryArchives['archives'];
const ARCHIVES: ArchiveName[] = ['file', 's3', 'gcs'];
/** Which sink of the run's config wrote each archive. */
const SINK_OF: Record<ArchiveName, (typeof SINKS)[number]> = { file: 'archive', s3: 's3', gcs: 'gcs' };

/** `--archive` and the options it needs, for one archive. */
function at(name: ArchiveName): string[] {
  return ['--archive', rec.archives[name], ...(name === 's3' ? rec.s3Options : [])];
}
const window = () => ['--from', expected.window.from, '--to', expected.window.to];
const iso = (t: string) => new Date(t).toISOString();

async function timeline(where: string[], subject: string[] = ['--service', expected.service]): Promise<TimelineData> {
  return (await k8streamJson<TimelineData>(['timeline', ...subject, ...where, ...window(), '--format', 'json'])).value;
}

const REASONS_SQL = 'SELECT reason, count(*) AS n FROM events GROUP BY reason ORDER BY reason';
async function reasonCounts(where: string[]): Promise<Record<string, number>> {
  const { value } = await k8streamJson<{ reason: string; n: number | string }[]>(['query', ...where, ...window(), '--format', 'json', REASONS_SQL]);
  return Object.fromEntries(value.map((r) => [r.reason, Number(r.n)]));
}

describe('the story, archived by the real pipeline into file, S3 and GCS', () => {
  it('every sink acknowledged every write of the story, in batches over both hours of it', async () => {
    const writes = rec.story.writes.length;
    expect(rec.summary.counters.records).toBe(writes);
    expect(rec.summary.sinks.map((s) => [s.name, s.stats.eventsSent])).toEqual(SINKS.map((n) => [n, writes]));
    const objects = [...rec.gcs.buckets.get('k8stream-story')!.keys()];
    expect(objects.some((k) => k.includes('/hour=09/'))).toBe(true);
    expect(objects.some((k) => k.includes('/hour=10/'))).toBe(true);
  });

  it.each(ARCHIVES)('timeline --service shop/web from the %s archive tells the story, and nothing else', async (name) => {
    const t = await timeline(at(name));
    expect(t.subject).toEqual({ kind: 'service', namespace: 'shop', name: 'web' });
    expect(t.clusters).toEqual(['story']);

    // Every record, in time order, on the lane of its object.
    expect(t.events.map((e) => ({ time: iso(e.time), lane: e.lane, reason: e.reason }))).toEqual(expected.sequence.map((s) => ({ ...s, time: iso(s.time) })));
    // Each lane with records, in the right place: the pods and ReplicaSets under the Deployment, node-2 with the nodes.
    const lanes = new Map(t.lanes.map((l) => [l.key, l]));
    for (const lane of expected.lanes) {
      const { reasons, ...shape } = lane;
      expect(lanes.get(lane.key), lane.key).toEqual(shape);
      expect(t.events.filter((e) => e.lane === lane.key).map((e) => e.reason)).toEqual(reasons);
    }
    expect(new Set(t.events.map((e) => e.lane))).toEqual(new Set(expected.lanes.map((l) => l.key)));
    // The service first, then the Deployment's group (the Deployment heading it), then the nodes.
    const order = t.lanes.map((l) => l.key);
    expect(order[0]).toBe('Service/shop/web');
    expect(order.indexOf('Deployment/shop/web')).toBeLessThan(order.indexOf('Pod/shop/web-7f9c8b7d45-x7k2p'));
    expect(order.indexOf('Pod/shop/web-7f9c8b7d45-x7k2p')).toBeLessThan(order.indexOf('Node/node-2'));

    // The crash loop: eight records of one Event, folded into one entry that happened 8 times.
    const folded = t.folded.map(({ lane, type, reason, count, records, first, last }) => ({ lane, type, reason, count, records, first: iso(first), last: iso(last) }));
    expect(folded).toEqual(expected.folded.map((f) => ({ ...f, first: iso(f.first), last: iso(f.last) })));
    expect(t.folded.find((f) => f.reason === 'BackOff')).toMatchObject({ count: 8, records: 8 });

    // Nothing of shop/cart, its node, the other nodes or staging/web.
    for (const lane of expected.unrelatedLanes) expect(lanes.has(lane), lane).toBe(false);
    expect(t.events.filter((e) => /cart|node-3|node-4|staging/.test(`${e.lane} ${e.message}`))).toEqual([]);

    expect(t.warnings).toBe(expected.serviceWarnings);
    expect(t.topReasons[0]).toEqual({ reason: 'BackOff', type: 'Warning', records: 8 });
    expect(t.gaps).toEqual([]);
    expect(t.stats).toMatchObject({ records: expected.records, duplicates: 0, malformedLines: 0, foreignRecords: 0, skippedObjects: [] });
  });

  it('the same story by workload (without the Service and its Endpoints) and by node (node-2 and the pod it ran)', async () => {
    const byWorkload = await timeline(at('gcs'), ['--workload', expected.workload]);
    expect(byWorkload.subject).toEqual({ kind: 'workload', workloadKind: 'Deployment', namespace: 'shop', name: 'web' });
    const workloadLanes = new Set(expected.lanes.filter((l) => l.group !== 'service').map((l) => l.key));
    expect(byWorkload.events.map((e) => ({ time: iso(e.time), lane: e.lane, reason: e.reason }))).toEqual(
      expected.sequence.filter((s) => workloadLanes.has(s.lane)).map((s) => ({ ...s, time: iso(s.time) })),
    );

    const byNode = await timeline(at('file'), ['--node', 'node-2']);
    expect(byNode.events.map((e) => [iso(e.time), e.lane, e.reason])).toEqual([
      ['2026-03-02T09:58:00.000Z', 'Node/node-2', 'NodeNotReady'],
      ['2026-03-02T09:58:05.000Z', 'Pod/shop/web-6d4cf56db6-h2b8k', 'NodeNotReady'],
    ]);
  });

  it('the three archives, and each read through its sink in the run config (--sink NAME -c FILE), give the same timeline', async () => {
    const answers = new Map<string, ReturnType<typeof timelineAnswer>>();
    for (const name of ARCHIVES) {
      answers.set(`--archive ${name}`, timelineAnswer(await timeline(at(name))));
      answers.set(`--sink ${SINK_OF[name]}`, timelineAnswer(await timeline(['--sink', SINK_OF[name], '-c', rec.config])));
    }
    const [first, ...rest] = [...answers.values()];
    expect(first!.events).toHaveLength(expected.serviceRecords);
    for (const [how, a] of answers) expect(a, how).toEqual(first);
    expect(rest).toHaveLength(5);
  });

  it('query gives the same rows from every archive: the records of the whole story per reason', async () => {
    const want = Object.fromEntries(Object.entries(expected.reasonCounts).sort(([a], [b]) => (a < b ? -1 : 1)));
    for (const name of ARCHIVES) {
      expect(await reasonCounts(at(name)), name).toEqual(want);
      expect(await reasonCounts(['--sink', SINK_OF[name], '-c', rec.config]), `--sink ${SINK_OF[name]}`).toEqual(want);
    }
  });

  it('query formats: json is one array of row objects, ndjson one object a line, csv a header and rows', async () => {
    const sql = `SELECT id, reason, "count" FROM events WHERE reason = 'BackOff' ORDER BY "count"`;
    const json = await k8streamJson<{ id: string; reason: string; count: number }[]>(['query', ...at('file'), ...window(), '--format', 'json', sql]);
    const backOff = rec.story.writes.filter((w) => w.reason === 'BackOff');
    expect(json.value.map((r) => [r.reason, Number(r.count)])).toEqual(backOff.map((w) => ['BackOff', w.count]));
    expect(json.value.map((r) => r.id)).toEqual(rec.story.produced.filter((_, i) => rec.story.writes[i]!.reason === 'BackOff'));
    expect(json.stderr).toMatch(/read \d+ objects? in \d+ partitions?: 32 records/);

    const ndjson = await k8stream(['query', ...at('gcs'), ...window(), '--format', 'ndjson', sql]);
    expect(ndjson.code).toBe(0);
    expect(
      ndjson.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(json.value.map((r) => r.id));

    const csv = await k8stream(['query', ...at('s3'), ...window(), '--format', 'csv', sql]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,reason,count');
    expect(lines.slice(1)).toEqual(json.value.map((r) => `${r.id},BackOff,${r.count}`));
  });

  it('the window is half-open and the pruning looks back an hour: 10:00-10:10 finds the 10:0x records filed under hour 09', async () => {
    const after = rec.story.writes.filter((w) => w.time >= '2026-03-02T10:00:00Z');
    // The batch holding them started before 10:00, so it is filed under hour=09.
    expect(after.length).toBeGreaterThan(0);
    for (const name of ARCHIVES) {
      const { value } = await k8streamJson<{ reason: string; t: string }[]>([
        'query',
        ...at(name),
        '--from',
        '2026-03-02T10:00:00Z',
        '--to',
        '2026-03-02T10:07:00Z',
        '--format',
        'json',
        `SELECT reason, strftime("time", '%H:%M:%S') AS t FROM events ORDER BY "time"`,
      ]);
      // 10:07:00 (Unhealthy) is the window's end: left out.
      expect(value, name).toEqual(after.filter((w) => w.time < '2026-03-02T10:07:00Z').map((w) => ({ reason: w.reason, t: w.time.slice(11, 19) })));
    }
  });

  it('report -o writes one self-contained page with the same events as the timeline', async () => {
    const t = await timeline(at('s3'));
    for (const name of ARCHIVES) {
      const out = join(rec.dir, `report-${name}.html`);
      const r = await k8stream(['report', '--service', expected.service, ...at(name), ...window(), '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const html = await readFile(out, 'utf8');
      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).toContain(`<span id="event-count">${expected.serviceRecords}</span>`);
      const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { events: unknown[]; lanes: { key: string }[] };
      expect(data.events).toHaveLength(t.events.length);
      expect(data.lanes.map((l) => l.key)).toEqual(t.lanes.map((l) => l.key));
      expect(html).not.toContain('shop/cart');
    }
  });
});
