// The README recipe "NATS → a consumer that archives or alerts", run as written: the pipeline
// publishes replayed events into a real nats-server, then the two consumer snippets from
// plugins/sink-nats/README.md run as their own processes. The archive consumer writes every event
// once into per-day NDJSON files; the alert consumer posts exactly the Warning events with the
// listed reasons to a webhook (a local HTTP server here).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, testConnection } from '../helpers/nats.fixture.js';
import type { NatsServer } from '../helpers/nats.fixture.js';
import { REPO } from '../cloud/helpers/pipeline.fixture.js';
import { runIntoNats, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { InputEvent } from './helpers/pipeline.fixture.js';

const N = 700;
const REASONS = new Set(['BackOff', 'OOMKilling', 'FailedScheduling', 'Unhealthy', 'FailedMount']);

let dir: string;
let scripts: string;
let input: InputEvent[];
let server: NatsServer;
let nc: NatsConnection;
const children: ChildProcess[] = [];
let webhook: Server;
const posted: { text: string }[] = [];
let postedWaiter: { n: number; resolve: () => void } | null = null;

/** The ```js blocks of the README, in order. */
async function readmeSnippets(): Promise<string[]> {
  const text = await readFile(join(REPO, 'plugins/sink-nats/README.md'), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runScript(file: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [file], { cwd: join(file, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return child;
}

/** Resolves once the durable consumer acked `delivered` messages and has none pending. */
async function allAcked(durable: string, delivered: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (;;) {
    const info = await jsm.consumers.info('K8S_EVENTS', durable).catch(() => null);
    if (info !== null && info.ack_floor.consumer_seq >= delivered && info.num_ack_pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20)); // polling the condition, not a fixed wait
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-nats-recipe-'));
  // The snippets import the client by name: they live under the repository so Node finds it.
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  scripts = await mkdtemp(join(REPO, '.tmp', 'nats-recipe-'));
  ({ events: input } = await writeReplayFile(dir, N));
  server = await startNatsServer();
  nc = await testConnection(server.url);
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posted.push(JSON.parse(body) as { text: string });
      res.end('ok');
      if (postedWaiter !== null && posted.length >= postedWaiter.n) postedWaiter.resolve();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
  }
  await new Promise((resolve) => webhook?.close(resolve));
  await nc?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (scripts) await rm(scripts, { recursive: true, force: true });
});

describe('README recipe: NATS → archive and alert consumers', () => {
  it('the archive consumer writes each event once; the alert consumer posts exactly the matching Warnings', async () => {
    const summary = await runIntoNats(dir, join(dir, 'events.ndjson'), { config: { servers: server.url, stream: { create: true } } });
    expect(summary.sinks[0]!.stats.eventsSent).toBe(N);

    const [archive, alert] = await readmeSnippets();
    expect(archive).toContain('archive.mjs');
    expect(alert).toContain('alert.mjs');
    await writeFile(join(scripts, 'archive.mjs'), archive!);
    await writeFile(join(scripts, 'alert.mjs'), alert!);

    const expectedAlerts = input.filter((e) => e.type === 'Warning' && REASONS.has(e.reason));
    expect(expectedAlerts.length).toBeGreaterThan(0);
    const alertsPosted = new Promise<void>((resolve) => (postedWaiter = { n: expectedAlerts.length, resolve }));
    const { port } = webhook.address() as { port: number };
    runScript(join(scripts, 'archive.mjs'), { NATS_URL: server.url });
    runScript(join(scripts, 'alert.mjs'), { NATS_URL: server.url, WEBHOOK_URL: `http://127.0.0.1:${port}/hook` });

    await allAcked('archive', N);
    const files = (await readdir(scripts)).filter((f) => f.endsWith('.ndjson'));
    expect(files).toEqual(['events-2026-11-27.ndjson']);
    const archived = (await readFile(join(scripts, files[0]!), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(archived).toHaveLength(N);
    expect(new Set(archived).size).toBe(N);
    expect([...archived].sort()).toEqual(input.map((e) => e.id).sort());

    await alertsPosted;
    const warnings = input.filter((e) => e.type === 'Warning').length;
    await allAcked('alert', warnings);
    const alertInfo = await (await jetstreamManager(nc)).consumers.info('K8S_EVENTS', 'alert');
    expect(alertInfo.delivered.consumer_seq).toBe(warnings);
    expect(posted).toHaveLength(expectedAlerts.length);
    for (const p of posted) expect(p.text).toMatch(/^\[cloud-test\] team-\d\/\w+\/[^:]+: (BackOff|OOMKilling|FailedScheduling|Unhealthy|FailedMount): /);
  });
});
