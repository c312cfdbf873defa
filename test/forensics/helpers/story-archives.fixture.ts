/**
 * Records the scripted incident (`createIncidentStory`) into three archives at once: the real
 * pipeline (`run`, the live `kubernetes` source over HTTPS with a token, every enrichment) with a
 * `file` sink, an `s3` sink on the repository's S3 server (fauxqs, the real AWS SDK) and a `gcs`
 * sink on the GCS JSON-API test server (the real GCS client). Resolves once every Event write
 * of the story is acknowledged by all three sinks (the run's shutdown flushes them).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIncidentStory, startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble, IncidentStory } from '@k8stream/apiserver-double';
import type { FauxqsServer } from 'fauxqs';
import { loadConfig } from '../../../core/src/config/index.js';
import { run } from '../../../core/src/runtime.js';
import type { RunSummary } from '../../../core/src/runtime.js';
import { silentLogger } from '../../../core/src/util/logger.js';
import { TEST_CREDENTIALS, startS3 } from '../../../plugins/sink-s3/src/s3.fixture.js';
import { startGcsServer } from '../../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../../plugins/sink-gcs/src/gcs-server.fixture.js';

export const CLUSTER = 'story';
export const BUCKET = 'k8stream-story';
export const PREFIX = 'events';
/** The sinks' names in the run's config. */
export const SINKS = ['archive', 's3', 'gcs'] as const;

export interface StoryArchives {
  /** Temporary directory holding the config, the kubeconfig and the file archive. */
  dir: string;
  /** The run's config file (`-c` for `--sink NAME`). */
  config: string;
  story: IncidentStory;
  summary: RunSummary;
  /** `--archive` arguments reading each sink's archive. */
  archives: { file: string; s3: string; gcs: string };
  /** The `parquet` sink's file archive, when recorded with `parquet`. */
  parquetArchive?: string;
  /** Options the S3 archive needs besides `--archive` (an S3-compatible server). */
  s3Options: string[];
  api: ApiServerDouble;
  s3: { server: FauxqsServer; endpoint: string };
  gcs: GcsTestServer;
  /** Stops the servers, removes the directory and restores the environment. */
  close(): Promise<void>;
}

/**
 * The environment the S3 and GCS clients read (the run and the forensics commands share this
 * process): the test server's static credentials, and the GCS emulator host for `gs://` archives.
 */
function setEnvironment(gcsUrl: string): () => void {
  const values: Record<string, string> = {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    STORAGE_EMULATOR_HOST: gcsUrl,
  };
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

export interface RecordOptions {
  /**
   * A fourth sink, `parquet`: a file sink writing the same batches as Parquet (zstd inside) to
   * `dir/out-parquet` (the `archive` sink writes gzip NDJSON to `dir/out`).
   */
  parquet?: boolean;
}

function configText(dir: string, kubeconfig: string, s3Endpoint: string, gcsUrl: string, options: RecordOptions): string {
  // Small batches that close by age: the story spans two hours, so batches land in both partitions.
  const batch = '    batch: { maxEvents: 6, maxAgeMs: 200 }';
  const retry = '    retry: { initialBackoffMs: 50, maxBackoffMs: 200 }';
  return [
    `cluster: ${CLUSTER}`,
    `source: { kubeconfig: ${kubeconfig} }`,
    'enrich: { objects: true, owners: true, nodes: true, services: true }',
    'sinks:',
    '  - name: archive',
    '    use: file',
    batch,
    '    encoding: { format: ndjson, compression: gzip }',
    `    config: { dir: ${join(dir, 'out')}, fsync: false }`,
    '  - name: s3',
    '    use: s3',
    batch,
    retry,
    `    config: { bucket: ${BUCKET}, region: us-east-1, endpoint: "${s3Endpoint}", forcePathStyle: true, prefix: ${PREFIX} }`,
    '  - name: gcs',
    '    use: gcs',
    batch,
    retry,
    `    config: { bucket: ${BUCKET}, apiEndpoint: "${gcsUrl}", projectId: test-project, prefix: ${PREFIX} }`,
    ...(options.parquet === true
      ? ['  - name: parquet', '    use: file', batch, '    encoding: { format: parquet, compression: zstd }', `    config: { dir: ${join(dir, 'out-parquet')}, fsync: false }`]
      : []),
    `deadLetter: { use: file, config: { dir: ${join(dir, 'deadletter')} } }`,
    'shutdown: { graceMs: 10s }',
    '',
  ].join('\n');
}

/** Plays the story into a running pipeline with three sinks (four with `parquet`); resolves once all hold every write. */
export async function recordStory(options: RecordOptions = {}): Promise<StoryArchives> {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-story-'));
  const [api, s3, gcs] = await Promise.all([startApiServer({ https: true, token: randomBytes(12).toString('hex') }), startS3([BUCKET]), startGcsServer({ buckets: [BUCKET] })]);
  const restoreEnv = setEnvironment(gcs.url);
  const close = async () => {
    restoreEnv();
    await Promise.all([api.close(), s3.server.stop(), gcs.close()]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const story = createIncidentStory(api.store);
    const kubeconfig = await api.writeKubeconfig(join(dir, 'kube'));
    const config = join(dir, 'k8stream.yaml');
    await writeFile(config, configText(dir, kubeconfig, s3.endpoint, gcs.url, options));

    const writes = story.writes.length;
    const stop = new AbortController();
    // The story starts once the events list is answered: the watch resumes from it, so every write (each recurrence too) is seen.
    const listed = api.stats.waitFor((s) => s.count({ verb: 'list', resource: 'events', code: 200 }) >= 1).then(() => story.play());
    const summary = await run(await loadConfig({ configPath: config }), {
      logger: silentLogger,
      signal: stop.signal,
      onProgress: (c) => {
        if (c.records >= writes) stop.abort();
      },
    });
    await listed;
    for (const sink of summary.sinks) {
      if (sink.stats.eventsSent !== writes) throw new Error(`sink ${sink.name} sent ${sink.stats.eventsSent} of the story's ${writes} events`);
    }
    return {
      dir,
      config,
      story,
      summary,
      archives: { file: join(dir, 'out'), s3: `s3://${BUCKET}/${PREFIX}`, gcs: `gs://${BUCKET}/${PREFIX}` },
      ...(options.parquet === true ? { parquetArchive: join(dir, 'out-parquet') } : {}),
      s3Options: ['--endpoint', s3.endpoint, '--force-path-style', '--region', 'us-east-1'],
      api,
      s3,
      gcs,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
