// buildTimeline over a real DuckDB `events` table holding a known incident (story.fixture.ts):
// which records each subject covers, the lanes and their order, folds, gaps and counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subject, TimelineData } from '../types.js';
import { buildTimeline } from './build.js';
import { eventsDb, record } from './events-table.fixture.js';
import type { TestEventsDb } from './events-table.fixture.js';
import { POD_A, POD_B, WINDOW, at, incident } from './story.fixture.js';

let db: TestEventsDb;
beforeAll(async () => {
  db = await eventsDb(incident());
});
afterAll(() => db.close());

const meta = {
  window: WINDOW,
  archive: '/tmp/archive',
  clusters: ['test'],
  partitions: ['test/2026/12/08/10/'],
  fetched: { objectsListed: 1, objectsFetched: 1, bytesFetched: 10 },
  now: new Date(at('12:00:00')),
};
const timeline = (subject: Subject) => buildTimeline(db, subject, meta);
const laneRows = (data: TimelineData) => data.lanes.map((l) => `${l.role} ${l.key} < ${l.group}`);
/** Per lane, its records' reasons in time order. */
const reasonsByLane = (data: TimelineData) => {
  const out: Record<string, string[]> = {};
  for (const e of data.events) (out[e.lane] ??= []).push(e.reason);
  return out;
};

