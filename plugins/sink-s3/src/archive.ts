/**
 * Reading back what the S3 sink wrote, with a client built exactly as the sink builds its own
 * (same credentials chain, region, endpoint, path style, profile). Keys are the bucket's keys;
 * the key template is the sink's `key`, with `{prefix}` from its config.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { K8streamError } from '@k8stream/core';
import type { ArchiveListing, ArchiveObject, ArchiveReader } from '@k8stream/core';
import type { S3SinkConfig } from './config.js';
import { describeSdkError, inspectSdkError, isCredentialsError } from './errors.js';

/** Codes that mean "this bucket cannot be read with these credentials": the archive is unavailable. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'NoSuchBucket',
  'NotFound',
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
]);

export interface S3ArchiveOptions {
  /** Name of the sink, for messages. */
  sink: string;
  /** Credentials in use, scrubbed from every message. */
  secrets: readonly string[];
  /** `s3://bucket/prefix`, as the sink describes itself. */
  location: string;
}

/** An archive reader over `config.bucket`, through `client` (closed by `close()`). */
export function s3ArchiveReader(config: S3SinkConfig, client: S3Client, options: S3ArchiveOptions): ArchiveReader {
  const { bucket } = config;
  const { sink, secrets, location } = options;

  /** A failed listing: unavailable (no bucket, denied, unreachable) or a failure part-way. */
  const listError = (err: unknown, prefix: string): K8streamError => {
    const where = `s3://${bucket}/${prefix}`;
    const target = { plugin: sink, path: where };
    if (isCredentialsError(err)) {
      return new K8streamError('ARCHIVE_UNAVAILABLE', `s3 archive ${location}: no AWS credentials found`, {
        ...target,
        hint: 'provide credentials through the SDK chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a shared profile (AWS_PROFILE), IRSA web identity, or container/instance metadata',
      });
    }
    const { code, status } = inspectSdkError(err);
    const what = describeSdkError(err, secrets);
    if ((code !== undefined && UNAVAILABLE_CODES.has(code)) || status === 301 || status === 401 || status === 403 || status === 404) {
      const reason = code === 'NoSuchBucket' || (code === undefined && status === 404) ? `bucket "${bucket}" does not exist` : `cannot list ${where}`;
      return new K8streamError('ARCHIVE_UNAVAILABLE', `s3 archive ${location}: ${reason}: ${what}`, {
        ...target,
        hint: `check the bucket, the region and the endpoint, and that the credentials may s3:ListBucket on ${bucket} and s3:GetObject under it`,
      });
    }
    if (status === undefined) {
      return new K8streamError('ARCHIVE_UNAVAILABLE', `s3 archive ${location}: cannot reach the store listing ${where}: ${what}`, {
        ...target,
        hint: 'check --endpoint / "endpoint" and "region", and that the store is reachable from here',
      });
    }
    return new K8streamError('ARCHIVE_READ_FAILED', `s3 archive ${location}: listing ${where} failed: ${what}`, target);
  };

  return {
    template: config.key,
    templateValues: { prefix: config.prefix },
    describe: () => location,

    async list(prefix, options = {}): Promise<ArchiveListing> {
      const objects: ArchiveObject[] = [];
      const prefixes: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(options.delimiter ? { Delimiter: options.delimiter } : {}) }),
            options.signal ? { abortSignal: options.signal } : {},
          );
        } catch (err) {
          options.signal?.throwIfAborted();
          throw listError(err, prefix);
        }
        for (const o of page.Contents ?? []) if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0 });
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) prefixes.push(p.Prefix);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return { objects: objects.sort((a, b) => order(a.key, b.key)), prefixes: prefixes.sort(order) };
    },

    async read(key, options = {}): Promise<Uint8Array> {
      const where = `s3://${bucket}/${key}`;
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options.signal ? { abortSignal: options.signal } : {});
        if (got.Body === undefined) throw new Error('the response has no body');
        return await got.Body.transformToByteArray();
      } catch (err) {
        options.signal?.throwIfAborted();
        throw new K8streamError('ARCHIVE_READ_FAILED', `s3 archive ${location}: cannot read ${where}: ${describeSdkError(err, secrets)}`, { plugin: sink, path: where });
      }
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}
