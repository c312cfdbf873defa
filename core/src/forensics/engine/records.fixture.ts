/**
 * What the engine tests stage: the window they read (10:00–11:00 UTC on 8 December 2026), a
 * record of `k8stream.event/v1` per number, and batch files put under one partition of a temp dir.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyEnrichment } from '../../record/types.js';
import type { EventRecord } from '../../record/types.js';
import type { SkippedObject, StagedArchive, StagedFile, TimeWindow } from '../types.js';

export const WINDOW: TimeWindow = { fromMs: Date.parse('2026-12-08T10:00:00Z'), toMs: Date.parse('2026-12-08T11:00:00Z') };

/** The partition the files go under. */
export const PARTITION = 'demo/2026/12/08/10/';

/** Record `n` of cluster `demo`, a pod's `Started` in `shop`, at `time` (first and last timestamp). */
export function record(n: number, time: string | null, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    schema: 'k8stream.event/v1',
    id: `uid-${n}:${100 + n}`,
    cluster: 'demo',
    uid: `uid-${n}`,
    resourceVersion: String(100 + n),
    firstTimestamp: time,
    lastTimestamp: time,
    eventTime: null,
    count: 1,
    type: 'Normal',
    reason: 'Started',
    message: `started ${n}`,
    action: 'ADDED',
    namespace: 'shop',
    involvedObject: { kind: 'Pod', name: `web-${n}`, namespace: 'shop', uid: `pod-${n}`, apiVersion: 'v1', fieldPath: '' },
    source: { component: 'kubelet', host: 'node-1' },
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    apiVersion: 'v1',
    eventAction: '',
    related: null,
    series: null,
    enrichment: emptyEnrichment(),
    ...extra,
  };
}

/** Writes `body` as `dir/name`, staged under {@link PARTITION} with `extension`. */
export async function put(dir: string, name: string, extension: string, body: Uint8Array | string): Promise<StagedFile> {
  const path = join(dir, name);
  await writeFile(path, body);
  return { path, key: `${PARTITION}${name}`, extension, size: (await stat(path)).size };
}

/** A staged archive of `files` (and `skipped` objects) over `partitions`. */
export function staged(dir: string, files: StagedFile[], options: { partitions?: string[]; skipped?: SkippedObject[] } = {}): StagedArchive {
  const skipped = options.skipped ?? [];
  return {
    describe: dir,
    clusters: ['demo'],
    partitions: options.partitions ?? [PARTITION],
    files,
    stats: { objectsListed: files.length + skipped.length, objectsFetched: files.length, bytesFetched: 0 },
    skipped,
    dispose: () => Promise.resolve(),
  };
}
