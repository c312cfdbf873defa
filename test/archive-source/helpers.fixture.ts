/**
 * Helpers for the archive-source tests: record an archive with the real pipeline (replay → a
 * storage sink, small batches over several hours), then replay it with `source.type: archive`
 * through the `redact` transform into a file sink, and read back what arrived.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, vi } from 'vitest';
import { validateConfig } from '../../core/src/config/index.js';
import { run } from '../../core/src/runtime.js';
import type { RunSummary } from '../../core/src/runtime.js';
import { silentLogger } from '../../core/src/util/logger.js';
import { readAllRecords } from '../../plugins/sink-file/src/read-back.fixture.js';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { TEST_CREDENTIALS, startS3 } from '../../plugins/sink-s3/src/s3.fixture.js';
import { BASE_MS, CLUSTER, REPO, runReplay, writeReplayFile } from '../cloud/helpers/pipeline.fixture.js';
import type { InputEvent, RawSink } from '../cloud/helpers/pipeline.fixture.js';

export { BASE_MS, CLUSTER, REPO };

/** A test file's temp directory and the S3 and GCS test servers, each holding the bucket. */
export interface CloudServers {
  dir: string;
  s3: { server: FauxqsServer; endpoint: string };
  gcs: GcsTestServer;
}

/**
 * Registers the test file's hooks: before all, the test credentials in the environment, a temp
 * directory (`tmpPrefix`), and the S3 and GCS servers with `bucket` (handed to `ready`); after
 * all, everything stopped and removed.
 */
export function useCloudServers(bucket: string, tmpPrefix: string, ready: (servers: CloudServers) => void): void {
  const servers: Partial<CloudServers> = {};
  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_PROFILE', undefined);
    servers.dir = await mkdtemp(join(tmpdir(), tmpPrefix));
    servers.s3 = await startS3([bucket]);
    servers.gcs = await startGcsServer({ buckets: [bucket] });
    ready(servers as CloudServers);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await servers.s3?.server.stop();
    await servers.gcs?.close();
    if (servers.dir) await rm(servers.dir, { recursive: true, force: true });
  });
}

/** Events recorded, over HOURS hours, in batches of BATCH: 12 objects in 3 hourly partitions. */
export const EVENTS = 600;
export const HOURS = 3;
export const BATCH = 50;

/** The whole recorded window. */
export const WINDOW = { from: new Date(BASE_MS - 3_600_000).toISOString(), to: new Date(BASE_MS + (HOURS + 1) * 3_600_000).toISOString() };

/** Records the archive into `sink` (its `batch` set to BATCH events); returns the input events. */
export async function recordArchive(dir: string, sink: RawSink): Promise<InputEvent[]> {
  await mkdir(dir, { recursive: true });
  const { file, events } = await writeReplayFile(dir, EVENTS, HOURS);
  const summary = await runReplay(join(dir, 'recording'), file, { batch: { maxEvents: BATCH, maxAgeMs: 60_000 }, ...sink });
  if (summary.sinks[0]!.stats.eventsSent !== EVENTS) throw new Error(`recording sent ${summary.sinks[0]!.stats.eventsSent} of ${EVENTS} events`);
  return events;
}

/** The `.k8streamrc` of a replay of `archive` into a file sink at `dir/out`, through `redact`. */
export function archiveConfig(dir: string, archive: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: 'replayed',
    source: { type: 'archive', archive: { ...WINDOW, ...archive } },
    transforms: [{ use: 'redact' }],
    sinks: [{ use: 'file', name: 'out', batch: { maxEvents: 100, maxAgeMs: 60_000 }, config: { dir: join(dir, 'out') } }],
    deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
    shutdown: { graceMs: 30_000 },
    ...extra,
  };
}

/** Runs the archive replay in this process. */
export async function runArchive(dir: string, archive: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RunSummary> {
  const config = validateConfig(archiveConfig(dir, archive, extra));
  return run({ config, filepath: null, dir: REPO }, { logger: silentLogger, signal: new AbortController().signal });
}

export interface OutRecord {
  id: string;
  cluster: string;
  message: string;
  reason: string;
  schema: string;
}

/** What the file sink at `dir/out` holds. */
export async function readOut(dir: string): Promise<OutRecord[]> {
  return (await readAllRecords(join(dir, 'out')).catch(() => [])) as OutRecord[];
}

export interface DeadLetterEntry {
  id: string;
  stage: string;
  error: { code: string; message: string };
  record: unknown;
}

/** Dead-letter records at `dir/deadletter`. */
export async function readDeadLetter(dir: string): Promise<DeadLetterEntry[]> {
  return (await readAllRecords(join(dir, 'deadletter')).catch(() => [])) as DeadLetterEntry[];
}

/** Checks `out` is exactly the input, once each, redacted, with the recorded cluster and ids. */
export function expectExactReplay(out: readonly OutRecord[], input: readonly InputEvent[]): string | null {
  const ids = out.map((r) => r.id);
  if (new Set(ids).size !== ids.length) return `${ids.length - new Set(ids).size} duplicates`;
  const want = new Set(input.map((e) => e.id));
  const missing = [...want].filter((id) => !ids.includes(id));
  if (missing.length > 0 || ids.length !== want.size) return `${missing.length} missing, ${ids.length} delivered of ${want.size}`;
  const wrongCluster = out.filter((r) => r.cluster !== CLUSTER).length;
  if (wrongCluster > 0) return `${wrongCluster} records lost their recorded cluster`;
  const unredacted = out.filter((r) => /\b10\.1\.\d+\.7\b/.test(r.message)).length;
  if (unredacted > 0) return `${unredacted} messages still hold an IPv4 address`;
  return null;
}
