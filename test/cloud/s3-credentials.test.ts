// The S3 sink, with no credential seam, against a front that recomputes every request's SigV4
// signature before fauxqs sees it: the SDK's default chain must find the right credentials
// (environment, shared profile, IRSA web identity through a local STS) and sign for the right
// region; wrong or missing credentials fail with a clear error that shows no secret.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FauxqsServer } from 'fauxqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { K8streamError } from '@k8stream/core';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createS3Sink } from '../../plugins/sink-s3/src/index.js';
import { listKeys, startS3, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { captureOutput, expectNoSecrets, isolateCredentialEnv } from './helpers/credentials-env.fixture.js';
import { signJwt } from './helpers/jwt.fixture.js';
import { startSigV4Proxy } from './helpers/sigv4-proxy.fixture.js';
import type { SigV4Proxy } from './helpers/sigv4-proxy.fixture.js';
import { startStsServer } from './helpers/sts-server.fixture.js';
import { runReplay, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { StsServer } from './helpers/sts-server.fixture.js';

const BUCKET = 'k8stream-archive';
const REGION = 'eu-central-1';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/k8stream-archiver';
const STATIC = { id: 'AKIAK8STREAMSTATIC01', secret: 'k8s-static-secret/7f3a9c1e5b2d4f6a8c0e' };
const PROFILE = { id: 'AKIAK8STREAMPROFILE1', secret: 'k8s-profile-secret/2b4d6f8a0c1e3a5c7e9b' };

let dir: string;
let s3: { server: FauxqsServer; endpoint: string };
let front: SigV4Proxy;
let sts: StsServer;
let direct: S3Client;
const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-s3-credentials-'));
  s3 = await startS3([BUCKET]);
  front = await startSigV4Proxy({
    target: s3.endpoint,
    region: REGION,
    keys: { [STATIC.id]: { secretAccessKey: STATIC.secret }, [PROFILE.id]: { secretAccessKey: PROFILE.secret } },
  });
  sts = await startStsServer({ roleArn: ROLE_ARN, issuerKey: issuer.publicKey, onIssue: (id, key) => front.addKey(id, key) });
  direct = testClient(s3.endpoint);
});

