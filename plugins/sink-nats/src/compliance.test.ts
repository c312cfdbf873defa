// The sink compliance suite against a real nats-server with JetStream, once per publish mode.
// Each test starts from a fresh stream (deleted and created again, so the duplicate window of a
// previous test cannot hide a message).
import { afterAll } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { decodeBody, sinkComplianceSuite } from '@k8stream/core/testing';
import type { EncodingOptions } from '@k8stream/core';
import { createStream, readStream, startNatsServer, testConnection } from '../../../test/helpers/nats.fixture.js';
import { createNatsSink } from './index.js';

const STREAM = 'K8S_EVENTS';
const server = await startNatsServer();
const nc = await testConnection(server.url);
afterAll(async () => {
  await nc.close();
  await server.close();
});

async function freshStreams(): Promise<Record<never, never>> {
  await createStream(nc, STREAM, ['k8s.events.>']);
  await createStream(nc, 'OTHER', ['other.>']);
  return {};
}

function encodingOf(contentType: string | undefined, contentEncoding: string | undefined): EncodingOptions {
  return {
    format: contentType === 'application/json' ? 'json' : 'ndjson',
    compression: contentEncoding === 'gzip' ? 'gzip' : contentEncoding === 'zstd' ? 'zstd' : 'none',
  };
}

const invalidConfigs = [
  { config: {}, path: 'servers', message: 'is required' },
  { config: { servers: 'http://nats:4222' }, path: 'servers', message: 'NATS URL' },
  { config: { servers: [] }, path: 'servers' },
  { config: { servers: 'nats://n:4222', subject: 'k8s.{day}' }, path: 'subject', message: 'unknown placeholder {day}' },
  { config: { servers: 'nats://n:4222', subject: 'k8s.*.{type}' }, path: 'subject', message: 'wildcards' },
  { config: { servers: 'nats://n:4222', subject: 'k8s..{type}' }, path: 'subject', message: 'empty tokens' },
  { config: { servers: 'nats://n:4222', publish: 'batch' }, path: 'subject', message: 'no single value per batch' },
  { config: { servers: 'nats://n:4222', publish: 'each' }, path: 'publish' },
  { config: { servers: 'nats://n:4222', maxInFlight: 0 }, path: 'maxInFlight' },
  { config: { servers: 'nats://n:4222', stream: { name: 'a.b' } }, path: 'stream.name', message: 'stream name' },
  { config: { servers: 'nats://n:4222', stream: { storage: 'disk' } }, path: 'stream.storage' },
  { config: { servers: 'nats://n:4222', auth: { user: 'u' } }, path: 'auth.password', message: 'go together' },
  { config: { servers: 'nats://n:4222', auth: { token: 't0k3n', nkeySeed: 'SUxx' } }, path: 'auth', message: 'one of' },
  { config: { servers: 'nats://n:4222', tls: { certFile: 'c.pem' } }, path: 'tls.keyFile', message: 'go together' },
  { config: { servers: 'nats://n:4222', subjcet: 'x' }, path: 'subjcet', message: 'did you mean "subject"?' },
  { config: 'nats://n:4222', path: '' },
];

for (const publish of ['record', 'batch'] as const) {
  const base = { servers: server.url, publish, subject: publish === 'batch' ? 'k8s.events.{cluster}.batch' : 'k8s.events.{cluster}.{namespace}.{type}', ackTimeout: '2s' };
  sinkComplianceSuite({
    name: `sink compliance: nats (publish: ${publish})`,
    plugin: createNatsSink(),
    validConfig: base,
    invalidConfigs,
    setup: freshStreams,
    readBack: async () => {
      const messages = await readStream(nc, STREAM);
      if (publish === 'record') return messages.map((m) => m.json());
      return messages.flatMap((m) => decodeBody(m.data, encodingOf(m.headers?.get('Content-Type'), m.headers?.get('Content-Encoding') || undefined)));
    },
    failures: [
      { name: 'nothing listens at the server URL (connection refused)', config: { ...base, servers: 'nats://127.0.0.1:1' }, expect: 'transient' },
      { name: 'no stream binds the subject (no responders)', config: { ...base, subject: 'unbound.{cluster}' }, expect: 'permanent' },
      { name: 'the subject is bound to another stream than the configured one', config: { ...base, stream: { name: 'OTHER' } }, expect: 'permanent' },
      {
        name: 'the stream was deleted after the sink started (no stream binds the subject any more)',
        arrange: async () => {
          await (await jetstreamManager(nc)).streams.delete(STREAM);
        },
        expect: 'permanent',
      },
    ],
  });
}
