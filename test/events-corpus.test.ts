// The real-world event corpus (test/fixtures/events-corpus, origins in its README): every event
// of every shape is mapped and its record checked field by field against the input, then a few
// fields per event against values written out by hand, and the records go through the NDJSON
// body writer and back through a line reader.
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBodyWriter } from '../core/src/dispatch/body-writer.js';
import { K8streamError } from '../core/src/errors.js';
import { LineSplitter } from '../core/src/kube/lines.js';
import { toRecord } from '../core/src/record/map.js';
import type { EventAction, EventRecord, InvolvedObject } from '../core/src/record/types.js';

const DIR = fileURLToPath(new URL('./fixtures/events-corpus/', import.meta.url));
const CLUSTER = 'corpus';

/** Raw Kubernetes JSON, read field by field. */
type Raw = Record<string, any>;

interface CorpusEvent {
  file: string;
  action: EventAction;
  raw: Raw;
}

/**
 * The Events of a list file. kubectl's `List` gives every item its own apiVersion; a typed list
 * from the API server (`EventList`) leaves it out of the items, which take the list's.
 */
function listEvents(file: string): CorpusEvent[] {
  const list = JSON.parse(readFileSync(DIR + file, 'utf8')) as Raw;
  const typed = list['kind'] !== 'List';
  return (list['items'] as Raw[]).map((item) => ({ file, action: 'SYNC', raw: typed && item['apiVersion'] === undefined ? { apiVersion: list['apiVersion'], ...item } : item }));
}

/** The lines of a watch stream, split as the Kubernetes source splits them. */
function watchLines(file: string): { type: string; object: Raw }[] {
  const splitter = new LineSplitter();
  const lines = [...splitter.push(readFileSync(DIR + file)), ...splitter.end()];
  return lines.map((l) => JSON.parse(l) as { type: string; object: Raw });
}

const LIST_FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const WATCH_FILE = 'watch-stream.ndjson';
const WATCH = watchLines(WATCH_FILE);
const EVENTS: CorpusEvent[] = [
  ...LIST_FILES.flatMap(listEvents),
  ...WATCH.filter((l) => l.type === 'ADDED' || l.type === 'MODIFIED' || l.type === 'DELETED').map((l) => ({ file: WATCH_FILE, action: l.type as EventAction, raw: l.object })),
];

/**
 * A Kubernetes timestamp as the test reads it, independently of the mapper: a zone-less one is
 * UTC, the fraction is cut to milliseconds.
 */
function utc(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value);
  const zoned = /(?:[Zz]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) throw new Error(`corpus timestamp ${text} does not parse`);
  return new Date(ms).toISOString();
}

function ref(o: Raw | undefined): InvolvedObject {
  return {
    kind: o?.['kind'] ?? '',
    name: o?.['name'] ?? '',
    namespace: o?.['namespace'] ?? '',
    uid: o?.['uid'] ?? '',
    apiVersion: o?.['apiVersion'] ?? '',
    fieldPath: o?.['fieldPath'] ?? '',
  };
}

