import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sinkComplianceSuite } from '@k8stream/core/testing';
import sink from './index.js';
import { readAllRecords } from './read-back.fixture.js';

sinkComplianceSuite({
  plugin: sink,
  validConfig: { dir: 'out' },
  invalidConfigs: [
    { config: {}, path: 'dir', message: 'is required' },
    { config: { dir: '' }, path: 'dir' },
    { config: { dir: 42 }, path: 'dir' },
    { config: { dir: 'out', path: '{cluster}/{day}/{batchId}' }, path: 'path', message: 'unknown placeholder {day}' },
    { config: { dir: 'out', path: '{cluster}/events.ndjson' }, path: 'path', message: 'must contain {batchId}' },
    { config: { dir: 'out', path: '../{batchId}' }, path: 'path', message: '".."' },
    { config: { dir: 'out', fsync: 'sometimes' }, path: 'fsync' },
    { config: { dir: 'out', mode: '999' }, path: 'mode' },
    { config: { dir: 'out', mode: 420 }, path: 'mode' },
    { config: { dir: 'out', dri: 'x' }, path: 'dri', message: 'did you mean "dir"?' },
    { config: 'out', path: '' },
  ],
  readBack: (_batch, env) => readAllRecords(path.join(env.configDir, 'out')),
  failures: [
    {
      name: 'a file stands where the partition directory should be (ENOTDIR)',
      arrange: async (env) => {
        await mkdir(path.join(env.configDir, 'out'), { recursive: true });
        await writeFile(path.join(env.configDir, 'out', 'test-cluster'), 'not a directory');
      },
      expect: 'permanent',
    },
  ],
});
