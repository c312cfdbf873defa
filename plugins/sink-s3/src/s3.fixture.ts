/** Test helpers: an in-process fauxqs S3 server, a client for it, and reading objects back. */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { decodeBody, encodingForFileName } from '@k8stream/core/testing';
import { startFauxqs } from 'fauxqs';
import type { FauxqsServer } from 'fauxqs';
import { HEALTHCHECK_OBJECT } from './sink.js';

/** Static test credentials (fauxqs does not check them). */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIATESTFAUXQS000001', secretAccessKey: 'test-secret-not-real-0001' };

/** Starts fauxqs on a free port with the given buckets. */
export async function startS3(buckets: readonly string[]): Promise<{ server: FauxqsServer; endpoint: string }> {
  const server = await startFauxqs({ port: 0, logger: false });
  for (const b of buckets) server.createBucket(b);
  return { server, endpoint: `http://127.0.0.1:${server.port}` };
}

/** A client for direct checks against the test server. */
export function testClient(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS });
}

/** Every object key in the bucket, sorted (healthcheck probes excluded unless asked). */
export async function listKeys(client: S3Client, bucket: string, withProbe = false): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.filter((k) => withProbe || !k.endsWith(HEALTHCHECK_OBJECT)).sort();
}

/** Every record in every batch object of the bucket (keys sorted). */
export async function readAllRecords(client: S3Client, bucket: string): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const key of await listKeys(client, bucket)) {
    const encoding = encodingForFileName(key);
    if (encoding === null) throw new Error(`unexpected object in the bucket: ${key}`);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = await got.Body?.transformToByteArray();
    if (body === undefined) throw new Error(`empty body for ${key}`);
    records.push(...decodeBody(body, encoding));
  }
  return records;
}
