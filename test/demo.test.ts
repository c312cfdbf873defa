// The README's quick start: the embedded demo runs the real pipeline and writes real files.
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/cli.fixture.js';
import { listFiles, readRecords } from './helpers/archive.fixture.js';

describe('embedded demo (npm start)', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  let fixture: { items: { metadata: { uid: string; resourceVersion: string }; type: string }[] };

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'k8stream-demo-'));
    fixture = JSON.parse(await readFile(join(REPO, 'examples/demo/events.json'), 'utf8'));
    result = await runCli(['run', '--config', 'examples/demo/replay.k8streamrc'], { env: { K8STREAM_DEMO_OUT: out } });
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('exits 0 and says where the files are', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`sink archive: ${fixture.items.length} records`);
    expect(result.stderr).toContain(out);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack traces
  });

  it('archives every fixture event exactly once as gzip NDJSON k8stream.event/v1 records', async () => {
    const files = (await listFiles(join(out, 'demo'))).filter((f) => f.endsWith('.ndjson.gz'));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(f).toMatch(/demo\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+\.ndjson\.gz$/);
    const records = await readRecords(files);
    expect(records).toHaveLength(fixture.items.length);
    const ids = new Set(records.map((r) => r.id));
    expect(ids.size).toBe(fixture.items.length);
    const expected = new Set(fixture.items.map((e) => `${e.metadata.uid}:${e.metadata.resourceVersion}`));
    expect(ids).toEqual(expected);
    for (const r of records) {
      expect(r.schema).toBe('k8stream.event/v1');
      expect(r.cluster).toBe('demo');
    }
  });

  it('routes only Warning events to the warnings sink', async () => {
    const records = await readRecords(await listFiles(join(out, 'warnings')));
    const warnings = fixture.items.filter((e) => e.type === 'Warning').length;
    expect(warnings).toBeGreaterThan(0);
    expect(records).toHaveLength(warnings);
    expect(records.every((r) => r.type === 'Warning')).toBe(true);
  });

  it('leaves no temp files and dead-letters nothing', async () => {
    const all = await listFiles(out);
    expect(all.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(all.filter((f) => f.includes('deadletter'))).toEqual([]);
  });
});

describe('simulated-cluster demo (npm start): live source, enrichment, file sink', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'k8stream-live-demo-'));
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(REPO, 'examples/demo/cluster.mjs'), '--events', '400', '--rate', '2000'], {
      cwd: REPO,
      env: { ...process.env, K8STREAM_DEMO_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = await once(child, 'exit');
    result = { code: code as number, stdout: '', stderr };
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('archives every event the cluster held and produced, exactly once, enriched', async () => {
    expect(result.code).toBe(0);
    const m = result.stderr.match(/the cluster held (\d+) events and produced (\d+) more; k8stream received (\d+)/);
    expect(m).not.toBeNull();
    const expected = Number(m![1]) + Number(m![2]);
    expect(Number(m![3])).toBe(expected);
    const records = await readRecords((await listFiles(join(out, 'demo'))).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(expected);
    expect(new Set(records.map((r) => r.id)).size).toBe(expected);
    const pods = records.filter((r) => (r.involvedObject as { kind: string }).kind === 'Pod');
    expect(pods.length).toBeGreaterThan(0);
    type E = { workload: { kind: string } | null; services: unknown[]; node: unknown; pod: unknown };
    const enriched = pods.filter((r) => (r.enrichment as E).workload !== null && (r.enrichment as E).pod !== null);
    expect(enriched.length).toBeGreaterThan(pods.length / 2);
    expect(pods.some((r) => (r.enrichment as E).services.length > 0)).toBe(true);
    expect(new Set(enriched.map((r) => (r.enrichment as E).workload!.kind))).toEqual(new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob']));
  });
});
