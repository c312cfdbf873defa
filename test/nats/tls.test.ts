// TLS against a real nats-server that requires a client certificate (mutual TLS), with a
// throw-away CA made by openssl. The sink trusts the CA from `tls.caFile` and presents
// `tls.certFile`/`tls.keyFile`, all given relative to the config file directory; without the
// client certificate, or without the CA, the healthcheck fails with SINK_UNHEALTHY.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '../../core/src/testing/index.js';
import type { SinkInstance } from '../../core/src/plugins/api.js';
import { createNatsSink } from '../../plugins/sink-nats/src/index.js';
import { makeTestPki, readStream, startNatsServer, testConnection } from '../helpers/nats.fixture.js';
import type { NatsServer, TestPki } from '../helpers/nats.fixture.js';

let dir: string;
let configDir: string;
let pki: TestPki;
let server: NatsServer;
const open: SinkInstance[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-nats-tls-'));
  configDir = join(dir, 'config');
  pki = await makeTestPki(dir);
  server = await startNatsServer({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, verifyClientsWith: pki.caFile } });
});

afterAll(async () => {
  for (const sink of open) await sink.close?.();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A path as a user writes it in the config: relative to the config file directory. */
const rel = (file: string) => relative(configDir, file);

async function sinkWith(tls: Record<string, unknown>): Promise<SinkInstance> {
  const plugin = createNatsSink();
  const sink = await plugin.create(plugin.validate({ servers: server.url, tls, connectTimeout: '2s', stream: { create: true, name: 'TLS' } }), testSinkContext({ configDir }));
  open.push(sink);
  return sink;
}

describe('NATS sink over mutual TLS', () => {
  it('trusts tls.caFile, presents tls.certFile/keyFile (relative to the config), and publishes', async () => {
    const sink = await sinkWith({ caFile: rel(pki.caFile), certFile: rel(pki.clientCertFile), keyFile: rel(pki.clientKeyFile) });
    await sink.healthcheck!();
    await sink.send(await makeTestBatch(sampleRecords(4)), testSendContext());
    const nc = await testConnection(server.url, { tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } });
    try {
      expect(await readStream(nc, 'TLS')).toHaveLength(4);
    } finally {
      await nc.close();
    }
  });

  it('without a client certificate the server refuses it: SINK_UNHEALTHY', async () => {
    const sink = await sinkWith({ caFile: rel(pki.caFile) });
    await expect(sink.healthcheck!()).rejects.toMatchObject({
      code: 'SINK_UNHEALTHY',
      message: expect.stringMatching(/^nats sink "test": connecting to nats:\/\/127\.0\.0\.1:\d+ failed: /),
    });
  });

  it('without the CA the server certificate is not trusted: SINK_UNHEALTHY', async () => {
    const sink = await sinkWith({ certFile: rel(pki.clientCertFile), keyFile: rel(pki.clientKeyFile) });
    await expect(sink.healthcheck!()).rejects.toMatchObject({ code: 'SINK_UNHEALTHY', message: expect.stringMatching(/certificate/i) });
  });
});
