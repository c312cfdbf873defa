// `k8stream run` over replay files a user may hand it: the built binary replays a fixture into a
// file sink, and the `run finished` line accounts for every entry of the file.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, readRecords } from '../helpers/archive.fixture.js';
import { runCli } from '../helpers/cli.fixture.js';
import { toRecord } from '../../core/src/record/map.js';
import type { EventAction } from '../../core/src/record/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-replay-input-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function event(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `pod-${n}.abc`, namespace: 'shop', uid: `uid-${n}`, resourceVersion: String(1000 + n) },
    involvedObject: { kind: 'Pod', name: `pod-${n}`, namespace: 'shop' },
    reason: 'Started',
    type: 'Normal',
    message: `Started container app-${n}`,
    lastTimestamp: '2026-11-02T09:05:00Z',
    count: 1,
    ...extra,
  };
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop', uid: 'pod-uid', resourceVersion: '77' } };

/** Writes `<name>.<ext>` and a config replaying it into `<name>/out` (dead letter: `<name>/dl`). */
async function fixture(name: string, ext: string, text: string, extra: string[] = []) {
  const input = join(dir, `${name}.${ext}`);
  await writeFile(input, text);
  const out = join(dir, name, 'out');
  const dl = join(dir, name, 'dl');
  const config = join(dir, `${name}.yaml`);
  await writeFile(
    config,
    [
      'cluster: test',
      'source:',
      '  type: replay',
      `  replay: { file: ./${name}.${ext} }`,
      ...extra,
      'enrich: { objects: false, owners: false, nodes: false, services: false }',
      'sinks:',
      '  - name: archive',
      '    use: file',
      '    encoding: { format: ndjson, compression: none }',
      `    config: { dir: ${out}, fsync: false }`,
      `deadLetter: { use: file, encoding: { format: ndjson, compression: none }, config: { dir: ${dl}, fsync: false } }`,
      '',
    ].join('\n'),
  );
  return { input, config, out, dl };
}

async function run(config: string) {
  const r = await runCli(['run', '--config', config, '--log-format', 'json']);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ...r, finished: lines.find((l) => l['msg'] === 'run finished') };
}

const records = async (d: string) => readRecords(await listFiles(d));

