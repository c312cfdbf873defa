import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { findProjectDir, parsePluginsArgs, pluginsCommand, sinkSnippet } from './plugins-commands.js';
import type { NpmRunner } from './plugins-commands.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function usageError(fn: () => unknown): K8streamError {
  try {
    fn();
  } catch (err) {
    if (err instanceof K8streamError) return err;
    throw err;
  }
  throw new Error('expected a K8streamError');
}

describe('parsePluginsArgs', () => {
  it('parses add with its options', () => {
    expect(parsePluginsArgs(['add', 'example', '--registry', 'http://r/', '--dev', '-c', 'x.yaml'])).toEqual({
      action: 'add',
      name: 'example',
      registry: 'http://r/',
      dev: true,
      config: 'x.yaml',
    });
    expect(parsePluginsArgs(['add', '@acme/s3'])).toEqual({ action: 'add', name: '@acme/s3', registry: undefined, dev: false, config: undefined });
  });

  it('parses list and help', () => {
    expect(parsePluginsArgs(['list', '--config', 'a.yaml'])).toEqual({ action: 'list', config: 'a.yaml' });
    expect(parsePluginsArgs([])).toEqual({ action: 'help' });
    expect(parsePluginsArgs(['add', '--help'])).toEqual({ action: 'help' });
  });

  it('rejects bad input as CONFIG_INVALID usage errors', () => {
    expect(usageError(() => parsePluginsArgs(['add'])).message).toBe('plugins add: missing <name>');
    expect(usageError(() => parsePluginsArgs(['add', 'a', 'b'])).message).toBe('unexpected argument "b"');
    expect(usageError(() => parsePluginsArgs(['list', 'x'])).message).toBe('unexpected argument "x"');
    expect(usageError(() => parsePluginsArgs(['list', '--dev'])).message).toBe('plugins list: --registry and --dev only apply to plugins add');
    expect(usageError(() => parsePluginsArgs(['remove', 'x'])).message).toBe('unknown plugins command "remove" (commands: add, list)');
    const unknown = usageError(() => parsePluginsArgs(['add', 'x', '--force']));
    expect(unknown.code).toBe('CONFIG_INVALID');
    expect(unknown.message).toContain("'--force'");
  });
});

describe('plugins add with a fake npm', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8stream-plugins-'));
    await mkdir(join(dir, 'app', 'deep', 'er'), { recursive: true });
    await writeFile(join(dir, 'app', 'package.json'), '{}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('findProjectDir finds the nearest package.json upward', () => {
    expect(findProjectDir(join(dir, 'app', 'deep', 'er'))).toBe(join(dir, 'app'));
    expect(findProjectDir(join(dir, 'app'))).toBe(join(dir, 'app'));
  });

  it('sinkSnippet', () => {
    expect(sinkSnippet('s3')).toBe('sinks:\n  - use: s3\n    config: {}\n');
  });

  it('tries candidates in loader order and installs the first that exists, in the project dir', async () => {
    const calls: { args: readonly string[]; cwd: string }[] = [];
    const npm: NpmRunner = async (args, { cwd }) => {
      calls.push({ args, cwd });
      if (args[0] === 'view' && args[1] === '@k8stream/sink-s3') throw Object.assign(new Error('exit 1'), { stdout: '', stderr: 'npm error code E404\n' });
      return { stdout: args[0] === 'view' ? `${args[1]}\n` : '', stderr: '' };
    };
    const out = sink();
    const code = await pluginsCommand(['add', 's3', '--dev', '--registry', 'http://r/'], { stdout: out.stream, env: {}, cwd: join(dir, 'app', 'deep'), npm });
    expect(code).toBe(0);
    expect(calls).toEqual([
      { args: ['view', '@k8stream/sink-s3', 'name', '--registry', 'http://r/'], cwd: join(dir, 'app') },
      { args: ['view', 'k8stream-sink-s3', 'name', '--registry', 'http://r/'], cwd: join(dir, 'app') },
      { args: ['install', 'k8stream-sink-s3', '--save-dev', '--registry', 'http://r/'], cwd: join(dir, 'app') },
    ]);
    expect(out.text()).toBe(`installed k8stream-sink-s3 in ${join(dir, 'app')}\n\nadd to .k8streamrc:\n\nsinks:\n  - use: s3\n    config: {}\n`);
  });

  it('a failing registry (not a 404) and a path reference are clear errors', async () => {
    const npm: NpmRunner = async () => {
      throw Object.assign(new Error('exit 1'), { stdout: '', stderr: 'npm error code ECONNREFUSED\nnpm error connect refused' });
    };
    const io = { stdout: sink().stream, env: {}, cwd: dir, npm };
    await expect(pluginsCommand(['add', 's3'], io)).rejects.toThrow('npm view @k8stream/sink-s3 failed: npm error code ECONNREFUSED\nnpm error connect refused');
    await expect(pluginsCommand(['add', './local-sink.js'], io)).rejects.toThrow('"./local-sink.js" is a path, not an npm package: nothing to install');
  });
});
