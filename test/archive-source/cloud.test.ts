// The archive source over S3 (the real AWS SDK against fauxqs) and GCS (the real client against the
// GCS test server): an archive recorded by the real pipeline's S3/GCS sink is replayed through
// `redact` into a file sink: every record exactly once, with its recorded id and cluster.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { listKeys, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { EVENTS, BATCH, expectExactReplay, readDeadLetter, readOut, recordArchive, runArchive, useCloudServers } from './helpers.fixture.js';

const BUCKET = 'k8stream-backfill';

let dir: string;
let s3: { server: FauxqsServer; endpoint: string };
let gcs: GcsTestServer;

useCloudServers(BUCKET, 'k8stream-archive-cloud-', (servers) => ({ dir, s3, gcs } = servers));

describe('archive source: S3 and GCS', () => {
  it('replays an S3 archive (s3://bucket/prefix) exactly once into the new sink', async () => {
    const at = join(dir, 's3');
    const input = await recordArchive(at, {
      use: 's3',
      config: { bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'events' },
    });
    const client = testClient(s3.endpoint);
    try {
      expect(await listKeys(client, BUCKET)).toHaveLength(EVENTS / BATCH);
    } finally {
      client.destroy();
    }
    const summary = await runArchive(at, { location: `s3://${BUCKET}/events`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
    expect(summary.counters.received).toBe(EVENTS);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(EVENTS);
    expect(expectExactReplay(await readOut(at), input)).toBeNull();
    await expect(readDeadLetter(at)).resolves.toEqual([]);
  });

  it('replays a GCS archive (gs://bucket/prefix) exactly once into the new sink', async () => {
    const at = join(dir, 'gcs');
    const input = await recordArchive(at, { use: 'gcs', config: { bucket: BUCKET, apiEndpoint: gcs.url, projectId: 'test-project', prefix: 'backfill' } });
    expect([...gcs.buckets.get(BUCKET)!.keys()].filter((k) => k.startsWith('backfill/'))).toHaveLength(EVENTS / BATCH);
    const summary = await runArchive(at, { location: `gs://${BUCKET}/backfill`, endpoint: gcs.url });
    expect(summary.counters.received).toBe(EVENTS);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(EVENTS);
    expect(expectExactReplay(await readOut(at), input)).toBeNull();
    await expect(readDeadLetter(at)).resolves.toEqual([]);
  });
});