describe('k8stream run: replay input', () => {
  it('keeps an NDJSON line whole when a string in it holds a raw U+2028 or U+2029', async () => {
    const message = 'first\u2028second\u2029third';
    // JSON.stringify writes both characters raw, as jq and Python do.
    const f = await fixture('separators', 'ndjson', [event(1, { message }), event(2)].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await run(f.config);
    expect(r.stderr).not.toContain('SOURCE_INPUT_INVALID');
    expect(r.code).toBe(0);
    expect(r.finished).toMatchObject({ received: 2, records: 2, invalid: 0 });
    expect((await records(f.out)).map((x) => x['message'])).toEqual([message, 'Started container app-2']);
  });

  it('dead-letters a Pod at items[2] of an events List and replays the items after it', async () => {
    const f = await fixture('pod-in-list', 'json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [event(0), event(1), pod, event(3), event(4)] }, null, 2));
    const r = await run(f.config);
    expect(r.code).toBe(0);
    expect(r.finished).toMatchObject({ received: 5, records: 4, invalid: 1, emitted: 4 });
    expect((await records(f.out)).map((x) => x['uid'])).toEqual(['uid-0', 'uid-1', 'uid-3', 'uid-4']);
    const dead = await records(f.dl);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      schema: 'k8stream.deadletter/v1',
      stage: 'source',
      id: 'pod-uid:77',
      error: { code: 'EVENT_INVALID', message: `${f.input}: items[2]: expected kind Event, got kind Pod` },
      record: pod,
    });
  });

  it('fails with one line when no entry of the file is an Event (after dead-lettering them)', async () => {
    const f = await fixture('all-pods', 'json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod, { ...pod, metadata: { name: 'web-1' } }] }, null, 2));
    const r = await run(f.config);
    expect(r.code).toBe(1);
    expect(r.finished).toMatchObject({ received: 2, records: 0, invalid: 2 });
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toBe(
      `error: [SOURCE_INPUT_INVALID] ${f.input} holds no usable Kubernetes Event: all 2 entries were dead-lettered (→ ${f.dl}); replay files hold Kubernetes Events (kubectl get events -A -o json)`,
    );
    expect((await records(f.dl)).map((d) => (d['error'] as { message: string }).message)).toEqual([
      `${f.input}: items[0]: expected kind Event, got kind Pod`,
      `${f.input}: items[1]: expected kind Event, got kind Pod`,
    ]);
  });

  it('says that "items": null is not an array of Events, and fails', async () => {
    const f = await fixture('null-items', 'json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: null }));
    const r = await run(f.config);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('its only entry was dead-lettered');
    expect((await records(f.dl)).map((d) => (d['error'] as { message: string }).message)).toEqual([`${f.input}:1: items is null; expected an array of Events`]);
  });

  it('accounts for every watch-stream entry in `run finished`: DELETED, BOOKMARK, ERROR, invalid, filtered', async () => {
    const entries = [
      { type: 'ADDED', object: event(1) },
      { type: 'MODIFIED', object: event(1, { count: 2, metadata: { name: 'pod-1.abc', namespace: 'shop', uid: 'uid-1', resourceVersion: '1101' } }) },
      { type: 'BOOKMARK', object: { kind: 'Event', metadata: { resourceVersion: '1200' } } },
      { type: 'DELETED', object: event(2) },
      { type: 'ADDED', object: event(3, { namespace: 'kube-system', metadata: { name: 'x', namespace: 'kube-system', uid: 'uid-3', resourceVersion: '1003' } }) },
      { type: 'BOOKMARK', object: { kind: 'Event', metadata: { resourceVersion: '1300' } } },
      { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
      { type: 'ADDED', object: pod },
      { type: 'DELETED', object: event(4) },
      { type: 'BOOKMARK', object: { kind: 'Event', metadata: { resourceVersion: '1400' } } },
      { type: 'ADDED', object: event(5) },
    ];
    const f = await fixture('watch', 'ndjson', entries.map((e) => JSON.stringify(e)).join('\n') + '\n', ['  excludeNamespaces: [kube-system]']);
    const r = await run(f.config);
    expect(r.code).toBe(0);
    expect(r.finished).toMatchObject({
      received: 11,
      records: 3,
      filtered: 1,
      invalid: 1,
      deletedSkipped: 2,
      bookmarks: 3,
      watchErrors: 1,
      emitted: 3,
      unrouted: 0,
    });
    expect((await records(f.out)).map((x) => x['id'])).toEqual(['uid-1:1001', 'uid-1:1101', 'uid-5:1005']);
  });
});

describe('k8stream run: the event corpus replayed', () => {
  const CORPUS = fileURLToPath(new URL('../fixtures/events-corpus/', import.meta.url));
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json') || f.endsWith('.ndjson'));

  /** What each file holds for the pipeline: its events (with the action replay gives them) and its other entries. */
  function expected(file: string): { events: { raw: Record<string, unknown>; action: EventAction }[]; deleted: number; bookmarks: number; errors: number } {
    const text = readFileSync(join(CORPUS, file), 'utf8');
    if (file.endsWith('.ndjson')) {
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const entries = lines.map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
      const count = (type: string) => entries.filter((e) => e.type === type).length;
      const events = entries.filter((e) => e.type === 'ADDED' || e.type === 'MODIFIED').map((e) => ({ raw: e.object, action: e.type as EventAction }));
      return { events, deleted: count('DELETED'), bookmarks: count('BOOKMARK'), errors: count('ERROR') };
    }
    const list = JSON.parse(text) as { kind: string; apiVersion: string; items: Record<string, unknown>[] };
    // A typed list (EventList) gives its items its apiVersion; kubectl's List does not.
    const inherit = (item: Record<string, unknown>) => (list.kind !== 'List' && item['apiVersion'] === undefined ? { apiVersion: list.apiVersion, ...item } : item);
    return { events: list.items.map((item) => ({ raw: inherit(item), action: 'ADDED' })), deleted: 0, bookmarks: 0, errors: 0 };
  }

  it.each(files)('%s: every event arrives as the record its input maps to, and the summary adds up', async (file) => {
    const name = `corpus-${file.replace(/\W+/g, '-')}`;
    const f = await fixture(name, file.split('.').pop()!, readFileSync(join(CORPUS, file), 'utf8'));
    const r = await run(f.config);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const want = expected(file);
    const got = new Map((await records(f.out)).map((rec) => [rec['id'] as string, rec]));
    expect(got.size).toBe(want.events.length);
    for (const { raw, action } of want.events) {
      const rec = toRecord(raw, { cluster: 'test', action });
      expect(got.get(rec.id), `${file}: ${rec.id}`).toEqual(rec);
    }
    expect(r.finished).toMatchObject({
      received: want.events.length + want.deleted + want.bookmarks + want.errors,
      records: want.events.length,
      invalid: 0,
      deletedSkipped: want.deleted,
      bookmarks: want.bookmarks,
      watchErrors: want.errors,
    });
    expect(await listFiles(f.dl).catch(() => [])).toEqual([]);
  });
});
