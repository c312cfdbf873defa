// Failing-credentials runs of the real `k8stream` binary (build first: `npx tsc -b`), at debug
// level in both log formats: the secrets involved never appear in stdout or stderr, while the
// failure is still reported with its code and the sink's name.
//  (a) an S3 sink whose fake S3 rejects every batch with SignatureDoesNotMatch and, like real
//      S3, echoes the signed request (session token, Authorization header) in its error body;
//  (b) a kubeconfig whose bearer token the API server rejects with 401.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import { runCli } from '../helpers/cli.fixture.js';

const ACCESS_KEY_ID = 'AKIDLOGSTEST0000001';
const SECRET_ACCESS_KEY = 'SECRETKEY-e1f5b3c7-do-not-log-9a8b';
const SESSION_TOKEN = 'SESSIONTOKEN-4d2c-do-not-log-77aa';
const ENDPOINT_PASSWORD = 'ENDPOINTPASS-0b9e-do-not-log';
const KUBE_TOKEN = 'KUBETOKEN-c3d1-do-not-log-5e6f';
const SECRETS = [SECRET_ACCESS_KEY, SESSION_TOKEN, ENDPOINT_PASSWORD, KUBE_TOKEN];
const FORMATS = ['json', 'pretty'] as const;
const BUCKET = 'logs-bucket';
const EVENTS = 20;
const BATCH = 10;

/**
 * A fake S3: HEAD bucket and the healthcheck PUT succeed; every other PUT gets 403
 * SignatureDoesNotMatch whose body repeats the request's credentials-bearing headers.
 */
async function startRejectingS3(): Promise<{ endpoint: string; rejected: () => number; close: () => Promise<void> }> {
  let rejected = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'HEAD' || url.includes('_k8stream-healthcheck')) {
        res.writeHead(200, { etag: '"0"', 'x-amz-request-id': 'R0' }).end();
        return;
      }
      rejected++;
      const auth = String(req.headers.authorization ?? '');
      const token = String(req.headers['x-amz-security-token'] ?? '');
      const body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>' +
        `<Message>The request signature we calculated does not match the signature you provided. Authorization: ${auth} x-amz-security-token: ${token}</Message>` +
        `<AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 ${auth}</StringToSign>` +
        `<CanonicalRequest>PUT ${url} x-amz-security-token:${token}</CanonicalRequest><RequestId>R${rejected}</RequestId></Error>`;
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': `R${rejected}` }).end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://k8stream:${ENDPOINT_PASSWORD}@127.0.0.1:${port}`,
    rejected: () => rejected,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Asserts that no secret, nor a SigV4 signature, appears in the output. */
function expectNoSecrets(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
  expect(output).not.toMatch(/Signature=[0-9a-f]{64}/);
}

let dir: string;
let s3: Awaited<ReturnType<typeof startRejectingS3>>;
let api: ApiServerDouble;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-logs-'));
  s3 = await startRejectingS3();
  api = await startApiServer({ token: 'the-right-token' });
  const lines: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const ts = new Date(Date.UTC(2026, 10, 27, 12, 0, i)).toISOString();
    lines.push(
      JSON.stringify({
        type: 'ADDED',
        object: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `e${i}`, namespace: 'default', uid: `uid-${i}`, resourceVersion: String(100 + i) },
          involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
          reason: 'Started',
          message: 'Started container',
          type: 'Normal',
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
        },
      }),
    );
  }
  await writeFile(join(dir, 'events.ndjson'), lines.join('\n') + '\n');
});

afterAll(async () => {
  await s3?.close();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('secrets never reach the logs of a failing-credentials run', () => {
  it.each(FORMATS)('S3 sink rejected with SignatureDoesNotMatch (%s)', async (format) => {
    const config = join(dir, `s3-${format}.k8streamrc.json`);
    await writeFile(
      config,
      JSON.stringify({
        cluster: 'logs-test',
        source: { type: 'replay', replay: { file: join(dir, 'events.ndjson') } },
        enrich: { objects: false, owners: false, nodes: false, services: false },
        sinks: [
          {
            name: 'archive',
            use: 's3',
            config: { bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 1 },
            batch: { maxEvents: BATCH },
          },
        ],
        deadLetter: { use: 'file', config: { dir: join(dir, `dl-${format}`) } },
        server: { enabled: false },
      }),
    );
    const before = s3.rejected();
    const r = await runCli(['run', '--config', config, '--log-format', format, '--log-level', 'debug'], {
      env: { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN },
    });
    const output = r.stdout + r.stderr;
    // Both batches reached the fake S3 (so its echo of the credentials was really received).
    expect(s3.rejected() - before).toBe(EVENTS / BATCH);
    expectNoSecrets(output);
    expect(output).toContain('[REDACTED]');
    // The failure is still clear: one error line per batch, with the sink and the code.
    const failures = errorLines(r.stderr, format).filter((l) => l.msg === 'batch dead-lettered');
    expect(failures).toHaveLength(EVENTS / BATCH);
    for (const f of failures) expect(f).toMatchObject({ sink: 'archive', code: expect.stringMatching(/SignatureDoesNotMatch|SINK_/) });
    expect(r.stderr).toMatch(/SignatureDoesNotMatch \(HTTP 403\)/);
    expect(r.code).toBe(0);
  });

  it.each(FORMATS)('kubeconfig token rejected with 401 (%s)', async (format) => {
    const kubeconfig = join(dir, `kubeconfig-${format}.yaml`);
    await writeFile(kubeconfig, api.kubeconfig({ token: KUBE_TOKEN }));
    const config = join(dir, `kube-${format}.k8streamrc.json`);
    await writeFile(
      config,
      JSON.stringify({
        cluster: 'logs-test',
        source: { kubeconfig },
        enrich: { objects: false, owners: false, nodes: false, services: false },
        sinks: [{ name: 'out', use: 'file', config: { dir: join(dir, `out-${format}`) } }],
        deadLetter: { use: 'file', config: { dir: join(dir, `kdl-${format}`) } },
        server: { enabled: false },
      }),
    );
    const before = api.stats.count({ code: 401 });
    // --debug too: stack traces on the fatal error must not carry the token either.
    const r = await runCli(['run', '--config', config, '--log-format', format, '--log-level', 'debug', '--debug']);
    const output = r.stdout + r.stderr;
    // The token really went to the server, which refused it once; the run gives up clearly.
    expect(api.stats.count({ code: 401 }) - before).toBe(1);
    expect(r.code).toBe(1);
    expectNoSecrets(output);
    expect(r.stderr).toMatch(/\[SOURCE_FAILED\] cannot list events \(core\/v1\) at the cluster scope: 401 Unauthorized/);
  });
});

/** The error lines of a run's stderr as objects (pretty lines parsed from `key=value`). */
function errorLines(stderr: string, format: 'json' | 'pretty'): Record<string, unknown>[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (format === 'json') {
    return lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((o) => o.level === 'error');
  }
  return lines
    .filter((l) => l.startsWith('ERROR '))
    .map((l) => {
      const msg = /^ERROR (.*?)(?= \w+=|$)/.exec(l)?.[1] ?? '';
      const fields: Record<string, unknown> = { msg };
      for (const m of l.matchAll(/ (\w+)=(\S+)/g)) fields[m[1]!] = m[2];
      return fields;
    });
}
