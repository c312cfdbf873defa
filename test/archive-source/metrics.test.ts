// Progress and metrics of the archive source, through the real pipeline: a 600-record archive of 3
// hourly partitions (12 objects; the window has 6 partitions) replayed into an HTTP receiver that
// holds every request until /metrics has been read. The source reads the whole window into the
// sink's queue meanwhile, so the scrape sees its final counts; then the receiver answers and the
// run ends, with the counters in its summary and the progress line finished on the fake TTY.
// Through the CLI on a (fake) terminal: the progress line, and each log line clearing it first.
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../core/src/config/index.js';
import { runCli } from '../../core/src/cli/commands.js';
import { run } from '../../core/src/runtime.js';
import { silentLogger } from '../../core/src/util/logger.js';
import { BATCH, EVENTS, REPO, archiveConfig, recordArchive } from './helpers.fixture.js';

let dir: string;
let server: Server;
let url: string;
const held: ServerResponse[] = [];
/** While true, the receiver holds every request (in `held`). */
let holding = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-archive-metrics-'));
  await recordArchive(dir, { use: 'file', config: { dir: join(dir, 'archive') } });
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!holding) res.writeHead(200).end();
      else held.push(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A stream that says it is a terminal, keeping what was written. */
function fakeTty(): PassThrough & { isTTY: true; text(): string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return Object.assign(out, { isTTY: true as const, text: () => text });
}

/** Polls `read` until `done` holds (the scrape races the source reading ahead). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await delay(20);
  }
}

/** The `k8stream_archive_*` samples of a scrape. */
function archiveSamples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(k8stream_archive_\S+) (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('archive source: metrics, summary and progress line', () => {
  it('counts partitions, objects and records on /metrics, in the summary and on the TTY line', async () => {
    const at = join(dir, 'run');
    const config = validateConfig(
      archiveConfig(
        at,
        { location: join(dir, 'archive') },
        {
          sinks: [
            {
              use: 'http',
              name: 'receiver',
              batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
              encoding: { format: 'ndjson', compression: 'none' },
              config: { url },
            },
          ],
          server: { enabled: true, host: '127.0.0.1', port: 0 },
        },
      ),
    );
    const tty = fakeTty();
    let metricsUrl: string | null = null;
    holding = true;
    const running = run({ config, filepath: null, dir: REPO }, { logger: silentLogger, signal: new AbortController().signal, progress: tty, onServer: (u) => (metricsUrl = u) });
    const scrape = async (): Promise<Record<string, number>> => {
      if (metricsUrl === null) return {};
      return archiveSamples(await (await fetch(`${metricsUrl}/metrics`)).text());
    };
    const samples = await until(scrape, (s) => s['k8stream_archive_partitions{state="done"}'] === 6, 'every partition done');
    expect(samples).toEqual({
      'k8stream_archive_objects_total{result="read"}': EVENTS / BATCH,
      'k8stream_archive_objects_total{result="resumed"}': 0,
      'k8stream_archive_objects_total{result="failed"}': 0,
      k8stream_archive_records_total: EVENTS,
      k8stream_archive_entries_rejected_total: 0,
      'k8stream_archive_partitions{state="total"}': 6,
      'k8stream_archive_partitions{state="done"}': 6,
      'k8stream_archive_partitions{state="resumed"}': 0,
    });
    // Nothing acknowledged yet: the receiver holds every request.
    expect(held.length).toBeGreaterThan(0);
    holding = false;
    for (const res of held.splice(0)) res.writeHead(200).end();
    const summary = await running;

    expect(summary.sinks[0]!.stats.eventsSent).toBe(EVENTS);
    expect(summary.archive).toEqual({
      partitions: 6,
      partitionsDone: 6,
      partitionsResumed: 0,
      objects: EVENTS / BATCH,
      objectsRead: EVENTS / BATCH,
      objectsResumed: 0,
      objectsFailed: 0,
      records: EVENTS,
      entriesRejected: 0,
      outsideWindow: 0,
    });
    // The line is rewritten in place and finished with a newline, showing the final counts.
    const text = tty.text();
    expect(text.endsWith('\n')).toBe(true);
    const last = text.slice(0, -1).split('\r').pop()!;
    expect(last.endsWith('\x1b[K')).toBe(true);
    expect(last.slice(0, -'\x1b[K'.length)).toMatch(/^archive 6\/6 partitions · 12 objects · 600 records · [\d,]+ rec\/s$/);
  });

  it('k8stream run on a terminal: the progress line, each log line clearing it first', async () => {
    const at = join(dir, 'cli');
    await mkdir(at, { recursive: true });
    const file = join(at, 'backfill.yaml');
    const source = { type: 'archive', archive: join(dir, 'archive'), from: '2026-11-27', to: '2026-11-28' };
    await writeFile(file, JSON.stringify(archiveConfig(at, {}, { source, server: { enabled: false } })));
    const stderr = fakeTty();
    const stdout = new PassThrough();
    const code = await runCli(['run', '--config', file], { stdout, stderr, env: process.env, cwd: at });
    const text = stderr.text();
    expect(code, text).toBe(0);
    const lines = text.split('\n');
    // Every log line starts by clearing the progress line.
    const logLines = text.match(/(INFO|WARN|ERROR) /g) ?? [];
    expect(logLines.length).toBeGreaterThan(3);
    const CLEAR = '\r\x1b[K';
    const cleared = ['INFO ', 'WARN ', 'ERROR '].reduce((n, level) => n + text.split(`${CLEAR}${level}`).length - 1, 0);
    expect(cleared).toBe(logLines.length);
    expect(lines.some((l) => l.startsWith(`${CLEAR}INFO  archive: 600 records from 12 objects in 2/2 partitions`))).toBe(true);
    // The progress line's last drawing, ended by its newline before the summary.
    const drawn = lines.map((l) => l.split('\r').pop()!).filter((l) => l.startsWith('archive '));
    expect(drawn.at(-1)!.replace('\x1b[K', '')).toMatch(/^archive 2\/2 partitions · 12 objects · 600 records · [\d,]+ rec\/s$/);
  });
});