describe('buildTimeline --service', () => {
  it('covers the service, its Endpoints and EndpointSlice, the pods behind it, their owners and nodes; lanes in reading order', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    expect(laneRows(data)).toEqual([
      'service Service/shop/web < service',
      'other Endpoints/shop/web < service',
      'other EndpointSlice/shop/web-abcde < service',
      'workload Deployment/shop/web < Deployment/shop/web',
      'owner ReplicaSet/shop/web-7f9 < Deployment/shop/web',
      'owner ReplicaSet/shop/web-6d4 < Deployment/shop/web',
      `pod Pod/shop/${POD_A} < Deployment/shop/web`,
      `pod Pod/shop/${POD_B} < Deployment/shop/web`,
      'node Node/node-1 < nodes',
      'node Node/node-2 < nodes',
    ]);
    expect(reasonsByLane(data)).toEqual({
      'Service/shop/web': ['FailedToUpdateEndpointSlices'],
      'Endpoints/shop/web': ['FailedToUpdateEndpoint'],
      'EndpointSlice/shop/web-abcde': ['FailedToUpdateEndpointSlices'],
      'Deployment/shop/web': ['ScalingReplicaSet', 'ScalingReplicaSet'],
      'ReplicaSet/shop/web-7f9': ['SuccessfulCreate', 'SuccessfulCreate'],
      'ReplicaSet/shop/web-6d4': ['SuccessfulDelete'],
      [`Pod/shop/${POD_A}`]: ['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff', 'BackOff', 'BackOff', 'BackOff'],
      [`Pod/shop/${POD_B}`]: ['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff', 'BackOff', 'Unhealthy', 'NodeNotReady'],
      'Node/node-2': ['NodeNotReady', 'NodeNotReady'],
    });
    expect(data.lanes.find((l) => l.key === 'Node/node-2')).toEqual({ key: 'Node/node-2', role: 'node', kind: 'Node', namespace: '', name: 'node-2', group: 'nodes' });
    expect(data.lanes.find((l) => l.key === `Pod/shop/${POD_A}`)).toEqual({
      key: `Pod/shop/${POD_A}`,
      role: 'pod',
      kind: 'Pod',
      namespace: 'shop',
      name: POD_A,
      group: 'Deployment/shop/web',
    });
  });

  it('leaves out unrelated services, pods, ReplicaSets, nodes and same-named objects elsewhere', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    const text = JSON.stringify(data.events);
    for (const unrelated of ['cart', 'node-3', 'staging', 'web-api', 'WatchGap']) expect(text).not.toContain(unrelated);
    expect(data.events).toHaveLength(26);
  });

  it('lists records in time order, ties by id, with time and first time', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    const times = data.events.map((e) => `${e.time} ${e.id}`);
    expect(times).toEqual([...times].sort());
    expect(data.events.slice(0, 3).map((e) => e.id)).toEqual(['e1:1', 'e2:1', 'e3:1']);
    const lastBackOff = data.events.find((e) => e.id === 'bo-a:4')!;
    expect(lastBackOff).toEqual({
      id: 'bo-a:4',
      time: at('10:07:00.000'),
      firstTime: at('10:01:00.000'),
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container web in pod ${POD_A}`,
      count: 4,
      lane: `Pod/shop/${POD_A}`,
    });
  });

  it('folds consecutive same records per lane: an updated Event counts its last count, distinct Events add up', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    const folds = data.folded.map((f) => `${f.first.slice(11, 19)}–${f.last.slice(11, 19)} ${f.lane} ${f.reason} ×${f.count}/${f.records}`);
    expect(folds).toEqual([
      '10:00:00–10:00:00 Deployment/shop/web ScalingReplicaSet ×1/1',
      '10:00:01–10:00:01 ReplicaSet/shop/web-7f9 SuccessfulCreate ×1/1',
      '10:00:01–10:00:01 ReplicaSet/shop/web-7f9 SuccessfulCreate ×1/1',
      `10:00:02–10:00:02 Pod/shop/${POD_A} Scheduled ×1/1`,
      `10:00:03–10:00:03 Pod/shop/${POD_B} Scheduled ×1/1`,
      `10:00:05–10:00:05 Pod/shop/${POD_A} Pulled ×1/1`,
      `10:00:06–10:00:06 Pod/shop/${POD_A} Created ×1/1`,
      `10:00:07–10:00:07 Pod/shop/${POD_A} Started ×1/1`,
      `10:00:08–10:00:08 Pod/shop/${POD_B} Pulled ×1/1`,
      `10:00:09–10:00:09 Pod/shop/${POD_B} Created ×1/1`,
      `10:00:10–10:00:10 Pod/shop/${POD_B} Started ×1/1`,
      `10:01:00–10:07:00 Pod/shop/${POD_A} BackOff ×4/4`,
      `10:01:10–10:02:00 Pod/shop/${POD_B} BackOff ×2/2`,
      `10:02:20–10:02:40 Pod/shop/${POD_B} Unhealthy ×3/1`,
      '10:03:00–10:03:20 Node/node-2 NodeNotReady ×3/2',
      `10:03:05–10:03:05 Pod/shop/${POD_B} NodeNotReady ×1/1`,
      '10:04:00–10:04:00 Endpoints/shop/web FailedToUpdateEndpoint ×1/1',
      '10:04:02–10:04:02 EndpointSlice/shop/web-abcde FailedToUpdateEndpointSlices ×1/1',
      '10:04:03–10:04:03 Service/shop/web FailedToUpdateEndpointSlices ×1/1',
      '10:05:00–10:05:00 Deployment/shop/web ScalingReplicaSet ×1/1',
      '10:05:01–10:05:01 ReplicaSet/shop/web-6d4 SuccessfulDelete ×1/1',
    ]);
  });

  it('spans each WatchGap from the latest record before it (any record of the window) to the marker', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    expect(data.gaps).toEqual([{ from: at('10:05:30.000'), to: at('10:06:00.000'), message: 'the watch could not resume from resourceVersion 100' }]);
  });

  it('counts warnings and top reasons, and carries the session facts', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'web' });
    expect(data.warnings).toBe(11);
    expect(data.topReasons.slice(0, 3)).toEqual([
      { reason: 'BackOff', type: 'Warning', records: 6 },
      { reason: 'Created', type: 'Normal', records: 2 },
      { reason: 'FailedToUpdateEndpointSlices', type: 'Warning', records: 2 },
    ]);
    // 13 reason/type pairs on the timeline: the 10 highest.
    expect(data.topReasons).toHaveLength(10);
    expect(data).toMatchObject({
      title: 'service shop/web',
      window: { from: at('09:00:00.000'), to: at('11:00:00.000') },
      archive: '/tmp/archive',
      clusters: ['test'],
      generatedAt: at('12:00:00.000'),
      stats: { files: 1, records: 34, duplicates: 0, partitions: ['test/2026/12/08/10/'], objectsListed: 1, objectsFetched: 1, bytesFetched: 10 },
    });
  });

  it('finds nothing for a service nobody selects, but still knows the window gaps', async () => {
    const data = await timeline({ kind: 'service', namespace: 'shop', name: 'nope' });
    expect(data.events).toEqual([]);
    expect(data.lanes).toEqual([]);
    expect(data.folded).toEqual([]);
    expect(data.gaps).toHaveLength(1);
  });
});

describe('buildTimeline --workload', () => {
  it('a Deployment: its events, its ReplicaSets (with or without pods), its pods and their nodes; no service', async () => {
    const data = await timeline({ kind: 'workload', workloadKind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(laneRows(data)).toEqual([
      'workload Deployment/shop/web < Deployment/shop/web',
      'owner ReplicaSet/shop/web-7f9 < Deployment/shop/web',
      'owner ReplicaSet/shop/web-6d4 < Deployment/shop/web',
      `pod Pod/shop/${POD_A} < Deployment/shop/web`,
      `pod Pod/shop/${POD_B} < Deployment/shop/web`,
      'node Node/node-1 < nodes',
      'node Node/node-2 < nodes',
    ]);
    expect(data.events).toHaveLength(23);
    expect(data.title).toBe('deployment shop/web');
  });

  it('a ReplicaSet: heads its own group, with its pods, not the Deployment above it', async () => {
    const data = await timeline({ kind: 'workload', workloadKind: 'ReplicaSet', namespace: 'shop', name: 'web-7f9' });
    expect(laneRows(data)).toEqual([
      'workload ReplicaSet/shop/web-7f9 < ReplicaSet/shop/web-7f9',
      `pod Pod/shop/${POD_A} < ReplicaSet/shop/web-7f9`,
      `pod Pod/shop/${POD_B} < ReplicaSet/shop/web-7f9`,
      'node Node/node-1 < nodes',
      'node Node/node-2 < nodes',
    ]);
    expect(reasonsByLane(data)['ReplicaSet/shop/web-7f9']).toEqual(['SuccessfulCreate', 'SuccessfulCreate']);
  });
});

describe('buildTimeline --node', () => {
  it("the node's events and those of the pods that ran on it, grouped by their workload; not their owners", async () => {
    const data = await timeline({ kind: 'node', name: 'node-2' });
    expect(laneRows(data)).toEqual(['workload Deployment/shop/web < Deployment/shop/web', `pod Pod/shop/${POD_B} < Deployment/shop/web`, 'node Node/node-2 < nodes']);
    expect(reasonsByLane(data)).toEqual({
      [`Pod/shop/${POD_B}`]: ['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff', 'BackOff', 'Unhealthy', 'NodeNotReady'],
      'Node/node-2': ['NodeNotReady', 'NodeNotReady'],
    });
  });

  it('pods of several workloads on one node: a group each, ordered by their first event', async () => {
    const data = await timeline({ kind: 'node', name: 'node-1' });
    expect(laneRows(data)).toEqual([
      'workload Deployment/shop/web-api < Deployment/shop/web-api',
      'pod Pod/shop/web-api-1a2-ccccc < Deployment/shop/web-api',
      'workload Deployment/shop/web < Deployment/shop/web',
      `pod Pod/shop/${POD_A} < Deployment/shop/web`,
      'node Node/node-1 < nodes',
    ]);
  });
});

describe('buildTimeline: other owner chains', () => {
  // A CronJob's Job and pod behind Service ops/backup, a StatefulSet's pod behind Service db/pg,
  // and a bare pod (no owner) selected by Service ops/backup too.
  const cron = { kind: 'CronJob', name: 'backup', uid: 'cj', apiVersion: 'batch/v1' };
  const job = { kind: 'Job', name: 'backup-2912', uid: 'job', apiVersion: 'batch/v1' };
  const sts = { kind: 'StatefulSet', name: 'pg', uid: 'sts', apiVersion: 'apps/v1' };
  const node = { name: 'node-9', addresses: [] };
  let chains: TestEventsDb;
  beforeAll(async () => {
    chains = await eventsDb([
      record({ uid: 'c1', at: at('10:00:00'), reason: 'SuccessfulCreate', message: 'Created job backup-2912', object: { kind: 'CronJob', name: 'backup', namespace: 'ops' } }),
      record({
        uid: 'c2',
        at: at('10:00:01'),
        reason: 'SuccessfulCreate',
        message: 'Created pod: backup-2912-x',
        object: { kind: 'Job', name: 'backup-2912', namespace: 'ops' },
        enrichment: { owners: [cron], workload: cron },
      }),
      record({
        uid: 'c3',
        at: at('10:00:05'),
        type: 'Warning',
        reason: 'BackOff',
        object: { kind: 'Pod', name: 'backup-2912-x', namespace: 'ops' },
        host: 'node-9',
        enrichment: { owners: [job, cron], workload: cron, node, services: [{ name: 'backup', namespace: 'ops' }] },
      }),
      record({
        uid: 'c4',
        at: at('10:00:02'),
        reason: 'Started',
        object: { kind: 'Pod', name: 'debug', namespace: 'ops' },
        host: 'node-9',
        enrichment: { node, services: [{ name: 'backup', namespace: 'ops' }] },
      }),
      record({
        uid: 'p1',
        at: at('10:00:03'),
        reason: 'Started',
        object: { kind: 'Pod', name: 'pg-0', namespace: 'db' },
        host: 'node-9',
        enrichment: { owners: [sts], workload: sts, node, services: [{ name: 'pg', namespace: 'db' }] },
      }),
    ]);
  });
  afterAll(() => chains.close());

  it('Job → CronJob: the Job an owner lane under the CronJob; a pod without owner is its own group', async () => {
    const data = await buildTimeline(chains, { kind: 'service', namespace: 'ops', name: 'backup' }, meta);
    expect(laneRows(data)).toEqual([
      'service Service/ops/backup < service',
      'workload CronJob/ops/backup < CronJob/ops/backup',
      'owner Job/ops/backup-2912 < CronJob/ops/backup',
      'pod Pod/ops/backup-2912-x < CronJob/ops/backup',
      'pod Pod/ops/debug < Pod/ops/debug',
      'node Node/node-9 < nodes',
    ]);
    expect(reasonsByLane(data)).toEqual({
      'CronJob/ops/backup': ['SuccessfulCreate'],
      'Job/ops/backup-2912': ['SuccessfulCreate'],
      'Pod/ops/backup-2912-x': ['BackOff'],
      'Pod/ops/debug': ['Started'],
    });
  });

  it('--workload cronjob: its Job below it and its pod', async () => {
    const data = await buildTimeline(chains, { kind: 'workload', workloadKind: 'CronJob', namespace: 'ops', name: 'backup' }, meta);
    expect(laneRows(data)).toEqual([
      'workload CronJob/ops/backup < CronJob/ops/backup',
      'owner Job/ops/backup-2912 < CronJob/ops/backup',
      'pod Pod/ops/backup-2912-x < CronJob/ops/backup',
      'node Node/node-9 < nodes',
    ]);
  });

  it('a StatefulSet owns its pods directly: no owner lane between', async () => {
    const data = await buildTimeline(chains, { kind: 'service', namespace: 'db', name: 'pg' }, meta);
    expect(laneRows(data)).toEqual([
      'service Service/db/pg < service',
      'workload StatefulSet/db/pg < StatefulSet/db/pg',
      'pod Pod/db/pg-0 < StatefulSet/db/pg',
      'node Node/node-9 < nodes',
    ]);
  });
});
