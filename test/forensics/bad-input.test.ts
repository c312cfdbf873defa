// The forensics commands on bad input, as a user meets it through the CLI: a missing archive or
// bucket, damaged objects (truncated gzip, garbage, malformed lines, records of another schema),
// bad time arguments and an empty window. Each gives a coded error naming what is wrong, or a
// counted, named skip with the rest answered — never a crash or a silent loss.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineData } from '../../core/src/forensics/types.js';
import { TEST_CREDENTIALS, startS3, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { BAD_WINDOW, badObjects, putBadGcsArchive, putBadS3Archive, writeBadFileArchive } from './helpers/bad-archive.fixture.js';
import { k8stream } from './helpers/cli.fixture.js';

const BUCKET = 'k8stream-bad';
let dir: string;
let archive: string;
let s3: { server: FauxqsServer; endpoint: string };
let gcs: GcsTestServer;
let client: S3Client;
let restoreEnv: () => void;

/** The S3 client reads its credentials, and the GCS client its emulator, from this process's environment. */
function setEnvironment(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-bad-input-'));
  archive = join(dir, 'out');
  [s3, gcs] = await Promise.all([startS3([BUCKET]), startGcsServer({ buckets: [BUCKET] })]);
  client = testClient(s3.endpoint);
  await writeBadFileArchive(archive);
  await putBadS3Archive(client, BUCKET, 'events');
  putBadGcsArchive(gcs, BUCKET, 'events');
  restoreEnv = setEnvironment({
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    STORAGE_EMULATOR_HOST: gcs.url,
  });
});
afterAll(async () => {
  restoreEnv?.();
  client?.destroy();
  await Promise.all([s3?.server.stop(), gcs?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const s3Options = () => ['--endpoint', s3.endpoint, '--force-path-style', '--region', 'us-east-1'];
const hour = ['--from', BAD_WINDOW.from, '--to', BAD_WINDOW.to];
const run = (argv: string[]) => k8stream(argv);

/** The first line of stderr that carries an error code, and its code. */
function codedError(stderr: string): { code: string; line: string } {
  const m = /\[([A-Z_]+)\] (.*)/.exec(stderr);
  if (!m) throw new Error(`no coded error on stderr:\n${stderr}`);
  return { code: m[1]!, line: m[2]! };
}

/** A command that must fail with `code`, not crash: exit 2 for bad arguments, else 1; a coded line, no stack trace. */
async function fails(argv: string[], code: string): Promise<string> {
  const r = await run(argv);
  expect(r.code, r.stderr).toBe(code === 'ARGUMENT_INVALID' ? 2 : 1);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('[INTERNAL]');
  expect(codedError(r.stderr).code, r.stderr).toBe(code);
  return r.stderr;
}

describe('an archive that is not there', () => {
  it('no such directory: ARCHIVE_UNAVAILABLE naming it', async () => {
    const missing = join(dir, 'no-such-archive');
    const stderr = await fails(['query', '--archive', missing, ...hour, 'SELECT count(*) FROM events'], 'ARCHIVE_UNAVAILABLE');
    expect(stderr).toContain(missing);
  });

  it('no such bucket, on S3 and on GCS: ARCHIVE_UNAVAILABLE naming it', async () => {
    const onS3 = await fails(['timeline', '--service', 'shop/web', '--archive', 's3://no-such-bucket/events', ...s3Options(), ...hour], 'ARCHIVE_UNAVAILABLE');
    expect(onS3).toContain('no-such-bucket');
    const onGcs = await fails(['report', '--service', 'shop/web', '--archive', 'gs://no-such-bucket/events', ...hour, '-o', join(dir, 'r.html')], 'ARCHIVE_UNAVAILABLE');
    expect(onGcs).toContain('no-such-bucket');
  });
});

describe('damaged objects are skipped, named and counted; the rest is answered', () => {
  const expected = badObjects();

  it.each(['file', 's3', 'gcs'] as const)('from the %s archive: a truncated gzip object and a garbage object', async (where) => {
    const location = { file: ['--archive', archive], s3: ['--archive', `s3://${BUCKET}/events`, ...s3Options()], gcs: ['--archive', `gs://${BUCKET}/events`] }[where];
    const r = await run(['query', ...location, ...hour, '--format', 'json', 'SELECT reason, count(*) AS n FROM events GROUP BY reason ORDER BY reason']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { reason: string; n: number | string }[];
    expect(Object.fromEntries(rows.map((x) => [x.reason, Number(x.n)]))).toEqual(expected.reasons);
    // The summary counts what was read and left out, and names each skipped object with why.
    expect(r.stderr).toContain(': 30 records (2 malformed lines, 1 record of another schema left out, 2 objects skipped: ');
    expect(r.stderr).toMatch(/20260102T030435000Z-truncated\.ndjson\.gz: not readable as gzip \(truncated or corrupt\)/);
    expect(r.stderr).toMatch(/20260102T030500000Z-garbage\.ndjson\.gz: not readable as gzip/);
  });

  it('malformed lines and records of another schema are counted exactly (timeline stats)', async () => {
    const r = await run(['timeline', '--workload', 'Deployment/shop/web', '--archive', archive, ...hour, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as TimelineData;
    expect(t.stats.records).toBe(expected.records);
    expect(t.stats.malformedLines).toBe(expected.malformedLines);
    expect(t.stats.foreignRecords).toBe(expected.foreignRecords);
    expect(t.stats.duplicates).toBe(0);
    expect(t.stats.skippedObjects.map((s) => [s.key.split('/').pop(), s.code]).sort()).toEqual(expected.skipped.map((k) => [k, 'EVENT_INVALID']));
    expect(t.events).toHaveLength(expected.records);
    expect(r.stderr).toContain(': 30 records (2 malformed lines, 1 record of another schema left out, 2 objects skipped: ');
  });
});

describe('a batch archived twice (delivery is at least once)', () => {
  it('is counted once: the same rows, and the repeats counted', async () => {
    const copy = join(dir, 'twice');
    await writeBadFileArchive(copy);
    const partition = join(copy, 'test-cluster', '2026', '01', '02', '03');
    await cp(join(partition, '20260102T030405000Z-good.ndjson.gz'), join(partition, '20260102T030405000Z-good-again.ndjson.gz'));
    const r = await run(['query', '--archive', copy, ...hour, '--format', 'json', 'SELECT reason, count(*) AS n FROM events GROUP BY reason ORDER BY reason']);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.fromEntries((JSON.parse(r.stdout) as { reason: string; n: number }[]).map((x) => [x.reason, x.n]))).toEqual(badObjects().reasons);
    expect(r.stderr).toContain('read 3 objects in 2 partitions: 30 records (20 repeats dropped, 2 malformed lines');
  });
});

describe('bad time arguments: ARGUMENT_INVALID naming the argument', () => {
  it('a window over a year', async () => {
    const stderr = await fails(['query', '--archive', archive, '--from', '2025-01-01T00:00:00Z', '--to', '2026-03-01T00:00:00Z', 'SELECT 1'], 'ARGUMENT_INVALID');
    expect(stderr).toMatch(/424 days; at most 366/);
    expect(stderr).toContain('--from/--to');
  });

  it('--from after --to', async () => {
    const stderr = await fails(['timeline', '--service', 'shop/web', '--archive', archive, '--from', BAD_WINDOW.to, '--to', BAD_WINDOW.from], 'ARGUMENT_INVALID');
    expect(codedError(stderr).line).toContain('--to (2026-01-02T03:00:00.000Z) is not after --from (2026-01-02T04:00:00.000Z)');
  });

  it('an unparseable time', async () => {
    const stderr = await fails(['query', '--archive', archive, '--from', 'yesterday-ish', 'SELECT 1'], 'ARGUMENT_INVALID');
    expect(codedError(stderr).line).toMatch(/^--from "yesterday-ish": expected RFC 3339/);
    const since = await fails(['query', '--archive', archive, '--since', 'a while', 'SELECT 1'], 'ARGUMENT_INVALID');
    expect(codedError(since).line).toMatch(/^--since "a while"/);
  });
});

describe('other bad input', () => {
  it('a window with no data names the partitions it looked at', async () => {
    const r = await run(['query', '--archive', archive, '--from', '2026-01-05T10:00:00Z', '--to', '2026-01-05T11:00:00Z', 'SELECT count(*) AS n FROM events']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no records/i);
    // The window's hour and the hour before it (the look-back).
    expect(r.stderr).toContain('2026/01/05/09');
    expect(r.stderr).toContain('2026/01/05/10');
  });

  it('SQL DuckDB rejects: QUERY_FAILED with its message', async () => {
    const stderr = await fails(['query', '--archive', archive, ...hour, 'SELECT no_such_column FROM events'], 'QUERY_FAILED');
    expect(stderr).toContain('no_such_column');
  });
});
