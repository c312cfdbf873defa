// Resume after `kill -9` mid-replay (state.dir): `k8stream run` replays a 12-object archive (a
// directory, S3, GCS) of 3 hourly partitions of 4 objects into an HTTP receiver that acknowledges
// 6 batches of 50 (one per object) and then holds every request. Once the resume point says so
// (the first data partition finished, 2 objects of the second done) the process is killed with
// SIGKILL; the restart delivers the rest and ends. Nothing is lost, nothing acknowledged is sent
// again: the restart sends exactly the 300 other records, and lists no finished partition.
// The state stays one entry per partition: after the whole replay, one "finished" entry for each
// of the window's partitions (the empty look-back hours included), none per object.
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { TEST_CREDENTIALS } from '../../plugins/sink-s3/src/s3.fixture.js';
import { startCli } from '../helpers/cli.fixture.js';
import type { InputEvent, RawSink } from '../cloud/helpers/pipeline.fixture.js';
import { BATCH, EVENTS, archiveConfig, recordArchive, useCloudServers } from './helpers.fixture.js';

/** Batches acknowledged before the receiver holds every request: the first data partition's 4 objects and 2 of the next. */
const ACKED = 6;
/** The window's partitions (hours 10 to 15: two empty hours before the 3 recorded ones, one after). */
const PARTITIONS = 6;

interface Receiver {
  url: string;
  /** Ids of the records of acknowledged requests, per run. */
  acked: string[][];
  /** Requests held, not answered. */
  held: ServerResponse[];
  /** From now on: hold after `limit` acknowledged requests (null: acknowledge everything). */
  startRun(limit: number | null): void;
  /** Resolves once a request is being held. */
  holding(): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const acked: string[][] = [];
  const held: ServerResponse[] = [];
  let limit: number | null = null;
  let onHold: (() => void) | null = null;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const run = acked[acked.length - 1]!;
      if (limit !== null && acked.length === 1 && run.length >= limit * BATCH) {
        held.push(res);
        onHold?.();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      for (const line of text.split('\n')) if (line !== '') run.push((JSON.parse(line) as { id: string }).id);
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    acked,
    held,
    startRun(n) {
      limit = n;
      acked.push([]);
    },
    holding: () => (held.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (onHold = resolve))),
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The saved resume point: one entry per partition begun (`'0'`: finished; `n`: its first n objects done). */
async function savedState(stateDir: string): Promise<Record<string, string>> {
  try {
    return (JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { watches: Record<string, string> }).watches;
  } catch {
    return {};
  }
}

/** Polls `read` until `done` holds for its value (the state file is written by another process). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await delay(20);
  }
}

const BUCKET = 'k8stream-resume';
let dir: string;
let s3: { server: FauxqsServer; endpoint: string };
let gcs: GcsTestServer;
const AWS_ENV = { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_PROFILE: '' };

useCloudServers(BUCKET, 'k8stream-archive-kill-', (servers) => ({ dir, s3, gcs } = servers));

/** Each store: the sink that records the archive, and the `source.archive` that reads it back. */
const STORES: Record<string, (at: string) => { sink: RawSink; archive: Record<string, unknown>; listed?: () => string[] }> = {
  file: (at) => ({ sink: { use: 'file', config: { dir: join(at, 'archive') } }, archive: { location: join(at, 'archive') } }),
  s3: () => ({
    sink: { use: 's3', config: { bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'events' } },
    archive: { location: `s3://${BUCKET}/events`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
  }),
  gcs: () => ({
    sink: { use: 'gcs', config: { bucket: BUCKET, apiEndpoint: gcs.url, projectId: 'test-project', prefix: 'events' } },
    archive: { location: `gs://${BUCKET}/events`, endpoint: gcs.url },
    // The prefixes listed so far (GCS list requests).
    listed: () => gcs.requests.filter((r) => r.method === 'GET' && r.query['alt'] !== 'media' && r.query['prefix'] !== undefined).map((r) => String(r.query['prefix'])),
  }),
};

describe('archive source: kill -9 mid-replay, then resume (state.dir)', () => {
  it.each(Object.keys(STORES))('%s: loses nothing and does not send a finished partition again', async (store) => {
    const at = join(dir, store);
    const { sink, archive, listed } = STORES[store]!(at);
    const input = await recordArchive(at, sink);
    const receiver = await startReceiver();
    try {
      await assertKillAndResume(at, archive, receiver, input, listed);
    } finally {
      await receiver.close();
    }
  });
});

async function assertKillAndResume(at: string, archive: Record<string, unknown>, receiver: Receiver, input: readonly InputEvent[], listed?: () => string[]): Promise<void> {
  {
    const stateDir = join(at, 'state');
    const config = join(at, 'backfill.yaml');
    await writeFile(
      config,
      JSON.stringify(
        archiveConfig(at, archive, {
          sinks: [
            {
              use: 'http',
              name: 'receiver',
              batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
              encoding: { format: 'ndjson', compression: 'none' },
              retry: { maxAttempts: null, initialBackoffMs: 10, maxBackoffMs: 100 },
              config: { url: receiver.url },
            },
          ],
          state: { dir: stateDir },
        }),
      ),
    );

    receiver.startRun(ACKED);
    const first = startCli(['run', '--config', config], { env: AWS_ENV });
    await receiver.holding();
    const resumeState = await until(
      () => savedState(stateDir),
      (state) => Object.values(state).sort().join(',') === '0,0,0,2',
      'the first 3 partitions finished and 2 objects of the 4th done in the resume point',
    );
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(receiver.acked[0]).toHaveLength(ACKED * BATCH);
    // One entry per partition begun, none per object.
    const finished = Object.keys(resumeState).filter((k) => resumeState[k] === '0');
    expect(finished).toHaveLength(3);

    receiver.startRun(null);
    const listedBefore = listed?.().length ?? 0;
    const second = startCli(['run', '--config', config], { env: AWS_ENV });
    const exit = await second.exit;
    expect(exit.code, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/run finished/);
    // The summary counts what the restart skipped; stderr is a pipe, not a TTY: no progress line.
    expect(second.stderr()).toMatch(/archive: 300 records from 6 objects in 6\/6 partitions .*partitionsResumed=3 objectsRead=6 objectsResumed=2 objectsFailed=0 records=300/);
    expect(second.stderr()).toMatch(/resume point saved .*partitionsFinished=6 entries=6/);
    expect(second.stderr()).not.toMatch(/\rarchive \d+\/\d+ partitions/);
    const again = listed?.().slice(listedBefore);

    const [before, after] = [receiver.acked[0]!, receiver.acked[1]!];
    // The restart sends every record not acknowledged before the kill, once; none of the finished partition's.
    expect(after).toHaveLength(EVENTS - ACKED * BATCH);
    expect(new Set(after).size).toBe(after.length);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    expect(new Set([...before, ...after])).toEqual(new Set(input.map((e) => e.id)));
    // The whole replay leaves one "finished" entry per partition.
    const final = await savedState(stateDir);
    expect(Object.keys(final).sort()).toEqual(expect.arrayContaining(finished));
    expect(Object.values(final)).toEqual(Array.from({ length: PARTITIONS }, () => '0'));
    // The restart lists no finished partition, and each other partition once (cluster discovery aside).
    if (again !== undefined) {
      const unfinished = Object.keys(final).filter((k) => !finished.includes(k));
      expect(again.filter((prefix) => prefix in final).sort()).toEqual(unfinished.sort());
    }
  }
}