afterAll(async () => {
  direct?.destroy();
  await sts?.close();
  await front?.close();
  await s3?.server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  isolateCredentialEnv(join(dir, 'no-such-file'));
  output = captureOutput();
  front.requests.length = 0;
  s3.server.emptyBucket(BUCKET);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const config = (extra: Record<string, unknown> = {}) => ({
  bucket: BUCKET,
  region: REGION,
  endpoint: front.endpoint,
  forcePathStyle: true,
  prefix: 'events',
  maxAttempts: 1,
  ...extra,
});

/** Opens the sink exactly as production does (no client seam), runs the healthcheck and one send. */
async function healthcheckAndSend(extra: Record<string, unknown> = {}): Promise<string> {
  const sink = createS3Sink();
  const instance = await sink.create(sink.validate(config(extra)), testSinkContext({ name: 'archive', logger: output.logger }));
  try {
    await instance.healthcheck?.();
    const batch = await makeTestBatch(sampleRecords(3), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext({ logger: output.logger }));
    return batch.id;
  } finally {
    await instance.close?.();
  }
}

/** The error `healthcheck` or `send` throws (whichever fails first). */
async function failure(extra: Record<string, unknown> = {}): Promise<K8streamError> {
  const err = await healthcheckAndSend(extra).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8streamError);
  return err as K8streamError;
}

/** Opens the sink and returns what `send` throws (the healthcheck skipped: it answers HEAD without a body). */
async function sendFailure(extra: Record<string, unknown> = {}): Promise<K8streamError> {
  const sink = createS3Sink();
  const instance = await sink.create(sink.validate(config(extra)), testSinkContext({ name: 'archive', logger: output.logger }));
  const batch = await makeTestBatch(sampleRecords(1), undefined, { sink: 'archive' });
  const err = await instance.send(batch, testSendContext({ logger: output.logger })).then(
    () => null,
    (e: unknown) => e,
  );
  await instance.close?.();
  expect(err).toBeInstanceOf(K8streamError);
  return err as K8streamError;
}

function signedWith(): string[] {
  return [...new Set(front.requests.map((r) => `${r.accessKeyId ?? '-'}:${r.outcome}`))];
}

async function writeCredentialsFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function writeTokenFile(name: string, key: typeof issuer.privateKey, aud = 'sts.amazonaws.com'): Promise<{ file: string; token: string }> {
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt({ iss: 'https://oidc.eks.eu-central-1.amazonaws.com/id/TEST', sub: 'system:serviceaccount:k8stream:k8stream', aud, iat: now, exp: now + 3600 }, key);
  const file = join(dir, name);
  await writeFile(file, token);
  return { file, token };
}

describe('S3 sink: the default credential chain against a verifying endpoint', () => {
  it('signs with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', STATIC.id);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', STATIC.secret);
    const id = await healthcheckAndSend();
    expect(signedWith()).toEqual([`${STATIC.id}:ok`]);
    expect((await listKeys(direct, BUCKET)).map((k) => k.endsWith(`${id}.ndjson.gz`))).toEqual([true]);
    expectNoSecrets(null, output.lines, [STATIC.secret]);
  });

  it('signs with a named profile of AWS_SHARED_CREDENTIALS_FILE, chosen by AWS_PROFILE or by "profile"', async () => {
    const file = await writeCredentialsFile(
      'credentials',
      `[default]\naws_access_key_id = AKIAK8STREAMNOBODY01\naws_secret_access_key = not-this-one\n\n[archiver]\naws_access_key_id = ${PROFILE.id}\naws_secret_access_key = ${PROFILE.secret}\n`,
    );
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
    vi.stubEnv('AWS_PROFILE', 'archiver');
    await healthcheckAndSend();
    expect(signedWith()).toEqual([`${PROFILE.id}:ok`]);

    vi.stubEnv('AWS_PROFILE', undefined);
    front.requests.length = 0;
    await healthcheckAndSend({ profile: 'archiver' });
    expect(signedWith()).toEqual([`${PROFILE.id}:ok`]);
    expect(await listKeys(direct, BUCKET)).toHaveLength(1);
  });

  it('signs temporary credentials from the environment with their AWS_SESSION_TOKEN', async () => {
    const temp = { id: 'ASIAK8STREAMENVTEMP1', secret: 'k8s-temp-secret/5c7e9b1d3f5a7c9e1b3d', token: 'IQoJb3JpZ2luX2VjK8STREAMENVSESSIONTOKEN00000000' };
    front.addKey(temp.id, { secretAccessKey: temp.secret, sessionToken: temp.token });
    vi.stubEnv('AWS_ACCESS_KEY_ID', temp.id);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', temp.secret);
    vi.stubEnv('AWS_SESSION_TOKEN', temp.token);
    await healthcheckAndSend();
    expect(signedWith()).toEqual([`${temp.id}:ok`]);
    expectNoSecrets(null, output.lines, [temp.secret, temp.token]);
  });

  it('assumes the IRSA role: web identity token file → local STS → temporary credentials with a session token', async () => {
    const { file } = await writeTokenFile('token', issuer.privateKey);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', file);
    vi.stubEnv('AWS_ROLE_ARN', ROLE_ARN);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', sts.endpoint);
    const callsBefore = sts.calls.length;
    await healthcheckAndSend();
    expect(sts.calls.slice(callsBefore)).toEqual([{ action: 'AssumeRoleWithWebIdentity', roleArn: ROLE_ARN, outcome: 'ok' }]);
    const temporary = sts.issued.at(-1)!;
    expect(temporary).toMatch(/^ASIA/);
    // Every request carried and signed the session token (the front rejects a temporary key without it).
    expect(signedWith()).toEqual([`${temporary}:ok`]);
    expect(await listKeys(direct, BUCKET)).toHaveLength(1);
  });
});

