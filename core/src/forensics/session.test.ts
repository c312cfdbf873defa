// The session: options → window → staged archive → events, and the summary / no-data lines.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveOptions } from './archive/index.js';
import { parseCommandArgs } from './options.js';
import { noDataLine, openSession, summaryLine } from './session.js';
import type { ReadStats, StagedArchive } from './types.js';

const NOW = Date.parse('2026-12-08T12:00:00Z');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-session-'));
  const line = (n: number, time: string) => JSON.stringify({ schema: 'k8stream.event/v1', id: `u${n}:1`, lastTimestamp: time, reason: 'Started' });
  await writeFile(join(dir, 'a.ndjson'), [line(1, '2026-12-08T11:00:00Z'), line(2, '2026-12-08T11:30:00Z'), 'oops'].join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function staged(partitions: string[], disposed: string[]): StagedArchive {
  return {
    describe: dir,
    clusters: ['demo'],
    partitions,
    files: [{ path: join(dir, 'a.ndjson'), key: 'demo/2026/12/08/11/a.ndjson', extension: '.ndjson', size: 1 }],
    stats: { objectsListed: 1, objectsFetched: 1, bytesFetched: 1 },
    skipped: [],
    dispose: () => {
      disposed.push('staged');
      return Promise.resolve();
    },
  };
}

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('openSession', () => {
  it('passes the archive options and the window to the archive part, opens events, and writes the summary line', async () => {
    const seen: ArchiveOptions[] = [];
    const disposed: string[] = [];
    const err = collector();
    const parsed = parseCommandArgs('query', ['--archive', 's3://b/p', '--cluster', 'demo', '--endpoint', 'http://s3', '--force-path-style', '--since', '2h', 'SELECT 1']);
    const session = await openSession(
      parsed,
      { stderr: err.stream, env: { A: '1' }, cwd: dir },
      {
        now: NOW,
        threads: 1,
        stage: (o) => {
          seen.push(o);
          return Promise.resolve(staged(['demo/2026/12/08/10/', 'demo/2026/12/08/11/'], disposed));
        },
      },
    );
    expect(seen[0]).toEqual({
      archive: 's3://b/p',
      cluster: 'demo',
      endpoint: 'http://s3',
      forcePathStyle: true,
      cwd: dir,
      env: { A: '1' },
      window: { fromMs: NOW - 7_200_000, toMs: NOW },
    });
    expect(session.window).toEqual({ fromMs: NOW - 7_200_000, toMs: NOW });
    expect(err.text()).toBe('read 1 object in 2 partitions: 2 records (1 malformed line)\n');
    const r = await session.db.connection.runAndReadAll('SELECT count(*) FROM events');
    expect(r.getRows()).toEqual([[2n]]);
    await session.dispose();
    expect(disposed).toEqual(['staged']);
  });

  it('a window without records also says which partitions were looked at', async () => {
    const err = collector();
    const parsed = parseCommandArgs('query', ['--archive', dir, '--from', '2026-12-08T06:00:00Z', '--to', '2026-12-08T07:00:00Z']);
    const session = await openSession(
      parsed,
      { stderr: err.stream, env: {}, cwd: dir },
      { threads: 1, stage: () => Promise.resolve(staged(['demo/2026/12/08/05/', 'demo/2026/12/08/06/'], [])) },
    );
    await session.dispose();
    expect(err.text()).toBe(
      'read 1 object in 2 partitions: 0 records (1 malformed line)\n' +
        `no records between 2026-12-08T06:00:00.000Z and 2026-12-08T07:00:00.000Z in ${dir}; partitions looked at: demo/2026/12/08/05/, demo/2026/12/08/06/ (1 object listed)\n`,
    );
  });

  it('on a TTY, a reading line while DuckDB reads, erased before the summary', async () => {
    const err = collector();
    Object.assign(err.stream, { isTTY: true });
    const parsed = parseCommandArgs('query', ['--archive', dir, '--from', '2026-12-08T10:00:00Z', '--to', '2026-12-08T12:00:00Z']);
    let progress: unknown;
    const session = await openSession(
      parsed,
      { stderr: err.stream, env: {}, cwd: dir },
      {
        threads: 1,
        stage: (o) => {
          progress = o.progress;
          return Promise.resolve(staged(['demo/2026/12/08/11/'], []));
        },
      },
    );
    await session.dispose();
    expect(progress).toBe(err.stream);
    expect(err.text()).toBe('reading 1 object (0.0 MB)…\r\x1b[Kread 1 object in 1 partition: 2 records (1 malformed line)\n');
  });
});

describe('the summary lines', () => {
  const stats = (over: Partial<ReadStats>): ReadStats => ({ files: 12, records: 1234, duplicates: 0, malformedLines: 0, foreignRecords: 0, skippedObjects: [], ...over });
  const archive = (partitions: number): StagedArchive => ({
    ...staged(
      Array.from({ length: partitions }, (_, i) => `p${i}/`),
      [],
    ),
    describe: 's3://b/events',
  });

  it('names every count that is not zero, with plurals and digit groups, and at most three skipped keys', () => {
    expect(summaryLine(archive(3), stats({}))).toBe('read 12 objects in 3 partitions: 1,234 records');
    const skipped = [1, 2, 3, 4].map((i) => ({ key: `k${i}.ndjson.gz`, code: 'EVENT_INVALID', reason: 'truncated' }));
    expect(summaryLine(archive(1), stats({ duplicates: 5, malformedLines: 1, foreignRecords: 2, skippedObjects: skipped }))).toBe(
      'read 12 objects in 1 partition: 1,234 records (5 repeats dropped, 1 malformed line, 2 records of another schema left out, 4 objects skipped: k1.ndjson.gz: truncated; k2.ndjson.gz: truncated; k3.ndjson.gz: truncated; and 1 more)',
    );
  });

  it('no partition at all, and many partitions cut after six', () => {
    const w = { fromMs: NOW - 3_600_000, toMs: NOW };
    expect(noDataLine(archive(0), w)).toBe(
      'no records between 2026-12-08T11:00:00.000Z and 2026-12-08T12:00:00.000Z in s3://b/events: no partition of the archive covers the window',
    );
    expect(noDataLine(archive(8), w)).toContain('partitions looked at: p0/, p1/, p2/, p3/, p4/, p5/ and 2 more (1 object listed)');
  });
});
