// The `k8stream` binary: commands, exit codes and error output as a user meets them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('k8stream CLI', () => {
  it('--help and --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('k8stream validate');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^k8stream \d+\.\d+\.\d+\n$/);
  });

  it('an unknown command is a usage error (exit 2), no stack trace', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate on the demo config prints a summary and exits 0', async () => {
    const r = await runCli(['validate', '--config', 'examples/demo/replay.k8streamrc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cluster:     demo');
    expect(r.stdout).toMatch(/archive: @k8stream\/sink-file@\d/);
    expect(r.stdout).toContain('config is valid');
  });

  it('validate on a broken config prints every error with its path and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      [
        'cluster: prod',
        'delivry: at-least-once',
        'source:',
        '  types: Warning',
        'sinks:',
        '  - use: file',
        '    batch: { maxEvents: ten, maxAgeMs: soon }',
        '    encoding: { compression: lz4 }',
        '    config: { dir: ./out }',
        '  - use: file',
        '    config: { dir: ./out2 }',
        '    match: { namespace: [a] }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('delivry');
    expect(r.stderr).toContain('did you mean "delivery"');
    expect(r.stderr).toContain('sinks[0].batch.maxEvents: expected a positive integer, got "ten"');
    expect(r.stderr).toContain('sinks[0].batch.maxAgeMs');
    expect(r.stderr).toContain('sinks[0].encoding.compression');
    expect(r.stderr).toContain('sinks[1].match.namespace');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate reports plugin problems for every sink: a missing plugin and a bad plugin config', async () => {
    const file = join(dir, 'plugins.yaml');
    await writeFile(file, ['sinks:', '  - use: nosuchsink', '  - use: file', '    config: { dir: 42, fsync: maybe }', ''].join('\n'));
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PLUGIN_NOT_FOUND');
    expect(r.stderr).toContain('@k8stream/sink-nosuchsink');
    expect(r.stderr).toContain('k8stream-sink-nosuchsink');
    expect(r.stderr).toContain('npm install @k8stream/sink-nosuchsink');
    expect(r.stderr).toContain('sinks[1].config.dir');
    expect(r.stderr).toContain('sinks[1].config.fsync');
    expect(r.stderr).toContain('2 errors');
  });

  it('a missing --config file is one clear line', async () => {
    const r = await runCli(['run', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CONFIG_NOT_FOUND');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug adds the stack', async () => {
    const r = await runCli(['run', '--debug', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('--log-format json writes one JSON object per log line', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const r = await runCli(['run', '--config', 'examples/demo/replay.k8streamrc', '--log-format', 'json'], { env: { K8STREAM_DEMO_OUT: out } });
    expect(r.code).toBe(0);
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.some((l) => l.msg === 'run finished')).toBe(true);
  });
});
