import { afterAll } from 'vitest';
import { sinkComplianceSuite } from '@k8stream/core/testing';
import { createS3Sink } from './index.js';
import { TEST_CREDENTIALS, readAllRecords, startS3, testClient } from './s3.fixture.js';

const BUCKET = 'compliance';
const { server, endpoint } = await startS3([BUCKET]);
const client = testClient(endpoint);
afterAll(async () => {
  client.destroy();
  await server.stop();
});

const base = { bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, prefix: 'events', maxAttempts: 1 };

sinkComplianceSuite({
  plugin: createS3Sink({ clientConfig: { credentials: TEST_CREDENTIALS } }),
  validConfig: base,
  invalidConfigs: [
    { config: {}, path: 'bucket', message: 'is required' },
    { config: { bucket: '' }, path: 'bucket' },
    { config: { bucket: 'Not_A_Bucket' }, path: 'bucket', message: 'bucket name' },
    { config: { bucket: 'b-1', key: '{prefix}/{day}/{batchId}' }, path: 'key', message: 'unknown placeholder {day}' },
    { config: { bucket: 'b-1', key: '{prefix}/events.ndjson' }, path: 'key', message: 'must contain {batchId}' },
    { config: { bucket: 'b-1', endpoint: 'minio:9000' }, path: 'endpoint', message: 'http(s) URL' },
    { config: { bucket: 'b-1', forcePathStyle: 'yes' }, path: 'forcePathStyle' },
    { config: { bucket: 'b-1', storageClass: 'COLD' }, path: 'storageClass' },
    { config: { bucket: 'b-1', serverSideEncryption: 'kms' }, path: 'serverSideEncryption' },
    { config: { bucket: 'b-1', kmsKeyId: 'alias/k' }, path: 'kmsKeyId', message: 'requires serverSideEncryption: aws:kms' },
    { config: { bucket: 'b-1', multipartThreshold: '1MiB' }, path: 'multipartThreshold' },
    { config: { bucket: 'b-1', partSize: 1024 }, path: 'partSize' },
    { config: { bucket: 'b-1', maxAttempts: 0 }, path: 'maxAttempts' },
    { config: { bucket: 'b-1', bukcet: 'x' }, path: 'bukcet', message: 'did you mean "bucket"?' },
    { config: 'my-bucket', path: '' },
  ],
  setup: () => {
    server.emptyBucket(BUCKET);
    return {};
  },
  readBack: () => readAllRecords(client, BUCKET),
  failures: [
    { name: 'the bucket does not exist (NoSuchBucket)', config: { ...base, bucket: 'no-such-bucket' }, expect: 'permanent' },
    {
      name: 'nothing listens at the endpoint (connection refused)',
      config: { ...base, endpoint: 'http://127.0.0.1:1' },
      expect: 'transient',
    },
  ],
});
