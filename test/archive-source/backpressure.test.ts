// Backpressure: the archive source reads an object only when the pipeline asks for more, at most
// `prefetch` objects ahead. Counted on the GCS test server's downloads (`alt=media`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveSource } from '../../core/src/source/archive-source.js';
import type { SourceChunk } from '../../core/src/source/types.js';
import { silentLogger } from '../../core/src/util/logger.js';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { BATCH, EVENTS, REPO, WINDOW, recordArchive } from './helpers.fixture.js';

const BUCKET = 'k8stream-paced';
let dir: string;
let gcs: GcsTestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-archive-paced-'));
  gcs = await startGcsServer({ buckets: [BUCKET] });
  await recordArchive(dir, { use: 'gcs', config: { bucket: BUCKET, apiEndpoint: gcs.url, projectId: 'test-project', prefix: 'events' } });
});

afterAll(async () => {
  await gcs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const downloads = () => gcs.requests.filter((r) => r.method === 'GET' && r.query['alt'] === 'media').length;

describe('archive source: backpressure', () => {
  it('reads no further than `prefetch` objects ahead of what the consumer took', async () => {
    const prefetch = 2;
    const source = createArchiveSource(
      { ...WINDOW, location: `gs://${BUCKET}/events`, endpoint: gcs.url, cluster: null, region: null, forcePathStyle: false, layout: null },
      { dir: REPO, prefetch },
    );
    const stream = source.stream({ signal: new AbortController().signal, logger: silentLogger })[Symbol.asyncIterator]();
    // Each object is one chunk here (50 records, closed by its position). After taking k chunks,
    // at most the k objects taken and `prefetch - 1` more have been asked for. A partition
    // without objects (3 of the window's 6 hours) is one empty chunk: its "finished" position.
    const chunks: SourceChunk[] = [];
    for (let r = await stream.next(); !r.done; r = await stream.next()) {
      if (r.value.length === 0) {
        expect(r.value.position?.rv).toBe('0');
        continue;
      }
      chunks.push(r.value);
      expect(r.value.length).toBe(BATCH);
      expect(downloads()).toBeLessThanOrEqual(chunks.length + prefetch - 1);
    }
    expect(downloads()).toBe(EVENTS / BATCH);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(EVENTS);
    expect(chunks.filter((c) => c.position !== undefined)).toHaveLength(EVENTS / BATCH);
    expect(source.counters()).toMatchObject({ objects: EVENTS / BATCH, objectsRead: EVENTS / BATCH, records: EVENTS, objectsFailed: 0 });
  });
});
