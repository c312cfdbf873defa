// `k8stream transform test|bench|new`: the authoring loop as an author meets it.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.fixture.js';
import { writeWasm } from './fixtures/wasm/compile.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-tcli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('k8stream transform', () => {
  it('test: runs the built-in redact on an --event file and shows the replaced record', async () => {
    const event = {
      metadata: { uid: 'u-1', resourceVersion: '7', namespace: 'shop', name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      reason: 'Failed',
      type: 'Warning',
      message: 'login failed: password=hunter2 for ops@example.com',
      count: 1,
    };
    const file = join(dir, 'event.json');
    await writeFile(file, JSON.stringify(event));
    const r = await runCli(['transform', 'test', 'redact', '--event', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/record u-1:7: replaced \(\d+ µs\)/);
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('ops@example.com');
    expect(r.stdout).toContain('[REDACTED:');
  });

  it('test: reports a drop, and an error from the error channel with exit 1', async () => {
    const drop = await writeWasm(dir, 'drop');
    const dropped = await runCli(['transform', 'test', drop]);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout.match(/: dropped \(\d+ µs\)/g)).toHaveLength(3);
    const error = await writeWasm(dir, 'error');
    const failed = await runCli(['transform', 'test', error]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/: error \[TRANSFORM_ERROR\]/);
  });

  it('test: fan-out and --config reach the module', async () => {
    const fanout = await writeWasm(dir, 'fanout');
    const r = await runCli(['transform', 'test', fanout]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fan-out to \d+ records/);
  });

  it('bench: prints events/s and µs/event', async () => {
    const echo = await writeWasm(dir, 'echo');
    const r = await runCli(['transform', 'bench', echo, '--records', '2000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ events\/s, [\d.]+ µs\/event \(\d+-byte record, chain of 1, \d+ workers\)/);
  });

  it('new: scaffolds a project', async () => {
    const r = await runCli(['transform', 'new', 'team-tags'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created');
    const files = await readdir(join(dir, 'team-tags'));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'assembly']));
  });

  it('usage errors exit 2 with a hint', async () => {
    const r = await runCli(['transform', 'frobnicate', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown transform command');
  });
});
