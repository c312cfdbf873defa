// `k8stream query` as a user runs it (in-process runCli), over an archive the real pipeline wrote:
// a replay of Kubernetes Events through the file sink (gzip NDJSON, hour partitions). Every
// output format, the summary line, an empty window, a repeat, failing SQL and bad arguments.
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../core/src/cli/commands.js';
import { k8stream } from './helpers/cli.fixture.js';

let dir: string;
let archive: string;

/** A core/v1 Event at `time` (minute `m` past 10:00, or the hour given). */
function event(n: number, time: string, type: string, reason: string, message: string, pod: string, count = 1) {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.${n}`, namespace: 'shop', uid: `0b9a271b-0000-4583-92c2-${String(n).padStart(12, '0')}`, resourceVersion: String(1000 + n), creationTimestamp: time },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: pod, uid: `pod-${pod}`, apiVersion: 'v1' },
    reason,
    message,
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: time,
    lastTimestamp: time,
    count,
    type,
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  };
}

const EVENTS = [
  event(1, '2026-12-08T10:00:00Z', 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node-1', 'web-1'),
  event(2, '2026-12-08T10:05:00Z', 'Normal', 'Pulled', 'Container image "registry.example.com/web:1.2" already present, reusing', 'web-1'),
  event(3, '2026-12-08T10:10:00Z', 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web-1', 'web-1', 12),
  event(4, '2026-12-08T10:20:00Z', 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web-2', 'web-2', 3),
  event(5, '2026-12-08T11:15:00Z', 'Normal', 'Killing', 'Stopping container web', 'web-2'),
];

const WINDOW = ['--from', '2026-12-08T10:00:00Z', '--to', '2026-12-08T12:00:00Z'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-query-'));
  archive = join(dir, 'out');
  await writeFile(join(dir, 'events.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: EVENTS }));
  const config = join(dir, 'k8stream.yaml');
  await writeFile(
    config,
    [
      'cluster: q',
      'source: { type: replay, replay: { file: events.json } }',
      'sinks:',
      '  - name: archive',
      '    use: file',
      '    batch: { maxEvents: 2, maxAgeMs: 1h }',
      '    config: { dir: out, fsync: false }',
      '',
    ].join('\n'),
  );
  const r = await k8stream(['run', '--config', config], { cwd: dir });
  if (r.code !== 0) throw new Error(`k8stream run exited ${r.code}:\n${r.stderr}`);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('k8stream query', () => {
  it('prints a table by default: aligned columns, numbers right-aligned, a row count; the summary line on stderr', async () => {
    const r = await k8stream(['query', '--archive', archive, ...WINDOW, 'SELECT reason, type, sum(count) AS n FROM events GROUP BY ALL ORDER BY n DESC, reason']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'reason     type      n',
        '---------  -------  --',
        'BackOff    Warning  15',
        'Killing    Normal    1',
        'Pulled     Normal    1',
        'Scheduled  Normal    1',
        '(4 rows)',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('read 3 objects in 3 partitions: 5 records\n');
  });

  it('--format json: one array of objects; timestamps ISO-8601 UTC, counts numbers, structs objects', async () => {
    const r = await k8stream([
      'query',
      '--archive',
      archive,
      ...WINDOW,
      '--format',
      'json',
      "SELECT id, time, count, involvedObject, enrichment.services FROM events WHERE type = 'Warning' ORDER BY time",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        id: '0b9a271b-0000-4583-92c2-000000000003:1003',
        time: '2026-12-08T10:10:00.000Z',
        count: 12,
        involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'pod-web-1', apiVersion: 'v1', fieldPath: '' },
        services: [],
      },
      {
        id: '0b9a271b-0000-4583-92c2-000000000004:1004',
        time: '2026-12-08T10:20:00.000Z',
        count: 3,
        involvedObject: { kind: 'Pod', name: 'web-2', namespace: 'shop', uid: 'pod-web-2', apiVersion: 'v1', fieldPath: '' },
        services: [],
      },
    ]);
  });

  it('--format ndjson: one object per line', async () => {
    const r = await k8stream(['query', '--archive', archive, ...WINDOW, '--format', 'ndjson', 'SELECT reason, lastTimestamp FROM events ORDER BY time']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(EVENTS.map((e) => ({ reason: e.reason, lastTimestamp: new Date(e.lastTimestamp).toISOString() })));
  });

  it('--format csv: a header, RFC 4180 quoting of commas and quotes, NULL as an empty field', async () => {
    const r = await k8stream(['query', '--archive', archive, ...WINDOW, '--format', 'csv', 'SELECT reason, message, related FROM events ORDER BY time LIMIT 2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'reason,message,related',
        'Scheduled,Successfully assigned shop/web-1 to node-1,',
        'Pulled,"Container image ""registry.example.com/web:1.2"" already present, reusing",',
        '',
      ].join('\r\n'),
    );
  });

  it('a window with no records: exit 0, an empty result, and a line naming the archive and the partitions looked at', async () => {
    const r = await k8stream(['query', '--archive', archive, '--from', '2026-12-07T10:00:00Z', '--to', '2026-12-07T11:00:00Z', '--format', 'json', 'SELECT * FROM events']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('[]\n');
    expect(r.stderr).toContain('read 0 objects in 2 partitions: 0 records\n');
    expect(r.stderr).toContain(`no records between 2026-12-07T10:00:00.000Z and 2026-12-07T11:00:00.000Z in ${archive}; partitions looked at: q/2026/12/07/09/, q/2026/12/07/10/`);
  });

  it('a batch archived twice (at-least-once) is counted once, and the repeats are reported', async () => {
    const copy = join(dir, 'copy');
    await cp(archive, copy, { recursive: true });
    const hour = join(copy, 'q', '2026', '12', '08', '10');
    const [first] = (await readdir(hour)).sort();
    await cp(join(hour, first!), join(hour, `zz-again-${first!}`));
    const r = await k8stream(['query', '--archive', copy, ...WINDOW, '--format', 'csv', 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('n,ids\r\n5,5\r\n');
    expect(r.stderr).toBe('read 4 objects in 3 partitions: 5 records (2 repeats dropped)\n');
  });

  it('reads what the file sink writes as JSON arrays with zstd, and as plain NDJSON, the same', async () => {
    const counts: string[] = [];
    for (const [name, encoding] of [
      ['zstd-json', '{ format: json, compression: zstd }'],
      ['plain', '{ format: ndjson, compression: none }'],
    ] as const) {
      const config = join(dir, `${name}.yaml`);
      await writeFile(
        config,
        [
          'cluster: q',
          'source: { type: replay, replay: { file: events.json } }',
          'sinks:',
          '  - name: archive',
          '    use: file',
          '    batch: { maxEvents: 2, maxAgeMs: 1h }',
          `    encoding: ${encoding}`,
          `    config: { dir: ${name}, fsync: false }`,
          '',
        ].join('\n'),
      );
      const run = await k8stream(['run', '--config', config], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      const r = await k8stream(['query', '--archive', join(dir, name), ...WINDOW, '--format', 'csv', 'SELECT count(*) AS n, sum(count) AS c, max(time) AS last FROM events']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('read 3 objects in 3 partitions: 5 records\n');
      counts.push(r.stdout);
    }
    expect(counts).toEqual(['n,c,last\r\n5,18,2026-12-08T11:15:00.000Z\r\n', 'n,c,last\r\n5,18,2026-12-08T11:15:00.000Z\r\n']);
  });

  it('a reader of stdout that goes away (| head) ends the query quietly, exit 0', async () => {
    let writes = 0;
    const stdout = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let stderr = '';
    const err = new Writable({
      write(chunk: Buffer, _encoding, done) {
        stderr += chunk.toString();
        done();
      },
    });
    const code = await runCli(['query', '--archive', archive, ...WINDOW, '--format', 'ndjson', 'SELECT * FROM events, range(2000)'], {
      stdout,
      stderr: err,
      env: process.env,
      cwd: dir,
    });
    expect(code).toBe(0);
    expect(writes).toBe(1);
    expect(stderr).toBe('read 3 objects in 3 partitions: 5 records\n');
  });

  it('SQL that fails is QUERY_FAILED with DuckDB’s message, exit 1', async () => {
    const r = await k8stream(['query', '--archive', archive, ...WINDOW, 'SELECT nosuchcolumn FROM events']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: \[QUERY_FAILED\] Binder Error: Referenced column "nosuchcolumn" not found/);
  });

  it('bad arguments exit 2 with a message naming them', async () => {
    const cases: [string[], string][] = [
      [['--archive', archive, '--from', '10:7x', 'SELECT 1'], '[ARGUMENT_INVALID] --from "10:7x": expected RFC 3339'],
      [['--archive', archive, '--frmo', '10:00', 'SELECT 1'], '[ARGUMENT_INVALID] unknown option --frmo for k8stream query'],
      [['--archive', archive, '--format', 'xml', 'SELECT 1'], '[ARGUMENT_INVALID] --format "xml": expected one of table, json, ndjson, csv'],
      [['--archive', archive, '--since', '2h'], '[ARGUMENT_INVALID] k8stream query takes one SQL statement, in quotes; none was given'],
      [['--archive', archive, '--from', '2025-01-01', '--to', '2026-12-08', 'SELECT 1'], 'spans 706 days; at most 366 are read at once'],
    ];
    for (const [args, message] of cases) {
      const r = await k8stream(['query', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('--help prints the usage, the columns and every option', async () => {
    const r = await k8stream(['query', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: k8stream query \[options\] "SQL"/);
    for (const text of ['--format FORMAT', '--archive LOC', '--since D', 'time = coalesce(lastTimestamp, eventTime, firstTimestamp)']) expect(r.stdout).toContain(text);
  });
});
