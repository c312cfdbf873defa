import { afterAll } from 'vitest';
import { sinkComplianceSuite } from '@k8stream/core/testing';
import sink from './index.js';
import { closedPort, startReceiver } from './receiver.fixture.js';

const receiver = await startReceiver();
const deadPort = await closedPort();
afterAll(() => receiver.close());

sinkComplianceSuite({
  plugin: sink,
  validConfig: { url: receiver.url },
  invalidConfigs: [
    { config: {}, path: 'url', message: 'is required' },
    { config: { url: 'ftp://example.com/x' }, path: 'url', message: 'http:// or https://' },
    { config: { url: 42 }, path: 'url' },
    { config: { url: receiver.url, method: 'GET' }, path: 'method' },
    { config: { url: receiver.url, body: 'splunk' }, path: 'body' },
    { config: { url: receiver.url, body: 'otlp', otlp: { encoding: 'xml' } }, path: 'otlp.encoding' },
    { config: { url: receiver.url, body: 'otlp', compression: 'brotli' }, path: 'compression' },
    { config: { url: receiver.url, bearerTokenEnv: 'not a name' }, path: 'bearerTokenEnv', message: 'environment variable name' },
    { config: { url: receiver.url, bearerTokenEnv: 'T', basicAuth: { usernameEnv: 'U', passwordEnv: 'P' } }, path: 'basicAuth', message: 'not both' },
    { config: { url: receiver.url, basicAuth: { usernameEnv: 'U' } }, path: 'basicAuth.passwordEnv', message: 'is required' },
    { config: { url: receiver.url, headers: { 'Content-Length': '1' } }, path: 'headers.Content-Length', message: 'set by the sink' },
    { config: { url: receiver.url, bearerTokenEnv: 'T', headers: { Authorization: 'x' } }, path: 'headers.Authorization' },
    { config: { url: receiver.url, index: 'events-{day}' }, path: 'index', message: 'unknown placeholder {day}' },
    { config: { url: receiver.url, index: 'Events' }, path: 'index', message: 'lower case' },
    { config: { url: receiver.url, tls: { insecureSkipVerify: 'yes' } }, path: 'tls.insecureSkipVerify' },
    { config: { url: receiver.url, ulr: 'x' }, path: 'ulr', message: 'did you mean "url"?' },
    { config: 'http://x', path: '' },
  ],
  setup: () => {
    receiver.reset();
    return {};
  },
  readBack: async () => receiver.records(),
  failures: [
    { name: 'the endpoint answers 400', arrange: () => void receiver.respond.push({ status: 400, body: 'bad' }), expect: 'permanent' },
    { name: 'the endpoint answers 502', arrange: () => void receiver.respond.push({ status: 502 }), expect: 'transient' },
    { name: 'the endpoint answers 503 (throttled, waits at least a second)', arrange: () => void receiver.respond.push({ status: 503 }), expect: 'retry-after' },
    {
      name: 'the endpoint answers 429 with Retry-After',
      arrange: () => void receiver.respond.push({ status: 429, headers: { 'retry-after': '3' } }),
      expect: 'retry-after',
    },
    { name: 'connection refused', config: { url: `http://127.0.0.1:${deadPort}/` }, expect: 'transient' },
  ],
});
