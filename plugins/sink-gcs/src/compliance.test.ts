import { afterAll } from 'vitest';
import { sinkComplianceSuite } from '@k8stream/core/testing';
import sink from './index.js';
import { startGcsServer } from './gcs-server.fixture.js';
import { readAllRecords, testStorage } from './read-back.fixture.js';

// One server for the file (its URL goes into the static valid config); reset before each test.
const server = await startGcsServer();
afterAll(() => server.close());

sinkComplianceSuite({
  plugin: sink,
  validConfig: { bucket: 'events', prefix: 'k8s', apiEndpoint: server.url },
  invalidConfigs: [
    { config: {}, path: 'bucket', message: 'is required' },
    { config: { bucket: '' }, path: 'bucket' },
    { config: { bucket: 'Upper_Case' }, path: 'bucket' },
    { config: { bucket: 42 }, path: 'bucket' },
    { config: { bucket: 'events', key: '{prefix}/{day}/{batchId}' }, path: 'key', message: 'unknown placeholder {day}' },
    { config: { bucket: 'events', key: '{prefix}/events.ndjson' }, path: 'key', message: 'must contain {batchId}' },
    { config: { bucket: 'events', key: '../{batchId}' }, path: 'key', message: '".."' },
    { config: { bucket: 'events', apiEndpoint: 'localhost:4443' }, path: 'apiEndpoint' },
    { config: { bucket: 'events', resumableThreshold: 'huge' }, path: 'resumableThreshold' },
    { config: { bucket: 'events', storageClass: 'GLACIER' }, path: 'storageClass' },
    { config: { bucket: 'events', keyFilename: '' }, path: 'keyFilename' },
    { config: { buckt: 'events' }, path: 'buckt', message: 'did you mean "bucket"?' },
    { config: 'events', path: '' },
  ],
  setup: () => {
    server.reset(['events']);
    return { server };
  },
  readBack: () => readAllRecords(testStorage(server.url), 'events', 'k8s/'),
  failures: [
    {
      name: 'the bucket does not exist (404)',
      arrange: (env) => void env.server.buckets.delete('events'),
      expect: 'permanent',
    },
    {
      name: 'access denied (403)',
      arrange: (env) => env.server.inject({ method: 'POST', pathIncludes: '/upload/', status: 403 }),
      expect: 'permanent',
    },
    {
      name: 'rate limited (429)',
      arrange: (env) => env.server.inject({ method: 'POST', pathIncludes: '/upload/', status: 429, headers: { 'retry-after': '2' } }),
      expect: 'retry-after',
    },
    {
      name: 'service unavailable (503)',
      arrange: (env) => env.server.inject({ method: 'POST', pathIncludes: '/upload/', status: 503 }),
      expect: 'retry-after',
    },
    {
      name: 'internal error (500)',
      arrange: (env) => env.server.inject({ method: 'POST', pathIncludes: '/upload/', status: 500 }),
      expect: 'transient',
    },
  ],
});
