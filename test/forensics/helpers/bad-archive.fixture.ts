/**
 * An archive with damage of every kind the forensics commands must survive, in one hour
 * (2026-01-02 03:00-04:00 UTC) of cluster `test-cluster`: two good batches, one of them with
 * malformed lines and a record of another schema, a truncated gzip object and a garbage object.
 * Written in the file sink's layout to a directory, or in the S3/GCS sinks' layout to a bucket.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { sampleRecords } from '../../../core/src/testing/records.js';
import type { GcsTestServer } from '../../../plugins/sink-gcs/src/gcs-server.fixture.js';

export const BAD_CLUSTER = 'test-cluster';
/** The hour holding every object. */
export const BAD_WINDOW = { from: '2026-01-02T03:00:00Z', to: '2026-01-02T04:00:00Z' };

const ndjson = (records: readonly unknown[]) => records.map((r) => JSON.stringify(r) + '\n').join('');

/** The objects, by name inside the hour's partition, and what reading them must count. */
export function badObjects() {
  const good = sampleRecords(20, 0);
  const withDamage = [
    ...sampleRecords(5, 20).map((r) => JSON.stringify(r)),
    '{"schema":"k8stream.event/v1","id":"cut-here',
    'not json at all',
    JSON.stringify({
      schema: 'k8stream.deadletter/v1',
      id: 'dl-1',
      time: '2026-01-02T03:10:00Z',
      stage: 'sink',
      component: 's3',
      error: { code: 'SINK_PERMANENT', message: 'x' },
      record: {},
    }),
    ...sampleRecords(5, 25).map((r) => JSON.stringify(r)),
  ].join('\n');
  const whole = gzipSync(ndjson(sampleRecords(10, 30)));
  const objects: Record<string, Uint8Array> = {
    '20260102T030405000Z-good.ndjson.gz': gzipSync(ndjson(good)),
    '20260102T030425000Z-damaged-lines.ndjson': Buffer.from(withDamage + '\n'),
    '20260102T030435000Z-truncated.ndjson.gz': whole.subarray(0, Math.floor(whole.length / 2)),
    '20260102T030500000Z-garbage.ndjson.gz': Buffer.from('this is no gzip, and no NDJSON either\u0000\u0001\u0002'),
  };
  return {
    objects,
    /** Records readable: 20 + 10 (the damaged batch's good lines). */
    records: 30,
    malformedLines: 2,
    foreignRecords: 1,
    /** Names of the objects that must be skipped as EVENT_INVALID. */
    skipped: ['20260102T030435000Z-truncated.ndjson.gz', '20260102T030500000Z-garbage.ndjson.gz'],
    /** Records per reason among the readable ones. */
    reasons: [...good, ...sampleRecords(10, 20)].reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.reason]: (acc[r.reason] ?? 0) + 1 }), {}),
  };
}

/** Writes the objects under `dir` as the file sink lays them out (`{cluster}/{yyyy}/{MM}/{dd}/{HH}/`); returns their paths. */
export async function writeBadFileArchive(dir: string): Promise<string[]> {
  const partition = join(dir, BAD_CLUSTER, '2026', '01', '02', '03');
  const paths: string[] = [];
  for (const [name, body] of Object.entries(badObjects().objects)) {
    const path = join(partition, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    paths.push(path);
  }
  return paths;
}

/** Puts the objects into `bucket` as the S3 sink lays them out (`{prefix}/cluster=…/dt=…/hour=…/`); returns their keys. */
export async function putBadS3Archive(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const [name, body] of Object.entries(badObjects().objects)) {
    const key = `${prefix}/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    keys.push(key);
  }
  return keys;
}

/** Stores the objects in the GCS test server's `bucket` as the GCS sink lays them out; returns their names. */
export function putBadGcsArchive(gcs: GcsTestServer, bucket: string, prefix: string): string[] {
  return Object.entries(badObjects().objects).map(([name, body]) => {
    const key = `${prefix}/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`;
    gcs.putObject(bucket, { name: key, data: Buffer.from(body), contentType: 'application/x-ndjson', contentEncoding: undefined, metadata: {} });
    return key;
  });
}