describe('S3 sink: every request shape the sink sends is signed right', () => {
  it('multipart parts and keys needing URI encoding, with IRSA credentials (session token on every part)', async () => {
    const { file } = await writeTokenFile('token-multipart', issuer.privateKey);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', file);
    vi.stubEnv('AWS_ROLE_ARN', ROLE_ARN);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', sts.endpoint);
    const sink = createS3Sink();
    const instance = await sink.create(
      sink.validate(config({ prefix: 'ev ents/ünï+cødé', key: '{prefix}/{sink} (a=b&c)/{batchId}{ext}', multipartThreshold: '5MiB', partSize: '5MiB' })),
      testSinkContext({ name: 'archive', logger: output.logger }),
    );
    const batch = await makeTestBatch(sampleRecords(9000), { format: 'ndjson', compression: 'none' }, { sink: 'archive' });
    expect(batch.body.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    await instance.send(batch, testSendContext({ logger: output.logger }));
    await instance.close?.();

    const temporary = sts.issued.at(-1)!;
    expect(signedWith()).toEqual([`${temporary}:ok`]);
    // Create, two parts, complete: each signed (query strings included) and accepted.
    expect(
      front.requests.map((r) => `${r.method} ${r.url.includes('?uploads') ? 'create' : r.url.includes('partNumber=') ? 'part' : r.url.includes('uploadId=') ? 'complete' : 'put'}`),
    ).toEqual(['POST create', 'PUT part', 'PUT part', 'POST complete']);
    expect(await listKeys(direct, BUCKET)).toEqual([`ev ents/ünï+cødé/archive (a=b&c)/${batch.id}.ndjson`]);
  });
});

describe('S3 sink: IRSA through the real pipeline', () => {
  it('the runtime loads the sink, which assumes the role and archives every event through the verifying front', async () => {
    const { file: tokenFile } = await writeTokenFile('token-pipeline', issuer.privateKey);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', tokenFile);
    vi.stubEnv('AWS_ROLE_ARN', ROLE_ARN);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', sts.endpoint);
    const run = join(dir, 'pipeline');
    const { file, events } = await writeReplayFile(await mkdtemp(run), 2000);
    const summary = await runReplay(dirname(file), file, { use: 's3', batch: { maxEvents: 500, maxAgeMs: 60_000 }, config: config() });
    expect(summary.sinks[0]!.stats).toMatchObject({ eventsSent: events.length, batchesSent: 4, deadLettered: 0 });
    expect(signedWith()).toEqual([`${sts.issued.at(-1)!}:ok`]);
    expect(await listKeys(direct, BUCKET)).toHaveLength(4);
  });
});

describe('S3 sink: wrong or missing credentials fail clearly, without secrets', () => {
  it('a wrong secret: the healthcheck fails, send is permanent SignatureDoesNotMatch with a hint', async () => {
    const wrong = 'k8s-wrong-secret/0000000000000000000000';
    vi.stubEnv('AWS_ACCESS_KEY_ID', STATIC.id);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', wrong);
    const health = await failure();
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toContain('HTTP 403');
    expect(health.hint).toMatch(/credentials/);
    const send = await sendFailure();
    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toMatch(/SignatureDoesNotMatch \(HTTP 403\)/);
    expect(send.hint).toMatch(/AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
    expect(signedWith()).toEqual([`${STATIC.id}:SignatureDoesNotMatch`]);
    expectNoSecrets(health, output.lines, [wrong, STATIC.id]);
    expectNoSecrets(send, [], [wrong, STATIC.id]);
  });

  it('an unknown access key id: InvalidAccessKeyId, the id itself redacted', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAK8STREAMUNKNOWN1');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', STATIC.secret);
    const send = await sendFailure();
    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toMatch(/InvalidAccessKeyId \(HTTP 403\)/);
    expect(signedWith()).toEqual(['AKIAK8STREAMUNKNOWN1:InvalidAccessKeyId']);
    expectNoSecrets(send, output.lines, [STATIC.secret, 'AKIAK8STREAMUNKNOWN1']);
  });

  it('a session token that is not the one issued with the key: InvalidToken', async () => {
    const token = 'IQoJb3JpZ2luX2VjEK8STREAMFORGEDTOKEN0000000000000000';
    vi.stubEnv('AWS_ACCESS_KEY_ID', STATIC.id);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', STATIC.secret);
    vi.stubEnv('AWS_SESSION_TOKEN', token);
    const send = await sendFailure();
    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toMatch(/InvalidToken \(HTTP 400\)/);
    expect(send.hint).toMatch(/check the credentials/);
    expectNoSecrets(send, output.lines, [STATIC.secret, token]);
  });

  it('signing for another region than the store: AuthorizationHeaderMalformed names the expected region', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', STATIC.id);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', STATIC.secret);
    const health = await failure({ region: 'us-east-1' });
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.hint).toMatch(/set "region"/);
    const send = await sendFailure({ region: 'us-east-1' });
    expect(send.code).toBe('SINK_PERMANENT');
    expect(send.message).toContain(`AuthorizationHeaderMalformed (HTTP 400): The authorization header is malformed; the region 'us-east-1' is wrong; expecting '${REGION}'`);
    expect(send.hint).toMatch(/region/);
  });

  it('no credentials anywhere: the healthcheck says so and lists where they come from', async () => {
    const health = await failure();
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toBe(`s3 sink "archive": no AWS credentials found`);
    expect(health.hint).toMatch(/AWS_ACCESS_KEY_ID.*profile.*IRSA/);
    expect(front.requests).toEqual([]);
  });

  it('a web identity token the STS cannot verify: the STS error, neither token nor key shown', async () => {
    const { file, token } = await writeTokenFile('forged-token', impostor.privateKey);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', file);
    vi.stubEnv('AWS_ROLE_ARN', ROLE_ARN);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', sts.endpoint);
    const health = await failure();
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toMatch(/InvalidIdentityToken/);
    expect(sts.calls.at(-1)?.outcome).toBe('InvalidIdentityToken');
    expect(front.requests).toEqual([]);
    expectNoSecrets(health, output.lines, [token, token.split('.')[2]!]);
  });
});
