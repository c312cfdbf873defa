// `sinks[].buffer: { type: disk }` through the real runtime: events pass through the on-disk
// queue into the sink, and a relative buffer dir resolves against the config directory.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../core/src/runtime.js';
import { validateConfig } from '../core/src/config/index.js';
import { silentLogger } from '../core/src/util/logger.js';
import { benchEvent } from './bench/events.mjs';
import { listFiles, readRecords } from './helpers/archive.fixture.js';

const N = 3000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-diskbuf-'));
  const lines = Array.from({ length: N }, (_, i) => JSON.stringify({ type: 'ADDED', object: benchEvent(i) }));
  await writeFile(join(dir, 'events.ndjson'), lines.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('disk buffer through the runtime', () => {
  it('delivers every event exactly once and leaves the buffer dir under the config dir', async () => {
    const config = validateConfig({
      source: { type: 'replay', replay: { file: 'events.ndjson' } },
      sinks: [{ name: 'archive', use: 'file', batch: { maxEvents: 500 }, buffer: { type: 'disk', fsync: '100ms' }, config: { dir: './out', fsync: false } }],
      deadLetter: { use: 'file', config: { dir: './dl' } },
    });
    const summary = await run({ config, filepath: join(dir, '.k8streamrc'), dir }, { logger: silentLogger, signal: new AbortController().signal });
    expect(summary.sinks[0]!.stats.eventsSent).toBe(N);
    expect(summary.sinks[0]!.flushed).toBe(true);
    const records = await readRecords((await listFiles(join(dir, 'out'))).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(N);
    expect(new Set(records.map((r) => r.id)).size).toBe(N);
    expect(await readdir(join(dir, 'k8stream-buffer'))).toEqual(['archive']);
  });
});

describe('disk buffer across a sink outage and a restart (CLI)', () => {
  it('exits 0 keeping undelivered events on disk, and the next run delivers them exactly once', async () => {
    const { createServer } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const { runCli } = await import('./helpers/cli.fixture.js');
    let up = false;
    const received: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        const body = Buffer.concat(chunks);
        const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
        for (const line of text.split('\n')) if (line) received.push((JSON.parse(line) as { id: string }).id);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const work = await mkdtemp(join(dir, 'outage-'));
    await writeFile(join(work, 'empty.ndjson'), '');
    const rc = (file: string) =>
      [
        `source: { type: replay, replay: { file: ${file} } }`,
        'sinks:',
        '  - name: web',
        '    use: http',
        `    config: { url: "http://127.0.0.1:${port}/ingest" }`,
        '    batch: { maxEvents: 100 }',
        '    retry: { initialBackoffMs: 10, maxBackoffMs: 50 }',
        '    buffer: { type: disk, fsync: always }',
        'shutdown: { graceMs: 500ms }',
        'deadLetter: { use: file, config: { dir: ./dl } }',
        '',
      ].join('\n');
    try {
      await writeFile(join(work, 'down.yaml'), rc(join(dir, 'events.ndjson')));
      const first = await runCli(['run', '--config', join(work, 'down.yaml')]);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('undelivered events stay in the disk buffer');
      expect(received).toHaveLength(0);

      up = true;
      await writeFile(join(work, 'up.yaml'), rc(join(work, 'empty.ndjson')));
      const second = await runCli(['run', '--config', join(work, 'up.yaml')]);
      expect(second.code).toBe(0);
      expect(received).toHaveLength(N);
      expect(new Set(received).size).toBe(N);
    } finally {
      server.close();
    }
  });
});
