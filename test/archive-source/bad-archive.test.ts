// Damaged archives: a truncated gzip object, a garbage object, an object foreign to the layout,
// lines that are no JSON and a record of an unknown schema are each counted and dead-lettered
// with the object key; everything else is delivered. The same from a directory, S3 and GCS.
// A run where nothing is readable exits non-zero with one line saying why.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { sampleRecords } from '../../core/src/testing/records.js';
import { runCli } from '../helpers/cli.fixture.js';
import { BAD_CLUSTER, BAD_WINDOW, badObjects, putBadGcsArchive, putBadS3Archive, writeBadFileArchive } from '../forensics/helpers/bad-archive.fixture.js';
import { archiveConfig, readDeadLetter, readOut, runArchive, useCloudServers } from './helpers.fixture.js';

const BUCKET = 'k8stream-damaged';
const FOREIGN = 'notes.txt';
/** A Parquet object that is no Parquet file (a cut upload). */
const BROKEN_PARQUET = '20260102T030510000Z-broken.parquet';
const EXTRA: Record<string, Buffer> = { [FOREIGN]: Buffer.from('not a batch'), [BROKEN_PARQUET]: Buffer.from('PAR1 cut short') };
/** Dead-lettered: 2 lines that are no JSON, 1 record of another schema, 2 undecodable objects, the foreign one, the broken Parquet. */
const DEAD = 7;

let dir: string;
let s3: { server: FauxqsServer; endpoint: string };
let gcs: GcsTestServer;

useCloudServers(BUCKET, 'k8stream-archive-bad-', (servers) => ({ dir, s3, gcs } = servers));

const window = { from: BAD_WINDOW.from, to: BAD_WINDOW.to, cluster: BAD_CLUSTER };

/** Checks one replay of the damaged hour: 30 records delivered, 7 entries dead-lettered with their object's key. */
async function assertDamageHandled(at: string, summary: Awaited<ReturnType<typeof runArchive>>, keyOf: (name: string) => string): Promise<void> {
  const bad = badObjects();
  expect(summary.counters.records).toBe(bad.records);
  expect(summary.counters.invalid).toBe(DEAD);
  expect(summary.counters.received).toBe(bad.records + DEAD);
  expect(summary.sinks[0]!.stats.eventsSent).toBe(bad.records);
  const out = await readOut(at);
  expect(out).toHaveLength(bad.records);
  expect(new Set(out.map((r) => r.id)).size).toBe(bad.records);
  const dead = await readDeadLetter(at);
  expect(dead).toHaveLength(DEAD);
  // Each has its own id (the key, or the key and the entry): single-entry dead-letter batches never share a file.
  expect(new Set(dead.map((d) => d.id)).size).toBe(DEAD);
  expect(summary.deadLetter.stats.eventsSent).toBe(DEAD);
  expect(dead.every((d) => d.stage === 'source')).toBe(true);
  const messages = dead.map((d) => d.error.message).sort();
  const damaged = keyOf('20260102T030425000Z-damaged-lines.ndjson');
  expect(messages.filter((m) => m.startsWith(`${damaged}: `))).toHaveLength(3);
  expect(messages.some((m) => m.includes('k8stream.deadletter/v1') && m.includes('unknown schema version'))).toBe(true);
  for (const name of [...bad.skipped, BROKEN_PARQUET]) expect(messages.filter((m) => m.startsWith(`${keyOf(name)}: cannot decode`))).toHaveLength(1);
  expect(messages.filter((m) => m.startsWith(`${keyOf(FOREIGN)}: not a batch of the layout`))).toHaveLength(1);
}

describe('archive source: damaged archives', () => {
  it('a directory: each damaged object or entry is dead-lettered with its key, the rest delivered', async () => {
    const at = join(dir, 'file');
    const archive = join(at, 'archive');
    await writeBadFileArchive(archive);
    for (const [name, body] of Object.entries(EXTRA)) await writeFile(join(archive, BAD_CLUSTER, '2026', '01', '02', '03', name), body);
    const summary = await runArchive(at, { location: archive, ...window });
    await assertDamageHandled(at, summary, (name) => `${BAD_CLUSTER}/2026/01/02/03/${name}`);
  });

  it('S3: the same damage, the same counts', async () => {
    const at = join(dir, 's3');
    const client = testClient(s3.endpoint);
    try {
      await putBadS3Archive(client, BUCKET, 'events');
      for (const [name, body] of Object.entries(EXTRA)) {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `events/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`, Body: body }));
      }
    } finally {
      client.destroy();
    }
    const summary = await runArchive(at, { location: `s3://${BUCKET}/events`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, ...window });
    await assertDamageHandled(at, summary, (name) => `events/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`);
  });

  it('GCS: the same damage, the same counts', async () => {
    const at = join(dir, 'gcs');
    putBadGcsArchive(gcs, BUCKET, 'events');
    for (const [name, data] of Object.entries(EXTRA)) {
      gcs.putObject(BUCKET, {
        name: `events/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`,
        data,
        contentType: 'application/octet-stream',
        contentEncoding: undefined,
        metadata: {},
      });
    }
    const summary = await runArchive(at, { location: `gs://${BUCKET}/events`, endpoint: gcs.url, ...window });
    await assertDamageHandled(at, summary, (name) => `events/cluster=${BAD_CLUSTER}/dt=2026-01-02/hour=03/${name}`);
  });

  it('nothing readable: `k8stream run` exits non-zero with one line saying why, the objects dead-lettered', async () => {
    const at = join(dir, 'unreadable');
    const partition = join(at, 'archive', BAD_CLUSTER, '2026', '01', '02', '03');
    await mkdir(partition, { recursive: true });
    const { objects, skipped } = badObjects();
    for (const name of skipped) await writeFile(join(partition, name), objects[name]!);
    const config = join(at, 'k8stream.yaml');
    await writeFile(config, JSON.stringify(archiveConfig(at, { location: join(at, 'archive'), ...window }, { transforms: [] })));
    const r = await runCli(['run', '--config', config]);
    expect(r.code).not.toBe(0);
    const errors = r.stderr.split('\n').filter((l) => l.includes('ARCHIVE_UNAVAILABLE'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('nothing to replay: none of the 2 archived objects between 2026-01-02T03:00:00Z and 2026-01-02T04:00:00Z could be read');
    const dead = await readDeadLetter(at);
    expect(dead.map((d) => d.error.code).sort()).toEqual(['EVENT_INVALID', 'EVENT_INVALID']);
  });

  it('nothing but records of another schema: the run fails saying so, each record dead-lettered', async () => {
    const at = join(dir, 'foreign-schema');
    const partition = join(at, 'archive', BAD_CLUSTER, '2026', '01', '02', '03');
    await mkdir(partition, { recursive: true });
    const future = sampleRecords(3, 0).map((r) => JSON.stringify({ ...r, schema: 'k8stream.event/v2' }));
    await writeFile(join(partition, '20260102T030405000Z-future.ndjson'), future.join('\n') + '\n');
    await expect(runArchive(at, { location: join(at, 'archive'), ...window })).rejects.toThrow(
      /nothing to replay: the 1 readable objects between 2026-01-02T03:00:00Z and 2026-01-02T04:00:00Z hold no k8stream.event\/v1 record \(3 entries dead-lettered\)/,
    );
    const dead = await readDeadLetter(at);
    expect(dead.map((d) => d.error.message)).toEqual([0, 1, 2].map((i) => expect.stringContaining(`future.ndjson: record ${i} has schema "k8stream.event/v2"`)));
  });
});
