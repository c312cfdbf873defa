import { describe, expect, it } from 'vitest';
import { parseArchiveLocation } from './location.js';

describe('parseArchiveLocation', () => {
  it('reads s3://bucket/prefix as the s3 sink with its store options', () => {
    expect(parseArchiveLocation('s3://lake/k8s/events/', '/cwd', { endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true })).toEqual({
      use: 's3',
      config: { bucket: 'lake', prefix: 'k8s/events', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true },
    });
    expect(parseArchiveLocation('s3://lake', '/cwd')).toEqual({ use: 's3', config: { bucket: 'lake', prefix: '' } });
  });

  it('reads gs://bucket/prefix as the gcs sink; --endpoint or STORAGE_EMULATOR_HOST is its apiEndpoint', () => {
    expect(parseArchiveLocation('gs://events/k8s', '/cwd')).toEqual({ use: 'gcs', config: { bucket: 'events', prefix: 'k8s' } });
    expect(parseArchiveLocation('gs://events/k8s', '/cwd', { env: { STORAGE_EMULATOR_HOST: 'localhost:4443' } }).config.apiEndpoint).toBe('http://localhost:4443');
    expect(parseArchiveLocation('gs://events', '/cwd', { endpoint: 'https://gcs.internal', env: { STORAGE_EMULATOR_HOST: 'x:1' } }).config).toEqual({
      bucket: 'events',
      prefix: '',
      apiEndpoint: 'https://gcs.internal',
    });
  });

  it('reads anything else as a directory, relative to the working directory', () => {
    expect(parseArchiveLocation('out', '/work')).toEqual({ use: 'file', config: { dir: '/work/out' } });
    expect(parseArchiveLocation('/abs/out', '/work')).toEqual({ use: 'file', config: { dir: '/abs/out' } });
  });

  it('names the argument when the location or an option does not fit', () => {
    expect(() => parseArchiveLocation('s3://', '/w')).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID', message: '--archive s3://: no bucket name after s3://' }));
    expect(() => parseArchiveLocation('gs:///x', '/w')).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(() => parseArchiveLocation('http://x/y', '/w')).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID', message: expect.stringContaining('unsupported scheme') }));
    expect(() => parseArchiveLocation('gs://b', '/w', { region: 'x' })).toThrow(expect.objectContaining({ message: '--region only applies to --archive s3://…, not to gs://b' }));
    expect(() => parseArchiveLocation('out', '/w', { endpoint: 'http://x' })).toThrow(expect.objectContaining({ message: expect.stringMatching(/^--endpoint only applies/) }));
  });
});
