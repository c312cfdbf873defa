/**
 * CLI level (extends test/shutdown.test.ts, which checks the flush itself): SIGTERM while
 * /metrics is being scraped under load flushes and exits 0 well within the grace period, the
 * final files hold every record the last scrape saw acked; a second process whose port is
 * taken logs EADDRINUSE and streams anyway.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, writeReplayConfig } from '../helpers/cli.fixture.js';
import { listFiles, readRecords } from '../helpers/archive.fixture.js';
import { scrape, until } from './scrape.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-ops-shutdown-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const GRACE_MS = 10_000;

const config = (name: string, port: number) => writeReplayConfig(dir, name, [`server: { host: 127.0.0.1, port: ${port} }`, `shutdown: { graceMs: ${GRACE_MS} }`]);

interface LogLine {
  msg: string;
  level: string;
  emitted?: number;
  url?: string;
  code?: string;
}
/** Complete JSON log lines so far. */
const lines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{') && l.endsWith('}'))
    .map((l) => JSON.parse(l) as LogLine);

describe('SIGTERM under load with the ops server', () => {
  it('flushes and exits 0 within the grace period; metrics were live until then', async () => {
    const { file, out } = await config('main', 0);
    const run = startCli(['run', '--config', file, '--log-format', 'json']);
    await run.waitFor(/serving \/metrics, \/healthz and \/readyz/);
    const base = lines(run.stderr()).find((l) => l.url !== undefined)!.url!;

    // A port already taken: the second process logs the error and streams anyway.
    const port = new URL(base).port;
    const other = await config('other', Number(port));
    const second = startCli(['run', '--config', other.file, '--log-format', 'json']);
    await second.waitFor(/"code":"EADDRINUSE"/);

    const live = await until('a batch acked', async () => {
      const m = await scrape(base);
      return (m.value('k8stream_sink_events_sent_total', { sink: 'archive' }) ?? 0) >= 250 ? m : undefined;
    });
    expect(live.value('k8stream_ready')).toBe(1);
    expect(live.value('k8stream_events_emitted_total', { source: 'replay' })).toBeGreaterThanOrEqual(live.value('k8stream_sink_events_sent_total', { sink: 'archive' })!);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const t0 = Date.now();
    run.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    const [{ code }, secondExit] = await Promise.all([run.exit, second.exit]);
    const tookMs = Date.now() - t0;
    expect(code).toBe(0);
    expect(secondExit.code).toBe(0);
    expect(tookMs).toBeLessThan(GRACE_MS);

    const finished = lines(run.stderr()).find((l) => l.msg === 'run finished');
    const records = await readRecords((await listFiles(out)).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(finished!.emitted!);
    expect(records.length).toBeGreaterThanOrEqual(live.value('k8stream_sink_events_sent_total', { sink: 'archive' })!);
    expect(
      lines(second.stderr())
        .filter((l) => l.level === 'error')
        .map((l) => l.code),
    ).toEqual(['EADDRINUSE']);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow(); // the server stopped with the process
  });
});