/** Checks every record field against the raw event it came from. */
function expectMapsInput(rec: EventRecord, { raw, action }: CorpusEvent): void {
  const eventsApi = String(raw['apiVersion']).startsWith('events.k8s.io/');
  const meta = raw['metadata'] as Raw;
  expect(rec.schema).toBe('k8stream.event/v1');
  expect(rec.id).toBe(`${meta['uid']}:${meta['resourceVersion']}`);
  expect([rec.uid, rec.resourceVersion, rec.cluster, rec.action]).toEqual([meta['uid'], meta['resourceVersion'], CLUSTER, action]);
  expect(rec.apiVersion).toBe(raw['apiVersion']);
  expect([rec.type, rec.reason]).toEqual([raw['type'] ?? '', raw['reason'] ?? '']);
  expect(rec.message).toBe(eventsApi ? raw['note'] : raw['message']);
  expect(rec.involvedObject).toEqual(ref(eventsApi ? raw['regarding'] : raw['involvedObject']));
  expect(rec.namespace).toBe(meta['namespace'] ?? rec.involvedObject.namespace);
  expect(rec.related).toEqual(raw['related'] ? ref(raw['related']) : null);
  expect(rec.eventAction).toBe(raw['action'] ?? '');
  const source = (eventsApi ? raw['deprecatedSource'] : raw['source']) as Raw | undefined;
  expect(rec.source).toEqual({ component: source?.['component'] ?? '', host: source?.['host'] ?? '' });
  expect(rec.reportingController).toBe((eventsApi ? raw['reportingController'] : raw['reportingComponent']) ?? '');
  expect(rec.reportingInstance).toBe(raw['reportingInstance'] ?? '');

  const series = raw['series'] as Raw | undefined;
  expect(rec.series).toEqual(series ? { count: series['count'], lastObservedTime: utc(series['lastObservedTime']) } : null);
  expect(rec.count).toBe(Math.max(1, raw['count'] ?? 0, series?.['count'] ?? 0, raw['deprecatedCount'] ?? 0));

  const first = utc(eventsApi ? raw['deprecatedFirstTimestamp'] : raw['firstTimestamp']);
  const last = utc(eventsApi ? raw['deprecatedLastTimestamp'] : raw['lastTimestamp']);
  const eventTime = utc(raw['eventTime']);
  const created = utc(meta['creationTimestamp']);
  const occurrences = [last, utc(series?.['lastObservedTime']), eventTime, first].filter((t): t is string => t !== null);
  expect(rec.eventTime).toBe(eventTime);
  expect(rec.firstTimestamp).toBe(first ?? eventTime ?? created);
  expect(rec.lastTimestamp).toBe(occurrences.length > 0 ? new Date(Math.max(...occurrences.map((t) => Date.parse(t)))).toISOString() : created);
}

