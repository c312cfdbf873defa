// The receiver's object-store view (archiveIds): each batch kept under its batch id, a batch
// stored again under the same id replacing its earlier copy, as an S3, GCS or file sink's key does.
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver } from './receiver.ts';
import type { Receiver } from './receiver.ts';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function post(url: string, ids: string[], batchId?: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...(batchId === undefined ? {} : { 'x-k8stream-batch-id': batchId }) },
    body: ids.map((id) => `${JSON.stringify({ id })}\n`).join(''),
  });
  expect(res.status).toBe(200);
}

describe('receiver archiveIds', () => {
  it('holds a batch re-sent under its id once, and re-sent records under another id twice', async () => {
    receiver = await startReceiver();
    await post(receiver.url, ['a', 'b'], 'batch-1');
    await post(receiver.url, ['a', 'b'], 'batch-1');
    await post(receiver.url, ['b', 'c'], 'batch-2');
    // without a batch id nothing lands in the archive view
    await post(receiver.url, ['d']);
    expect(receiver.ids).toEqual(
      new Map([
        ['a', 2],
        ['b', 3],
        ['c', 1],
        ['d', 1],
      ]),
    );
    expect(receiver.archiveIds()).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 1],
      ]),
    );
  });
});
