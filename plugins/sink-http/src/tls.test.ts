import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createHttpSink } from './sink.js';

const run = promisify(execFile);

describe('https', () => {
  let dir = '';
  let server: https.Server;
  let url = '';
  let received = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-sink-http-tls-'));
    // A self-signed certificate for 127.0.0.1, which is its own CA.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'ca.pem'),
    ]);
    server = https.createServer({ key: await readFile(path.join(dir, 'key.pem')), cert: await readFile(path.join(dir, 'ca.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        received += 1;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const sinkWith = async (config: Record<string, unknown>) => {
    const plugin = createHttpSink({ env: {} });
    return plugin.create(plugin.validate({ url, ...config }), testSinkContext({ configDir: dir }));
  };

  it('trusts the CA in tls.caFile (relative to the config directory)', async () => {
    const sink = await sinkWith({ tls: { caFile: 'ca.pem' } });
    const before = received;
    await sink.send(await makeTestBatch(sampleRecords(2)), testSendContext());
    expect(received).toBe(before + 1);
  });

  it('rejects an unknown certificate (transient), unless insecureSkipVerify', async () => {
    const strict = await sinkWith({});
    const err = await strict.send(await makeTestBatch(sampleRecords(2)), testSendContext()).catch((e: unknown) => e);
    expect(classifySinkError(err)).toBe('transient');
    expect((err as Error).message).toContain(`POST ${url} failed: `);
    const lax = await sinkWith({ tls: { insecureSkipVerify: true } });
    await expect(lax.send(await makeTestBatch(sampleRecords(2)), testSendContext())).resolves.toBeUndefined();
  });
});
