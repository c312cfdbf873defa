/** Test helpers: a no-auth client for the test server, and reading every batch back through it. */
import { Storage } from '@google-cloud/storage';
import { decodeBody, encodingForFileName } from '@k8stream/core/testing';

/** A real `@google-cloud/storage` client pointed at `apiEndpoint`: no credentials are fetched for a custom endpoint. */
export function testStorage(apiEndpoint: string): Storage {
  return new Storage({ apiEndpoint, projectId: 'test-project', retryOptions: { autoRetry: false } });
}

/** Names of every object in `bucket` under `prefix`, listed with the client (follows page tokens). */
export async function listKeys(storage: Storage, bucket: string, prefix = ''): Promise<string[]> {
  const [files] = await storage.bucket(bucket).getFiles({ prefix, autoPaginate: true });
  return files.map((f) => f.name).sort();
}

/** Every record of every batch object in `bucket` (objects sorted by key), downloaded with the client. */
export async function readAllRecords(storage: Storage, bucket: string, prefix = ''): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const key of await listKeys(storage, bucket, prefix)) {
    const encoding = encodingForFileName(key);
    if (encoding === null) throw new Error(`unexpected object in the bucket: ${key}`);
    const [data] = await storage.bucket(bucket).file(key).download();
    records.push(...decodeBody(data, encoding));
  }
  return records;
}
