import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSinkPlugin } from '@k8stream/core';
import { sinkComplianceSuite } from '@k8stream/core/testing';
import sink from '../index.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every record in the file, in order (torn lines ignored). */
async function readBack(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').flatMap((line) => {
    try {
      return JSON.parse(line).records;
    } catch {
      return [];
    }
  });
}

sinkComplianceSuite({
  plugin: sink,
  validConfig: { file: 'out/events.jsonl' },
  invalidConfigs: [
    { config: {}, path: 'file' },
    { config: { file: '' }, path: 'file' },
    { config: { file: 'x', url: 'http://example.com' }, path: 'url', message: 'unknown key' },
    { config: null, path: '' },
  ],
  readBack: (_batch, env) => readBack(path.join(env.configDir, 'out/events.jsonl')),
  failures: [
    {
      name: 'the file is a directory (EISDIR)',
      arrange: (env) => mkdir(path.join(env.configDir, 'out/events.jsonl'), { recursive: true }),
      expect: 'permanent',
    },
  ],
});

describe('k8stream-sink-example as a plugin', () => {
  it('loads through the core loader and passes its checks', async () => {
    const loaded = await loadSinkPlugin(packageDir, { configDir: packageDir });
    expect(loaded.packageName).toBe('k8stream-sink-example');
    expect(loaded.version).toBe('0.1.0');
    expect(loaded.definition.name).toBe('example');
  });
});
