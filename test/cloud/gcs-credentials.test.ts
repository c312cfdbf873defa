// The GCS sink with a service-account key file against servers that check credentials: a local
// OAuth token endpoint (the key file's token_uri) verifies the signed JWT assertion with the
// account's public key and issues an access token; the GCS test server serves only requests
// bearing a token it issued. Auth is on with a custom endpoint because a key file is given; a
// wrong key or a rejected token fails with a clear error that shows no secret.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { K8streamError } from '@k8stream/core';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createGcsSink } from '../../plugins/sink-gcs/src/index.js';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { captureOutput, expectNoSecrets, isolateCredentialEnv } from './helpers/credentials-env.fixture.js';
import { serviceAccountKey, startOAuthServer } from './helpers/oauth-server.fixture.js';
import type { OAuthServer } from './helpers/oauth-server.fixture.js';
import { runReplay, writeReplayFile } from './helpers/pipeline.fixture.js';

const BUCKET = 'k8stream-archive';
const PROJECT = 'k8stream-test';
const EMAIL = `archiver@${PROJECT}.iam.gserviceaccount.com`;

let dir: string;
let oauth: OAuthServer;
let gcs: GcsTestServer;
let privateKeyPem: string;
let otherKeyPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-gcs-credentials-'));
  oauth = await startOAuthServer();
  gcs = await startGcsServer({ buckets: [BUCKET], authorize: (header) => oauth.accepts(header) });
  const account = oauth.serviceAccount(EMAIL, PROJECT);
  privateKeyPem = account.privateKeyPem;
  await writeFile(join(dir, 'sa.json'), account.keyJson);
  // The same account and token endpoint, signed with a key the endpoint does not know.
  otherKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFile(join(dir, 'wrong-key.json'), serviceAccountKey(EMAIL, PROJECT, otherKeyPem, oauth.tokenUri));
});

afterAll(async () => {
  await gcs?.close();
  await oauth?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  isolateCredentialEnv(join(dir, 'no-such-file'));
  output = captureOutput();
  gcs.reset([BUCKET]);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** The PEM's base64 body lines: none of them may show anywhere. */
const pemLines = (pem: string): string[] => pem.split('\n').filter((l) => l.length > 40);

async function open(extra: Record<string, unknown>) {
  const sink = createGcsSink();
  const config = sink.validate({ bucket: BUCKET, prefix: 'events', apiEndpoint: gcs.url, projectId: PROJECT, ...extra });
  return sink.create(config, testSinkContext({ name: 'archive', configDir: dir, logger: output.logger }));
}

async function caught(work: Promise<unknown>): Promise<K8streamError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8streamError);
  return err as K8streamError;
}

describe('GCS sink: a service-account key file against a token endpoint and a server that check them', () => {
  it('with keyFilename, auth is on for a custom endpoint: the assertion is verified, every request bears the issued token', async () => {
    const instance = await open({ keyFilename: 'sa.json' });
    await instance.healthcheck?.();
    const batch = await makeTestBatch(sampleRecords(3), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext({ logger: output.logger }));
    await instance.close?.();

    expect(oauth.grants.at(-1)).toEqual({ email: EMAIL, outcome: 'ok' });
    expect(gcs.requests.length).toBeGreaterThanOrEqual(2);
    expect(gcs.requests.every((r) => r.authorization)).toBe(true);
    expect([...gcs.buckets.get(BUCKET)!.keys()]).toEqual([`events/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`]);
    expectNoSecrets(null, output.lines, [...pemLines(privateKeyPem), oauth.issued.at(-1)!]);
  });

  it('a batch above resumableThreshold goes as one authenticated multipart request (the client would start a resumable one without the token)', async () => {
    const instance = await open({ keyFilename: 'sa.json', resumableThreshold: 0 });
    const batch = await makeTestBatch(sampleRecords(2), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    await instance.close?.();
    expect(gcs.requests.filter((r) => r.path.startsWith('/upload/')).map((r) => `${r.method} ${r.uploadType} ${r.authorization}`)).toEqual(['POST multipart true']);
    expect(gcs.buckets.get(BUCKET)!.size).toBe(1);
  });

  it('useAuthWithCustomEndpoint: false sends no credentials: the server answers 401 and the error says so', async () => {
    const instance = await open({ keyFilename: 'sa.json', useAuthWithCustomEndpoint: false });
    const health = await caught(instance.healthcheck!());
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toBe(`gcs sink "archive": not allowed to write to bucket "${BUCKET}" (HTTP 401)`);
    expect(gcs.requests.every((r) => !r.authorization)).toBe(true);
  });
});

describe('GCS sink: a key file through the real pipeline', () => {
  it('the runtime loads the sink, which gets a token from the key file’s token_uri and archives every event', async () => {
    const run = join(dir, 'pipeline');
    await mkdir(run, { recursive: true });
    const { file, events } = await writeReplayFile(run, 2000);
    const grantsBefore = oauth.grants.length;
    const summary = await runReplay(run, file, {
      use: 'gcs',
      batch: { maxEvents: 500, maxAgeMs: 60_000 },
      config: { bucket: BUCKET, prefix: 'events', apiEndpoint: gcs.url, projectId: PROJECT, keyFilename: join(dir, 'sa.json') },
    });
    expect(summary.sinks[0]!.stats).toMatchObject({ eventsSent: events.length, batchesSent: 4, deadLettered: 0 });
    expect(oauth.grants.slice(grantsBefore)).toEqual([{ email: EMAIL, outcome: 'ok' }]);
    expect(gcs.requests.every((r) => r.authorization)).toBe(true);
    expect([...gcs.buckets.get(BUCKET)!.keys()].filter((k) => k.endsWith('.ndjson.gz'))).toHaveLength(4);
  });
});

describe('GCS sink: a wrong key or a rejected token fails clearly, without secrets', () => {
  it('a key the token endpoint cannot verify: permanent, names the token endpoint’s answer and the key file', async () => {
    const instance = await open({ keyFilename: 'wrong-key.json' });
    const health = await caught(instance.healthcheck!());
    const send = await caught(instance.send(await makeTestBatch(sampleRecords(1), undefined, { sink: 'archive' }), testSendContext({ logger: output.logger })));
    await instance.close?.();

    expect(oauth.grants.at(-1)).toEqual({ email: EMAIL, outcome: 'Invalid JWT Signature.' });
    expect(gcs.requests).toEqual([]);
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toMatch(/invalid_grant: Invalid JWT Signature\./);
    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toMatch(/invalid_grant: Invalid JWT Signature\./);
    expect(send.hint).toMatch(/keyFilename/);
    for (const err of [health, send]) expectNoSecrets(err, output.lines, [...pemLines(otherKeyPem), ...pemLines(privateKeyPem)]);
  });

  it('a token the server no longer accepts: permanent 401 Invalid Credentials, the token not shown', async () => {
    const instance = await open({ keyFilename: 'sa.json' });
    await instance.healthcheck?.();
    const token = oauth.issued.at(-1)!;
    oauth.revokeAll();
    const send = await caught(instance.send(await makeTestBatch(sampleRecords(1), undefined, { sink: 'archive' }), testSendContext({ logger: output.logger })));
    await instance.close?.();

    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toMatch(/HTTP 401: Invalid Credentials/);
    expect(send.hint).toMatch(/did not accept the credentials: check keyFilename/);
    expectNoSecrets(send, output.lines, [token, ...pemLines(privateKeyPem)]);
  });
});