/** Fields written out by hand for the events that show each case (by event uid). */
const BY_HAND: Record<string, Partial<EventRecord>> = {
  // kubectl, classic core/v1: count and first/last apart; a cluster-scoped Node in an event of "default"
  'a0c1e2f3-0003-4a11-8b22-c0ffee000003': {
    count: 42,
    firstTimestamp: '2026-10-14T08:13:10.000Z',
    lastTimestamp: '2026-10-14T09:01:55.000Z',
    source: { component: 'kubelet', host: 'worker-2' },
  },
  'a0c1e2f3-0006-4a11-8b22-c0ffee000006': {
    namespace: 'default',
    involvedObject: { kind: 'Node', name: 'worker-3', namespace: '', uid: 'worker-3', apiVersion: '', fieldPath: '' },
  },
  // core/v1 written through the events API: eventTime + series, null first/last
  'b1000000-0001-4b22-8c33-d44400000001': {
    eventAction: 'Binding',
    firstTimestamp: '2026-11-20T10:00:00.412Z',
    lastTimestamp: '2026-11-20T10:00:00.412Z',
    count: 1,
    series: null,
    related: null,
  },
  'b1000000-0002-4b22-8c33-d44400000002': {
    eventAction: 'Scheduling',
    count: 5,
    firstTimestamp: '2026-11-20T10:05:00.100Z',
    lastTimestamp: '2026-11-20T10:09:31.556Z',
    series: { count: 5, lastObservedTime: '2026-11-20T10:09:31.556Z' },
    reportingController: 'default-scheduler',
  },
  'b1000000-0003-4b22-8c33-d44400000003': {
    eventAction: 'Preempting',
    related: { kind: 'Pod', name: 'batch-job-x7k2m', namespace: 'analytics', uid: 'd3e4f5a6-b7c8-4d9e-8f0a-2b3c4d5e6f7a', apiVersion: 'v1', fieldPath: '' },
  },
  // a stale lastTimestamp with a later series
  'b1000000-0005-4b22-8c33-d44400000005': { firstTimestamp: '2026-11-20T10:20:00.000Z', lastTimestamp: '2026-11-20T10:34:07.812Z', count: 9 },
  // events.k8s.io/v1
  'c3000000-0002-4c33-8d44-e55500000002': {
    apiVersion: 'events.k8s.io/v1',
    message: 'Preempted by pod 1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e on node worker-eu-2c',
    related: { kind: 'Pod', name: 'payments-0', namespace: 'shop', uid: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', apiVersion: 'v1', fieldPath: '' },
  },
  'c3000000-0003-4c33-8d44-e55500000003': {
    lastTimestamp: '2026-11-21T08:12:45.987Z',
    firstTimestamp: '2026-11-21T07:40:00.000Z',
    count: 14,
    source: { component: 'default-scheduler', host: '' },
  },
  'c3000000-0004-4c33-8d44-e55500000004': {
    eventTime: null,
    count: 12,
    firstTimestamp: '2026-11-21T06:58:02.000Z',
    lastTimestamp: '2026-11-21T07:44:10.000Z',
    source: { component: 'kubelet', host: 'worker-eu-2a' },
    eventAction: '',
  },
  // events.k8s.io/v1beta1 (a typed EventList: the items take its apiVersion)
  'd4000000-0001-4d44-8e55-f66600000001': {
    apiVersion: 'events.k8s.io/v1beta1',
    message: 'Successfully assigned cache/redis-master-0 to node-b',
    eventAction: 'Binding',
    reportingController: 'default-scheduler',
  },
  'd4000000-0002-4d44-8e55-f66600000002': {
    apiVersion: 'events.k8s.io/v1beta1',
    eventAction: 'Scheduling',
    lastTimestamp: '2026-09-02T12:08:44.400Z',
    count: 6,
    series: { count: 6, lastObservedTime: '2026-09-02T12:08:44.400Z' },
    related: { kind: 'PersistentVolumeClaim', name: 'data-redis-replica-2', namespace: 'cache', uid: '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f', apiVersion: 'v1', fieldPath: '' },
  },
  'd4000000-0003-4d44-8e55-f66600000003': {
    count: 23,
    source: { component: 'kubelet', host: 'node-c' },
    reportingController: '',
    involvedObject: expect.objectContaining({ fieldPath: 'spec.containers{agent}' }) as InvolvedObject,
  },
  // non-ASCII text
  'e5000000-0003-4e55-8f66-a77700000000': { message: 'Container app wrote its termination message:\u2028panic: runtime error\u2029goroutine 1 [running]' },
  'e5000000-0001-4e55-8f66-a77700000000': { involvedObject: expect.objectContaining({ name: 'ウェブ-0' }) as InvolvedObject },
  // timestamps: zone-less, fractions, offsets, a stale lastTimestamp
  'f6000000-0001-4f66-8a77-b88800000001': { firstTimestamp: '2026-11-23T09:00:00.000Z', lastTimestamp: '2026-11-23T09:05:30.000Z' },
  'f6000000-0002-4f66-8a77-b88800000002': { eventTime: '2026-11-23T09:10:00.123Z', firstTimestamp: '2026-11-23T09:10:00.123Z', lastTimestamp: '2026-11-23T09:10:00.123Z' },
  'f6000000-0003-4f66-8a77-b88800000003': { eventTime: '2026-11-23T09:20:00.500Z', firstTimestamp: '2026-11-23T09:20:00.000Z', lastTimestamp: '2026-11-23T09:20:00.500Z' },
  'f6000000-0004-4f66-8a77-b88800000004': {
    eventTime: '2026-11-23T09:30:00.000Z',
    lastTimestamp: '2026-11-23T09:45:10.250Z',
    series: { count: 3, lastObservedTime: '2026-11-23T09:45:10.250Z' },
  },
  'f6000000-0005-4f66-8a77-b88800000005': { firstTimestamp: '2026-11-23T09:50:00.000Z', lastTimestamp: '2026-11-23T10:49:59.999Z', count: 30 },
  // the watch stream's events API line
  'a7000000-0002-4a77-8b88-c99900000002': {
    message: 'config key "limits" is invalid:\u2028line 3: expected a number\u2029see docs',
    eventAction: 'Reconciling',
    reportingController: 'example.com/orders-operator',
    related: { kind: 'ConfigMap', name: 'orders-config', namespace: 'shop', uid: '1e2d3c4b-5a69-4877-8a5b-4c3d2e1f0a9b', apiVersion: 'v1', fieldPath: '' },
    lastTimestamp: '2026-11-24T14:03:30.000Z',
  },
};

const mapped = EVENTS.map((e) => ({ event: e, rec: toRecord(e.raw, { cluster: CLUSTER, action: e.action }) }));

describe('events corpus', () => {
  it('holds every shape the README lists', () => {
    expect(LIST_FILES).toEqual([
      'core-v1-kubectl-list-classic.json',
      'core-v1-kubectl-list-events-api-era.json',
      'events-k8s-io-v1-list.json',
      'events-k8s-io-v1beta1-list.json',
      'text-non-ascii-and-long.json',
      'timestamps.json',
    ]);
    expect(new Set(mapped.map(({ rec }) => rec.apiVersion))).toEqual(new Set(['v1', 'events.k8s.io/v1', 'events.k8s.io/v1beta1']));
    expect(WATCH.map((l) => l.type)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK', 'ADDED', 'DELETED', 'ERROR']);
    expect(Object.keys(BY_HAND).every((uid) => mapped.some(({ rec }) => rec.uid === uid))).toBe(true);
  });

  it.each(mapped.map(({ event, rec }) => [`${event.file} ${rec.id}`, event, rec] as const))('%s: every field follows the input', (_name, event, rec) => {
    expectMapsInput(rec, event);
    const byHand = BY_HAND[rec.uid];
    if (byHand !== undefined) expect(rec).toMatchObject(byHand);
  });

  it('keeps a message of more than 64 KiB whole', () => {
    const long = mapped.find(({ rec }) => rec.reason === 'FailedCreate')!;
    expect(Buffer.byteLength(long.rec.message)).toBeGreaterThan(64 * 1024);
    expect(long.rec.message).toBe(long.event.raw['message']);
  });

  it('ids are deterministic: the same event version always gets the same record; versions differ', () => {
    for (const { event, rec } of mapped) expect(toRecord(structuredClone(event.raw), { cluster: CLUSTER, action: event.action })).toEqual(rec);
    const ids = mapped.map(({ rec }) => rec.id);
    expect(new Set(ids).size).toBe(ids.length);
    const watched = mapped.filter(({ rec }) => rec.uid === 'a7000000-0001-4a77-8b88-c99900000001').map(({ rec }) => [rec.action, rec.id]);
    expect(watched).toEqual([
      ['ADDED', 'a7000000-0001-4a77-8b88-c99900000001:2000101'],
      ['MODIFIED', 'a7000000-0001-4a77-8b88-c99900000001:2000102'],
      ['DELETED', 'a7000000-0001-4a77-8b88-c99900000001:2000150'],
    ]);
  });

  it('a watch stream BOOKMARK or ERROR object is no event: mapping one fails (EVENT_INVALID), it never becomes a record', () => {
    for (const line of WATCH.filter((l) => l.type === 'BOOKMARK' || l.type === 'ERROR')) {
      expect(() => toRecord(line.object, { cluster: CLUSTER, action: 'ADDED' })).toThrow(K8streamError);
    }
  });

  it('every record is one NDJSON line for a line reader, and reads back equal', async () => {
    const writer = createBodyWriter({ format: 'ndjson', compression: 'none' });
    for (const { rec } of mapped) writer.add(JSON.stringify(rec));
    const { body } = await writer.finish();
    const read: unknown[] = [];
    for await (const line of createInterface({ input: Readable.from([Buffer.from(body)]), crlfDelay: Infinity })) read.push(JSON.parse(line));
    expect(read).toEqual(mapped.map(({ rec }) => rec));
  });
});
