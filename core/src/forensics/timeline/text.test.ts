// The text output of `k8stream timeline` over the known incident (story.fixture.ts): sections,
// folded repeats, Warning marks and colour, gap lines, cutting to the terminal width, dates
// when the window spans days, and the "nothing found" message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineData } from '../types.js';
import { buildTimeline } from './build.js';
import type { TimelineMeta } from './build.js';
import { eventsDb } from './events-table.fixture.js';
import type { TestEventsDb } from './events-table.fixture.js';
import { similarNames } from './select.js';
import { WINDOW, incident } from './story.fixture.js';
import { renderNotFound, renderTimelineText } from './text.js';

let db: TestEventsDb;
let web: TimelineData;
const meta: TimelineMeta = {
  window: WINDOW,
  archive: '/tmp/archive',
  clusters: ['test'],
  partitions: ['test/2026/12/08/09/', 'test/2026/12/08/10/'],
  fetched: { objectsListed: 2, objectsFetched: 2, bytesFetched: 10 },
};
beforeAll(async () => {
  db = await eventsDb(incident());
  web = await buildTimeline(db, { kind: 'service', namespace: 'shop', name: 'web' }, meta);
});
afterAll(() => db.close());

const plain = { width: null, color: false };

describe('timeline text', () => {
  it('a header, then the service, each workload group and the nodes, entries in time order with repeats folded', () => {
    const lines = renderTimelineText(web, plain).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'service shop/web · 2026-12-08 09:00:00 → 11:00:00 UTC',
      'archive /tmp/archive (cluster test) · 34 records read from 1 object',
      '26 events (11 warnings) on 10 lanes · 1 watch gap: events may be missing',
    ]);
    const titles = lines.filter((l) => l !== '' && !l.startsWith(' ')).slice(3);
    expect(titles).toEqual(['Service shop/web', 'Deployment shop/web', 'Nodes']);
    const deployment = lines.slice(lines.indexOf('Deployment shop/web') + 1, lines.indexOf('Nodes') - 1);
    expect(deployment).toHaveLength(18);
    expect(deployment[0]).toMatch(/^ {2}10:00:00 {3}Deployment\/web +ScalingReplicaSet +Scaled up replica set web-7f9 to 2$/);
    expect(deployment.find((l) => l.includes('Pod/web-7f9-zzzzz') && l.includes('BackOff'))).toMatch(
      /^ {2}10:01:00 ⚠ Pod\/web-7f9-zzzzz +BackOff +Back-off restarting failed container web in pod web-7f9-zzzzz ×4 \(10:01:00–10:07:00\)$/,
    );
    expect(deployment.find((l) => l.includes('Unhealthy'))).toMatch(/×3 \(10:02:20–10:02:40\)$/);
    // A gap line where it falls among the group's entries.
    expect(deployment.at(-1)).toBe('  ── gap: 10:05:30–10:06:00, events may be missing: the watch could not resume from resourceVersion 100 ──');
    expect(deployment.at(-2)).toContain('SuccessfulDelete');
    expect(lines.slice(lines.indexOf('Nodes') + 1).filter((l) => l !== '')).toEqual([
      expect.stringMatching(/^ {2}10:03:00 {3}Node\/node-2 +NodeNotReady +Node node-2 status is now: NodeNotReady ×3 \(10:03:00–10:03:20\)$/),
    ]);
  });

  it('cuts messages to the terminal width, keeping the repeat count', () => {
    const lines = renderTimelineText(web, { width: 100, color: false }).split('\n');
    for (const line of lines.slice(3)) expect([...line].length, line).toBeLessThanOrEqual(100);
    const backOff = lines.find((l) => l.includes('Pod/web-7f9-zzzzz') && l.includes('BackOff'))!;
    expect(backOff).toMatch(/… ×4 \(10:01:00–10:07:00\)$/);
    // Without a width (not a terminal) nothing is cut.
    expect(renderTimelineText(web, plain)).not.toContain('…');
  });

  it('colours Warnings and dims gaps only when asked', () => {
    expect(renderTimelineText(web, plain)).not.toContain('\u001b[');
    const coloured = renderTimelineText(web, { width: null, color: true }).split('\n');
    const warning = coloured.find((l) => l.includes('BackOff'))!;
    expect(warning.startsWith('\u001b[33m')).toBe(true);
    expect(coloured.find((l) => l.includes('Scheduled'))).not.toContain('\u001b[');
    expect(coloured.find((l) => l.includes('── gap'))!.startsWith('\u001b[2m')).toBe(true);
  });

  it('writes the date with each time when the window spans days', async () => {
    const twoDays = await buildTimeline(db, { kind: 'service', namespace: 'shop', name: 'web' }, { ...meta, window: { fromMs: WINDOW.fromMs, toMs: WINDOW.toMs + 86_400_000 } });
    const text = renderTimelineText(twoDays, plain);
    expect(text.split('\n')[0]).toBe('service shop/web · 2026-12-08 09:00:00 → 2026-12-09 11:00:00 UTC');
    expect(text).toMatch(/^ {2}2026-12-08 10:00:00 {3}Deployment\/web/m);
    expect(text).toContain('×4 (2026-12-08 10:01:00–2026-12-08 10:07:00)');
  });

  it('a repeat that began the day before the window: both ends of its range dated', () => {
    const folded = web.folded.map((f) => (f.reason === 'BackOff' && f.records === 4 ? { ...f, first: '2026-12-07T23:59:00.000Z' } : f));
    const line = renderTimelineText({ ...web, folded }, plain)
      .split('\n')
      .find((l) => l.includes('×4'));
    expect(line).toMatch(/^ {2}2026-12-07 23:59:00 ⚠ Pod\/web-7f9-zzzzz .* ×4 \(2026-12-07 23:59:00–2026-12-08 10:07:00\)$/);
  });

  it('names objects outside the subject namespace in full (a node timeline)', async () => {
    const node = await buildTimeline(db, { kind: 'node', name: 'node-1' }, meta);
    const text = renderTimelineText(node, plain);
    expect(text).toContain('Deployment shop/web-api\n  09:59:50   Pod/shop/web-api-1a2-ccccc');
  });

  it('nothing found: which subject, which window, which partitions, and similar names', async () => {
    const none = await buildTimeline(db, { kind: 'service', namespace: 'shop', name: 'webb' }, meta);
    expect(renderNotFound(none, await similarNames(db.connection, none.subject))).toBe(
      [
        'no events about service shop/webb in 2026-12-08 09:00:00 → 11:00:00 UTC',
        '  archive /tmp/archive (cluster test); 34 records read from 1 object; partitions looked at: test/2026/12/08/09/, test/2026/12/08/10/',
        '  similar names in the window: shop/web',
        '',
      ].join('\n'),
    );
    const empty = { ...none, stats: { ...none.stats, partitions: [] } };
    expect(renderNotFound(empty, [])).toContain('no partition of the archive falls in the window');
  });

  it('similar names: the same name elsewhere first, then by edit distance, written as the option takes them', async () => {
    expect(await similarNames(db.connection, { kind: 'workload', workloadKind: 'Deployment', namespace: 'prod', name: 'web' })).toEqual([
      'deployment/shop/web',
      'deployment/staging/web',
      'deployment/shop/web-api',
    ]);
    expect(await similarNames(db.connection, { kind: 'node', name: 'node-7' })).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await similarNames(db.connection, { kind: 'service', namespace: 'payments', name: 'ledger' })).toEqual([]);
  });
});
